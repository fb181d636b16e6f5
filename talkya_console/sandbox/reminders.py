"""`task.followup_due`: fired once when an open task's due time passes, including tasks that
fell due while the sandbox was not running (the scan finds every overdue task not yet told)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from talkya_console.sandbox.context import Sandbox
from talkya_console.sandbox.records import emit
from talkya_console.wire.common import format_timestamp, now
from talkya_console.wire.crm import Task

log = logging.getLogger("talkya.sandbox.reminders")

SCAN_INTERVAL = 1.0
# Per workspace and status, so the scan runs on the records_by_status index, not the table.
_DUE_SQL = (
    "SELECT workspace_id, data FROM records WHERE workspace_id IN (SELECT id FROM workspaces) AND kind = 'task' "
    "AND json_extract(data, '$.status') IN ('open', 'in_progress') "
    "AND json_extract(data, '$.due_at') <= ? AND json_extract(data, '$.followup_due_at') IS NULL "
    "LIMIT 500"
)


def fire_due(sandbox: Sandbox, at: datetime | None = None) -> int:
    """Emit `task.followup_due` for every task due by `at` that has not had one; returns how many."""
    stamp = at or now()
    db = sandbox.db
    fired = 0
    while True:
        rows = db.conn.execute(_DUE_SQL, (format_timestamp(stamp),)).fetchall()
        if not rows:
            return fired
        with db.tx():
            for workspace_id, raw in rows:
                task = Task.model_validate_json(raw)
                task.followup_due_at = stamp
                db.update("task", workspace_id, task)
                emit(
                    sandbox,
                    workspace_id,
                    "task.followup_due",
                    {
                        "task_id": task.id,
                        "due_at": format_timestamp(task.due_at) if task.due_at else None,
                        "assignee_user_id": task.assignee_user_id,
                        "assignee_role": task.assignee_role,
                        "patient_id": task.patient_id,
                        "priority": task.priority,
                    },
                )
                fired += 1


async def reminders_hook(sandbox: Sandbox, interval: float = SCAN_INTERVAL) -> Callable[[], Awaitable[None]]:
    """Scan now (catching up on what fell due while stopped), then every `interval` seconds."""

    async def loop() -> None:
        while True:
            try:
                fire_due(sandbox)
            except Exception as exc:  # a bad row must not stop reminders for everyone else
                # Only the class: a validation error's text can quote the record's values.
                log.error("task reminder scan failed: %s", type(exc).__name__)
            await asyncio.sleep(interval)

    runner = asyncio.create_task(loop(), name="task-reminders")

    async def stop() -> None:
        runner.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await runner

    return stop

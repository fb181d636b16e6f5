"""`task.followup_due` fires once per task when its due time passes, even if long past."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from talkya_console.sandbox.app import create_app
from talkya_console.sandbox.db import Where
from talkya_console.sandbox.reminders import fire_due, reminders_hook
from talkya_console.wire import Event, Task
from talkya_console.wire.common import now


@pytest.fixture
def sandbox():
    """An empty workspace, so only the tasks a test makes can fall due."""
    return create_app(":memory:", seed="empty").state.sandbox


def _task(sandbox, id_: str, due_in: timedelta, status: str = "open") -> Task:
    stamp = now()
    task = Task(
        id=id_,
        title="Call back about refill",
        assignee_role="va",
        due_at=stamp + due_in,
        status=status,
        created_at=stamp - timedelta(days=30),
        updated_at=stamp,
    )
    sandbox.db.insert("task", "ws_truebliss", task)
    return task


def _fired(sandbox) -> list[str]:
    events = sandbox.db.all("event", "ws_truebliss", Event, Where().eq("type", "task.followup_due"))
    return sorted(e.data["task_id"] for e in events)


def test_a_task_due_long_ago_fires_once(sandbox):
    _task(sandbox, "task_old", -timedelta(days=10))
    assert fire_due(sandbox) == 1
    assert fire_due(sandbox) == 0
    assert _fired(sandbox) == ["task_old"]
    stored = sandbox.db.get("task", "ws_truebliss", "task_old", Task)
    assert stored.followup_due_at is not None


def test_a_future_task_waits_for_its_time(sandbox):
    task = _task(sandbox, "task_later", timedelta(minutes=5))
    assert fire_due(sandbox) == 0
    assert fire_due(sandbox, at=task.due_at + timedelta(seconds=1)) == 1
    assert _fired(sandbox) == ["task_later"]


def test_closed_tasks_never_fire(sandbox):
    _task(sandbox, "task_done", -timedelta(hours=1), status="done")
    _task(sandbox, "task_cancelled", -timedelta(hours=1), status="cancelled")
    assert fire_due(sandbox) == 0


def test_event_names_the_assignee_and_not_the_title(sandbox):
    _task(sandbox, "task_x", -timedelta(minutes=1))
    fire_due(sandbox)
    (event,) = sandbox.db.all("event", "ws_truebliss", Event, Where().eq("type", "task.followup_due"))
    assert event.data["assignee_role"] == "va"
    assert "refill" not in event.model_dump_json()


async def test_the_hook_catches_up_at_start(sandbox):
    heard = asyncio.Event()
    sandbox.event_listeners.append(lambda ws, event: heard.set() if event.type == "task.followup_due" else None)
    _task(sandbox, "task_missed", -timedelta(hours=3))
    stop = await reminders_hook(sandbox, interval=0.01)
    try:
        await asyncio.wait_for(heard.wait(), 5)
    finally:
        await stop()
    assert _fired(sandbox) == ["task_missed"]

"""Tasks against the sandbox: create, list by filter, update, claim, snooze, complete."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from talkya_console.api import TalkyaClient
from talkya_console.wire import Patient, TaskCreate, User


async def test_task_lifecycle(client: TalkyaClient, patient: Patient, provider: User) -> None:
    due = datetime.now(UTC) + timedelta(hours=2)
    task = await client.tasks.create(
        TaskCreate(title="Refill review", patient_id=patient.id, due_at=due, priority="high", assignee_role="provider")
    )
    assert [t.id async for t in client.tasks.list(patient_id=patient.id, priority="high", status="open")] == [task.id]
    assert [t.id async for t in client.tasks.list(assignee="provider", due_before=due + timedelta(minutes=1))] == [
        task.id
    ]
    updated = await client.tasks.update(task.id, {"description": "Check labs first"})
    assert updated.description == "Check labs first"
    claimed = await client.tasks.claim(task.id, user_id=provider.id)
    assert (claimed.status, claimed.assignee_user_id) == ("in_progress", provider.id)
    later = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
    assert (await client.tasks.snooze(task.id, later)).snoozed_until == later
    done = await client.tasks.complete(task.id, "refilled")
    assert (done.status, done.disposition) == ("done", "refilled")
    assert await client.tasks.get(task.id) == done

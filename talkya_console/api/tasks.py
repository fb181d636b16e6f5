"""Follow-up tasks for coordinators, front desk, providers and VAs: claim, complete, snooze."""

from __future__ import annotations

from datetime import datetime

from talkya_console.api._pagination import AsyncPager
from talkya_console.api._resource import Updatable
from talkya_console.wire import Task, TaskCreate, TaskUpdate
from talkya_console.wire.crm import Priority, TaskClaim, TaskComplete, TaskSnooze, TaskStatus


class Tasks(Updatable[Task, TaskCreate, TaskUpdate]):
    """`/v1/tasks`."""

    path = "/tasks"
    model = Task
    create_params = TaskCreate
    update_params = TaskUpdate

    def list(
        self,
        *,
        status: TaskStatus | None = None,
        assignee: str | None = None,
        due_before: datetime | None = None,
        patient_id: str | None = None,
        priority: Priority | None = None,
        handoff_id: str | None = None,
        limit: int | None = None,
    ) -> AsyncPager[Task]:
        """Tasks matching the filters, newest first."""
        filters = {
            "status": status,
            "assignee": assignee,
            "due_before": due_before,
            "patient_id": patient_id,
            "priority": priority,
            "handoff_id": handoff_id,
        }
        return self._list(Task, filters, limit=limit)

    async def claim(self, task_id: str, *, user_id: str | None = None, idempotency_key: str | None = None) -> Task:
        """Assign the task and start it; an API key acting for no user names the `user_id`."""
        body = TaskClaim(user_id=user_id) if user_id is not None else None
        return await self._post(Task, task_id, "claim", body=body, idempotency_key=idempotency_key)

    async def complete(self, task_id: str, disposition: str, *, idempotency_key: str | None = None) -> Task:
        """Finish the task with a disposition."""
        body = TaskComplete(disposition=disposition)
        return await self._post(Task, task_id, "complete", body=body, idempotency_key=idempotency_key)

    async def snooze(self, task_id: str, until: datetime, *, idempotency_key: str | None = None) -> Task:
        """Push the task's due time to `until`."""
        body = TaskSnooze(until=until)
        return await self._post(Task, task_id, "snooze", body=body, idempotency_key=idempotency_key)

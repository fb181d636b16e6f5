"""Tasks: follow-ups for staff or a role's queue; claim, complete and snooze are action paths."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Body, Depends, Query
from starlette.responses import Response

from talkya_console.sandbox.context import Ctx, Scope
from talkya_console.sandbox.db import Where
from talkya_console.sandbox.errors import ApiError
from talkya_console.sandbox.ids import new_id
from talkya_console.sandbox.records import load, merge, model_response, page_response, require_exists, write
from talkya_console.sandbox.routes._common import ListArgs, claimant, list_args, time_filter
from talkya_console.wire import ListPage, Task, TaskCreate, TaskUpdate
from talkya_console.wire.common import now
from talkya_console.wire.crm import Priority, TaskClaim, TaskComplete, TaskSnooze, TaskStatus

router = APIRouter(prefix="/v1/tasks", tags=["tasks"])

CLOSED = ("done", "cancelled")


def _load_open(ctx: Ctx, task_id: str) -> Task:
    task = load(ctx, "task", task_id, Task)
    if task.status in CLOSED:
        raise ApiError(
            409, "task_closed", f"This task is already {task.status}; reopen it with a PATCH of status first."
        )
    return task


def _save(ctx: Ctx, before: Task, after: Task) -> Task:
    """Store `after` if it differs; a new due time re-arms the due reminder, which fired for the old one."""
    if after.due_at != before.due_at:
        after.followup_due_at = None
    changed = [k for k, v in after.model_dump().items() if k != "updated_at" and getattr(before, k) != v]
    if not changed:
        return before
    after.updated_at = now()
    write(ctx, "task", after, action="updated", fields=changed, insert=False)
    return after


@router.get("", response_model=ListPage[Task], summary="List tasks, newest first")
async def list_tasks(
    args: ListArgs = Depends(list_args),
    status: TaskStatus | None = Query(None),
    assignee: str | None = Query(None, max_length=64, description="A user id or a role: matches either."),
    due_before: datetime | None = Query(None, description="RFC 3339; tasks due before it."),
    patient_id: str | None = Query(None, max_length=64),
    priority: Priority | None = Query(None),
    handoff_id: str | None = Query(None, max_length=64),
    ctx: Ctx = Depends(Scope("tasks:read")),
) -> Response:
    where = (
        Where()
        .eq("status", status)
        .compare("due_at", "<", time_filter(due_before, "due_before"))
        .eq("patient_id", patient_id)
        .eq("priority", priority)
        .eq("handoff_id", handoff_id)
    )
    if assignee is not None:
        where.raw(
            "(json_extract(data, '$.assignee_user_id') = ? OR json_extract(data, '$.assignee_role') = ?)",
            assignee,
            assignee,
        )
    return page_response(ctx.db.page("task", ctx.ws, limit=args.limit, cursor=args.cursor, where=where))


@router.post("", response_model=Task, status_code=201, summary="Create a follow-up task")
async def create_task(body: TaskCreate, ctx: Ctx = Depends(Scope("tasks:write"))) -> Response:
    require_exists(ctx, "user", body.assignee_user_id, "assignee_user_id")
    require_exists(ctx, "patient", body.patient_id, "patient_id")
    require_exists(ctx, "contact", body.contact_id, "contact_id")
    stamp = now()
    task = Task(id=new_id("task"), created_at=stamp, updated_at=stamp, **body.model_dump())
    write(ctx, "task", task)
    return model_response(task, 201)


@router.get("/{task_id}", response_model=Task)
async def get_task(task_id: str, ctx: Ctx = Depends(Scope("tasks:read"))) -> Response:
    return model_response(load(ctx, "task", task_id, Task))


@router.patch("/{task_id}", response_model=Task)
async def update_task(task_id: str, body: TaskUpdate, ctx: Ctx = Depends(Scope("tasks:write"))) -> Response:
    task = load(ctx, "task", task_id, Task)
    if body.status in CLOSED and body.snoozed_until is not None:
        raise ApiError(422, "parameter_invalid", "A task cannot be closed and snoozed at once.", param="snoozed_until")
    require_exists(ctx, "user", body.assignee_user_id, "assignee_user_id")
    updated, _ = merge(task, body)
    if updated.status != task.status:
        # completed_at records when the task was finished; reopening it clears that.
        updated.completed_at = now() if updated.status == "done" else None
    return model_response(_save(ctx, task, updated))


@router.post("/{task_id}/claim", response_model=Task, summary="Take the task: assign it and start it")
async def claim_task(
    task_id: str, body: TaskClaim | None = Body(None), ctx: Ctx = Depends(Scope("tasks:write"))
) -> Response:
    task = _load_open(ctx, task_id)
    user_id = claimant(ctx, body.user_id if body is not None else None, "tasks")
    if task.status == "in_progress" and task.assignee_user_id not in (None, user_id):
        raise ApiError(409, "task_claimed", "Another staff member is already working on this task.")
    claimed = task.model_copy(update={"assignee_user_id": user_id, "status": "in_progress"})
    return model_response(_save(ctx, task, claimed))


@router.post("/{task_id}/complete", response_model=Task, summary="Finish the task with a disposition")
async def complete_task(task_id: str, body: TaskComplete, ctx: Ctx = Depends(Scope("tasks:write"))) -> Response:
    task = _load_open(ctx, task_id)
    done = task.model_copy(
        update={"status": "done", "disposition": body.disposition, "completed_at": now(), "snoozed_until": None}
    )
    return model_response(_save(ctx, task, done))


@router.post("/{task_id}/snooze", response_model=Task, summary="Push the task's due time to a later moment")
async def snooze_task(task_id: str, body: TaskSnooze, ctx: Ctx = Depends(Scope("tasks:write"))) -> Response:
    task = _load_open(ctx, task_id)
    until = body.until
    if until <= now():
        raise ApiError(422, "snooze_in_past", "'until' must be in the future.", param="until")
    snoozed = task.model_copy(update={"snoozed_until": until, "due_at": until})
    return model_response(_save(ctx, task, snoozed))

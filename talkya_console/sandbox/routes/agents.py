"""OpenClaw: agent runs, and the handoffs that put a person in the loop (claim, then resolve)."""

from __future__ import annotations

from typing import get_args

from fastapi import APIRouter, Body, Depends, Query
from starlette.responses import Response

from talkya_console.sandbox import openclaw
from talkya_console.sandbox.context import Ctx, Scope
from talkya_console.sandbox.db import Where
from talkya_console.sandbox.errors import ApiError
from talkya_console.sandbox.ids import new_id
from talkya_console.sandbox.records import load, merge, model_response, page_response, require_exists, write
from talkya_console.sandbox.routes._common import ListArgs, claimant, list_args
from talkya_console.wire import ListPage, Task
from talkya_console.wire.agents import (
    AgentRun,
    AgentRunCreate,
    Handoff,
    HandoffClaim,
    HandoffCreate,
    HandoffResolve,
    HandoffStatus,
    HandoffUpdate,
    RunStatus,
)
from talkya_console.wire.common import now
from talkya_console.wire.crm import Role

router = APIRouter(prefix="/v1/agents", tags=["openclaw"])

ROLES = frozenset(get_args(Role))
TASK_CLOSED = ("done", "cancelled")


def _resolved() -> ApiError:
    return ApiError(409, "handoff_resolved", "This handoff is already resolved; open a new handoff for new work.")


def _load_handoff(ctx: Ctx, handoff_id: str) -> Handoff:
    return load(ctx, "handoff", handoff_id, Handoff)


def _close_tasks(ctx: Ctx, handoff: Handoff) -> None:
    """Complete the open tasks linked to a handoff, whichever side holds the link."""
    linked = {t.id: t for t in ctx.db.all("task", ctx.ws, Task, Where().eq("handoff_id", handoff.id))}
    if handoff.task_id and handoff.task_id not in linked:
        task = ctx.db.get("task", ctx.ws, handoff.task_id, Task)
        if task is not None:
            linked[task.id] = task
    stamp = now()
    for task in linked.values():
        if task.status not in TASK_CLOSED:
            done = task.model_copy(
                update={
                    "status": "done",
                    "disposition": "handoff_resolved",
                    "completed_at": stamp,
                    "snoozed_until": None,
                    "updated_at": stamp,
                }
            )
            write(ctx, "task", done, action="updated", fields=["status", "disposition"], insert=False)


def _resolve(ctx: Ctx, handoff: Handoff) -> Handoff:
    """Store a handoff that has just become resolved, closing its tasks with it."""
    if not handoff.resolution:
        raise ApiError(422, "parameter_missing", "Say how the handoff was resolved in 'resolution'.", "resolution")
    stamp = now()
    handoff.resolved_at = stamp
    handoff.updated_at = stamp
    with ctx.db.tx():
        write(ctx, "handoff", handoff, action="resolved", insert=False)
        _close_tasks(ctx, handoff)
    return handoff


# -- runs ---------------------------------------------------------------------------------------


@router.post("/runs", response_model=AgentRun, status_code=201, summary="Start an agent run; it completes at once")
async def create_run(body: AgentRunCreate, ctx: Ctx = Depends(Scope("agents:write"))) -> Response:
    actor = ctx.principal.user_id or ctx.principal.actor_id
    run = openclaw.start_run(ctx.sandbox, ctx.ws, body.input, body.allowed_tools, body.context, actor)
    return model_response(run, 201)


@router.get("/runs", response_model=ListPage[AgentRun], summary="List agent runs, newest first")
async def list_runs(
    args: ListArgs = Depends(list_args),
    status: RunStatus | None = Query(None),
    ctx: Ctx = Depends(Scope("agents:read")),
) -> Response:
    where = Where().eq("status", status)
    return page_response(ctx.db.page("agent_run", ctx.ws, limit=args.limit, cursor=args.cursor, where=where))


@router.get("/runs/{run_id}", response_model=AgentRun)
async def get_run(run_id: str, ctx: Ctx = Depends(Scope("agents:read"))) -> Response:
    return model_response(load(ctx, "agent_run", run_id, AgentRun, noun="agent run"))


# -- handoffs -----------------------------------------------------------------------------------


@router.post("/handoffs", response_model=Handoff, status_code=201, summary="Hand work to staff")
async def create_handoff(body: HandoffCreate, ctx: Ctx = Depends(Scope("agents:write"))) -> Response:
    require_exists(ctx, "patient", body.patient_id, "patient_id")
    require_exists(ctx, "call", body.call_id, "call_id")
    require_exists(ctx, "user", body.assignee_user_id, "assignee_user_id")
    run = load(ctx, "agent_run", body.run_id, AgentRun, "agent run", "run_id") if body.run_id else None
    stamp = now()
    handoff = Handoff(id=new_id("ho"), created_at=stamp, updated_at=stamp, **body.model_dump())
    with ctx.db.tx():
        write(ctx, "handoff", handoff)
        openclaw.handoff_created(ctx.sandbox, ctx.ws, handoff)
        if run is not None:
            run.handoff_ids.append(handoff.id)
            ctx.db.update("agent_run", ctx.ws, run)
    return model_response(handoff, 201)


@router.get("/handoffs", response_model=ListPage[Handoff], summary="List handoffs, newest first")
async def list_handoffs(
    args: ListArgs = Depends(list_args),
    status: HandoffStatus | None = Query(None),
    assignee: str | None = Query(None, max_length=64, description="A user id, or a role such as `va`."),
    ctx: Ctx = Depends(Scope("agents:read")),
) -> Response:
    where = Where().eq("status", status)
    if assignee is not None:
        where.eq("assignee_role" if assignee in ROLES else "assignee_user_id", assignee)
    return page_response(ctx.db.page("handoff", ctx.ws, limit=args.limit, cursor=args.cursor, where=where))


@router.get("/handoffs/{handoff_id}", response_model=Handoff)
async def get_handoff(handoff_id: str, ctx: Ctx = Depends(Scope("agents:read"))) -> Response:
    return model_response(_load_handoff(ctx, handoff_id))


@router.patch("/handoffs/{handoff_id}", response_model=Handoff)
async def update_handoff(handoff_id: str, body: HandoffUpdate, ctx: Ctx = Depends(Scope("agents:write"))) -> Response:
    handoff = _load_handoff(ctx, handoff_id)
    if handoff.status == "resolved":
        raise _resolved()
    require_exists(ctx, "user", body.assignee_user_id, "assignee_user_id")
    updated, changed = merge(handoff, body)
    if not changed:
        return model_response(handoff)
    if "status" in changed and updated.status == "resolved":
        return model_response(_resolve(ctx, updated))
    if "status" in changed and updated.status == "claimed":
        if updated.assignee_user_id is None:
            raise ApiError(
                422, "user_required", "Name who claims the handoff in 'assignee_user_id'.", "assignee_user_id"
            )
        updated.claimed_at = updated.updated_at
    elif "status" in changed:  # back to open: released, unless the same update assigns someone
        updated.claimed_at = None
        if "assignee_user_id" not in body.model_fields_set:
            updated.assignee_user_id = None
    write(ctx, "handoff", updated, action="updated", fields=changed, insert=False)
    return model_response(updated)


@router.post("/handoffs/{handoff_id}/claim", response_model=Handoff, summary="Take the handoff")
async def claim_handoff(
    handoff_id: str, body: HandoffClaim | None = Body(None), ctx: Ctx = Depends(Scope("agents:write"))
) -> Response:
    handoff = _load_handoff(ctx, handoff_id)
    if handoff.status == "resolved":
        raise _resolved()
    user_id = claimant(ctx, body.user_id if body is not None else None, "handoffs")
    if handoff.status == "claimed":
        if handoff.assignee_user_id == user_id:
            return model_response(handoff)
        raise ApiError(409, "handoff_claimed", "Another staff member has already claimed this handoff.")
    stamp = now()
    claimed = handoff.model_copy(
        update={"status": "claimed", "assignee_user_id": user_id, "claimed_at": stamp, "updated_at": stamp}
    )
    write(ctx, "handoff", claimed, action="claimed", insert=False)
    return model_response(claimed)


@router.post("/handoffs/{handoff_id}/resolve", response_model=Handoff, summary="Close the handoff")
async def resolve_handoff(handoff_id: str, body: HandoffResolve, ctx: Ctx = Depends(Scope("agents:write"))) -> Response:
    handoff = _load_handoff(ctx, handoff_id)
    if handoff.status == "resolved":
        raise _resolved()
    resolved = handoff.model_copy(update={"status": "resolved", "resolution": body.resolution})
    return model_response(_resolve(ctx, resolved))

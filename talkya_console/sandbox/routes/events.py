"""The events list: the last 30 days of a workspace's events, so a receiver can catch up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi import APIRouter, Depends, Query
from starlette.responses import Response

from talkya_console.sandbox.context import Ctx, Scope
from talkya_console.sandbox.db import Where
from talkya_console.sandbox.errors import ApiError, not_found
from talkya_console.sandbox.records import json_response, page_response
from talkya_console.sandbox.routes._common import ListArgs, list_args
from talkya_console.wire.common import ListPage, format_timestamp, now
from talkya_console.wire.events import Event

router = APIRouter(prefix="/v1/events", tags=["events"])
RETENTION = timedelta(days=30)


def window_start() -> str:
    """The oldest `created_at` still served, in the stored form so strings compare."""
    return format_timestamp(now() - RETENTION)


def _since(value: datetime | None) -> str | None:
    if value is None:
        return None
    try:
        return format_timestamp(value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC))
    except (OverflowError, ValueError):
        raise ApiError(
            400, "parameter_invalid", "'created_after' is outside the supported range.", param="created_after"
        ) from None


@router.get("", response_model=ListPage[Event], summary="List the last 30 days of events, newest first")
async def list_events(
    args: ListArgs = Depends(list_args),
    type: str | None = Query(None, max_length=100, description="An exact event type, e.g. patient.created."),
    created_after: datetime | None = Query(None, description="RFC 3339; events created at or after it."),
    ctx: Ctx = Depends(Scope("webhooks:read")),
) -> Response:
    where = (
        Where()
        .eq("type", type)
        .compare("created_at", ">=", window_start())
        .compare("created_at", ">=", _since(created_after))
    )
    return page_response(ctx.db.page("event", ctx.ws, limit=args.limit, cursor=args.cursor, where=where))


@router.get("/{event_id}", response_model=Event)
async def get_event(event_id: str, ctx: Ctx = Depends(Scope("webhooks:read"))) -> Response:
    raw = ctx.db.get_raw("event", ctx.ws, event_id)
    # Past the window an event is gone, as the list says; reading it by id must agree.
    if raw is None or Event.model_validate_json(raw).created_at < now() - RETENTION:
        raise not_found("event", event_id)
    return json_response(raw)

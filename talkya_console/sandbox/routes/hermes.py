"""Hermes: routes that say where communication events go, a dry run of them, and published events."""

from __future__ import annotations

import re
from typing import get_args

from fastapi import APIRouter, Depends, Query
from starlette.responses import Response

from talkya_console.sandbox.context import Ctx, Scope
from talkya_console.sandbox.db import Where
from talkya_console.sandbox.errors import ApiError
from talkya_console.sandbox.hermes import publish, workspace_deliveries
from talkya_console.sandbox.ids import new_id
from talkya_console.sandbox.records import load, merge, model_response, page_response, require_exists, write
from talkya_console.sandbox.routes._common import ListArgs, list_args
from talkya_console.wire import Deleted, ListPage
from talkya_console.wire.agents import (
    Destination,
    HermesEvent,
    HermesEventCreate,
    HermesKind,
    HermesRoute,
    HermesRouteCreate,
    HermesRouteUpdate,
    RouteMatch,
    RouteTestResult,
)
from talkya_console.wire.common import now
from talkya_console.wire.crm import Role

router = APIRouter(prefix="/v1/hermes", tags=["hermes"])

ROLES = frozenset(get_args(Role))
TARGET_KINDS = {"channel": "channel", "user": "user", "webhook": "webhook_endpoint"}
TYPE_PATTERN = re.compile(r"^(\*|[a-z][a-z0-9_.]{0,79}(\.\*)?)$")
EXPECTED = {
    "channel": "a channel id of this workspace",
    "user": "a user id of this workspace",
    "webhook": "a webhook endpoint id of this workspace",
    "role": f"one of {', '.join(sorted(ROLES))}",
    "staff_alert": "a non-empty label",
}


def _check_types(match: RouteMatch) -> None:
    for index, pattern in enumerate(match.types):
        if not TYPE_PATTERN.match(pattern):
            raise ApiError(
                422,
                "parameter_invalid",
                "Each type is an event type such as 'call.after_hours', a 'prefix.*' pattern, or '*'.",
                param=f"match.types[{index}]",
            )


def _check_destination(ctx: Ctx, destination: Destination) -> Destination:
    """The destination with its target trimmed, once the target is known to exist (or be a role)."""
    target = destination.target.strip()
    kind = destination.kind
    if kind == "role":
        valid = target in ROLES
    elif kind in TARGET_KINDS:
        valid = bool(target) and ctx.db.exists(TARGET_KINDS[kind], ctx.ws, target)
    else:
        valid = bool(target)
    if not valid:
        raise ApiError(
            422,
            "destination_invalid",
            f"A {kind} destination's target must be {EXPECTED[kind]}.",
            param="destination.target",
        )
    return Destination(kind=kind, target=target)


@router.get("/routes", response_model=ListPage[HermesRoute], summary="List routes")
async def list_routes(args: ListArgs = Depends(list_args), ctx: Ctx = Depends(Scope("hermes:read"))) -> Response:
    return page_response(ctx.db.page("hermes_route", ctx.ws, limit=args.limit, cursor=args.cursor))


@router.post("/routes", response_model=HermesRoute, status_code=201, summary="Create a route")
async def create_route(body: HermesRouteCreate, ctx: Ctx = Depends(Scope("hermes:write"))) -> Response:
    _check_types(body.match)
    destination = _check_destination(ctx, body.destination)
    stamp = now()
    route = HermesRoute(
        id=new_id("hrt"),
        created_at=stamp,
        updated_at=stamp,
        **body.model_dump(exclude={"destination"}),
        destination=destination,
    )
    write(ctx, "hermes_route", route)
    return model_response(route, 201)


@router.post("/routes/test", response_model=RouteTestResult, summary="Where a sample event would go; stores nothing")
async def test_routes(body: HermesEventCreate, ctx: Ctx = Depends(Scope("hermes:write"))) -> Response:
    require_exists(ctx, "patient", body.patient_id, "patient_id")
    found = workspace_deliveries(ctx.sandbox, ctx.ws, body.kind, body.type, body.payload)
    return model_response(RouteTestResult(deliveries=found))


@router.get("/routes/{route_id}", response_model=HermesRoute)
async def get_route(route_id: str, ctx: Ctx = Depends(Scope("hermes:read"))) -> Response:
    return model_response(load(ctx, "hermes_route", route_id, HermesRoute, noun="route"))


@router.patch("/routes/{route_id}", response_model=HermesRoute)
async def update_route(route_id: str, body: HermesRouteUpdate, ctx: Ctx = Depends(Scope("hermes:write"))) -> Response:
    route = load(ctx, "hermes_route", route_id, HermesRoute, noun="route")
    updated, changed = merge(route, body)
    if not changed:
        return model_response(route)
    if "match" in changed:
        _check_types(updated.match)
    if "destination" in changed:
        updated.destination = _check_destination(ctx, updated.destination)
    write(ctx, "hermes_route", updated, action="updated", fields=changed, insert=False)
    return model_response(updated)


@router.delete("/routes/{route_id}", response_model=Deleted)
async def delete_route(route_id: str, ctx: Ctx = Depends(Scope("hermes:write"))) -> Response:
    load(ctx, "hermes_route", route_id, HermesRoute, noun="route")
    ctx.db.delete("hermes_route", ctx.ws, route_id)
    return model_response(Deleted(id=route_id, object="hermes_route"))


@router.post("/events", response_model=HermesEvent, status_code=201, summary="Publish an event for routing")
async def publish_event(body: HermesEventCreate, ctx: Ctx = Depends(Scope("hermes:write"))) -> Response:
    require_exists(ctx, "patient", body.patient_id, "patient_id")
    event = publish(ctx.sandbox, ctx.ws, body.kind, body.type, body.payload, body.patient_id)
    return model_response(event, 201)


@router.get("/events", response_model=ListPage[HermesEvent], summary="List published events")
async def list_events(
    args: ListArgs = Depends(list_args),
    kind: HermesKind | None = Query(None),
    type: str | None = Query(None, max_length=80),
    ctx: Ctx = Depends(Scope("hermes:read")),
) -> Response:
    where = Where().eq("kind", kind).eq("type", type)
    return page_response(ctx.db.page("hermes_event", ctx.ws, limit=args.limit, cursor=args.cursor, where=where))


@router.get("/events/{event_id}", response_model=HermesEvent)
async def get_event(event_id: str, ctx: Ctx = Depends(Scope("hermes:read"))) -> Response:
    return model_response(load(ctx, "hermes_event", event_id, HermesEvent, noun="Hermes event"))

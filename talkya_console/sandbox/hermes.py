"""Hermes routing: which routes an event fits, and publishing an event with its deliveries.
Shared by the Hermes routes and by OpenClaw runs that alert a human."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from talkya_console.sandbox.context import Sandbox
from talkya_console.sandbox.db import Where
from talkya_console.sandbox.ids import new_id
from talkya_console.sandbox.records import emit
from talkya_console.wire.agents import Delivery, HermesEvent, HermesKind, HermesRoute, RouteMatch
from talkya_console.wire.common import now
from talkya_console.wire.events import event_matches


def _text(value: Any) -> str:
    """A payload value as a condition compares it: JSON's spelling for booleans and null."""
    return value if isinstance(value, str) else json.dumps(value)


def route_fits(match: RouteMatch, kind: str, type_: str, payload: dict[str, Any]) -> bool:
    """True when an event of `kind` and `type_` with `payload` is one `match` wants."""
    if match.kinds and kind not in match.kinds:
        return False
    if match.types and not event_matches(type_, match.types):
        return False
    return all(key in payload and _text(payload[key]) == value for key, value in match.conditions.items())


def deliveries(routes: Iterable[HermesRoute], kind: str, type_: str, payload: dict[str, Any]) -> list[Delivery]:
    """Where an event goes: the enabled routes that fit it, by priority, then name, then id."""
    fitting = [r for r in routes if r.enabled and route_fits(r.match, kind, type_, payload)]
    fitting.sort(key=lambda r: (r.priority, r.name, r.id))
    return [Delivery(route_id=r.id, route_name=r.name, destination=r.destination) for r in fitting]


def workspace_deliveries(sandbox: Sandbox, ws: str, kind: str, type_: str, payload: dict[str, Any]) -> list[Delivery]:
    routes = sandbox.db.all("hermes_route", ws, HermesRoute, Where().eq("enabled", True))
    return deliveries(routes, kind, type_, payload)


def publish(
    sandbox: Sandbox, ws: str, kind: HermesKind, type_: str, payload: dict[str, Any], patient_id: str | None
) -> HermesEvent:
    """Store an event with its deliveries and emit `hermes.event.routed`, in the caller's transaction."""
    event = HermesEvent(
        id=new_id("hev"),
        kind=kind,
        type=type_,
        payload=payload,
        patient_id=patient_id,
        deliveries=workspace_deliveries(sandbox, ws, kind, type_, payload),
        created_at=now(),
    )
    data = {
        "hermes_event_id": event.id,
        "kind": kind,
        "type": type_,
        "deliveries": [d.route_id for d in event.deliveries],
    }
    with sandbox.db.tx():
        sandbox.db.insert("hermes_event", ws, event)
        emit(sandbox, ws, "hermes.event.routed", data)
    return event

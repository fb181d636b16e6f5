"""The event envelope, exactly as the API page shows it, and the event types Talkya emits."""

from __future__ import annotations

from typing import Any

from talkya_console.wire.common import Resource, Timestamp

PAGE_EVENT_TYPES = (
    "patient.created",
    "lead.created",
    "deal.stage_changed",
    "receptionist.call.completed",
    "appointment.booked",
    "encounter.closed",
    "note.signed",
    "telehealth.visit.completed",
    "message.created",
    "openclaw.run.completed",
    "hermes.event.routed",
    "task.followup_due",
)
CONTRACT_EVENT_TYPES = (
    "receptionist.call.started",
    "receptionist.call.transcript.updated",
    "openclaw.handoff.created",
)
EVENT_TYPES = PAGE_EVENT_TYPES + CONTRACT_EVENT_TYPES


class Event(Resource):
    id: str
    type: str
    created_at: Timestamp
    workspace_id: str
    data: dict[str, Any]


def event_matches(type_: str, subscribed: list[str]) -> bool:
    """True when an endpoint subscribed to `subscribed` (types, `*`, or `prefix.*`) wants `type_`."""
    for pattern in subscribed:
        if pattern == "*" or pattern == type_:
            return True
        if pattern.endswith(".*") and type_.startswith(pattern[:-1]):
            return True
    return False

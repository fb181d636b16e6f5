"""OpenClaw agent runs and handoffs, and Hermes events and routes."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints

from talkya_console.wire.common import Params, Resource, Timestamp
from talkya_console.wire.crm import Priority, Role
from talkya_console.wire.ehr import Part

Tool = Literal[
    "answer",
    "lookup_patient",
    "book_appointment",
    "create_task",
    "write_crm",
    "open_ehr_handoff",
    "alert_human",
    "send_message",
]
RunStatus = Literal["queued", "running", "completed", "failed", "cancelled"]
HandoffStatus = Literal["open", "claimed", "resolved"]


class ToolCall(Part):
    id: str
    tool: str
    input: dict[str, Any] = {}
    result: dict[str, Any] = {}
    status: Literal["ok", "error"] = "ok"
    started_at: Timestamp
    ended_at: Timestamp | None = None


OutcomeType = Literal["answered", "tool_completed", "task_created", "crm_written", "handoff", "alerted", "failed"]


class RunOutcome(Part):
    type: OutcomeType
    summary: str


class AgentRun(Resource):
    id: str
    object: Literal["agent_run"] = "agent_run"
    status: RunStatus = "queued"
    input: str
    allowed_tools: list[str]
    context: dict[str, Any] = {}
    tool_calls: list[ToolCall] = []
    handoff_ids: list[str] = []
    outcome: RunOutcome | None = None
    started_by: str | None = None
    created_at: Timestamp
    completed_at: Timestamp | None = None


class AgentRunCreate(Params):
    input: Annotated[str, StringConstraints(min_length=1, max_length=10_000)]
    allowed_tools: list[Tool] = Field(min_length=1)
    context: dict[str, Any] = {}


class Handoff(Resource):
    id: str
    object: Literal["handoff"] = "handoff"
    status: HandoffStatus = "open"
    reason: str
    summary: str | None = None
    priority: Priority = "normal"
    patient_id: str | None = None
    call_id: str | None = None
    run_id: str | None = None
    task_id: str | None = None
    assignee_user_id: str | None = None
    assignee_role: Role | None = None
    resolution: str | None = None
    created_at: Timestamp
    updated_at: Timestamp
    claimed_at: Timestamp | None = None
    resolved_at: Timestamp | None = None


class HandoffCreate(Params):
    reason: Annotated[str, StringConstraints(min_length=1, max_length=500)]
    summary: Annotated[str, StringConstraints(max_length=5_000)] | None = None
    priority: Priority = "normal"
    patient_id: str | None = None
    call_id: str | None = None
    run_id: str | None = None
    assignee_user_id: str | None = None
    assignee_role: Role | None = "front_desk"


class HandoffUpdate(Params):
    status: HandoffStatus | None = None
    assignee_user_id: str | None = None
    assignee_role: Role | None = None
    resolution: Annotated[str, StringConstraints(max_length=5_000)] | None = None
    priority: Priority | None = None


class HandoffClaim(Params):
    user_id: str | None = None


class HandoffResolve(Params):
    resolution: Annotated[str, StringConstraints(min_length=1, max_length=5_000)]


HermesKind = Literal["call", "message", "form", "bot", "webhook", "staff_alert"]
DestinationKind = Literal["channel", "webhook", "staff_alert", "role", "user"]


class RouteMatch(Part):
    kinds: list[HermesKind] = []
    types: list[str] = []
    conditions: dict[str, str] = {}


class Destination(Part):
    kind: DestinationKind
    target: str


class HermesRoute(Resource):
    id: str
    object: Literal["hermes_route"] = "hermes_route"
    name: str
    match: RouteMatch
    destination: Destination
    enabled: bool = True
    priority: int = 100
    created_at: Timestamp
    updated_at: Timestamp


class HermesRouteCreate(Params):
    name: Annotated[str, StringConstraints(min_length=1, max_length=120)]
    match: RouteMatch
    destination: Destination
    enabled: bool = True
    priority: Annotated[int, Field(ge=0, le=10_000)] = 100


class HermesRouteUpdate(Params):
    name: Annotated[str, StringConstraints(min_length=1, max_length=120)] | None = None
    match: RouteMatch | None = None
    destination: Destination | None = None
    enabled: bool | None = None
    priority: Annotated[int, Field(ge=0, le=10_000)] | None = None


class Delivery(Part):
    route_id: str
    route_name: str
    destination: Destination


class HermesEvent(Resource):
    id: str
    object: Literal["hermes_event"] = "hermes_event"
    kind: HermesKind
    type: str
    payload: dict[str, Any] = {}
    patient_id: str | None = None
    deliveries: list[Delivery] = []
    created_at: Timestamp


class HermesEventCreate(Params):
    kind: HermesKind
    type: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_.]{1,79}$")]
    payload: dict[str, Any] = {}
    patient_id: str | None = None


class RouteTestResult(Resource):
    object: Literal["route_test"] = "route_test"
    deliveries: list[Delivery]

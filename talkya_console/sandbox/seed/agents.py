"""Demo OpenClaw and Hermes data: past agent runs, a VA triage queue of handoffs, and routes."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from pydantic import BaseModel

from talkya_console.sandbox.context import Sandbox
from talkya_console.sandbox.hermes import deliveries
from talkya_console.sandbox.openclaw import Built, IdMaker, plan_run
from talkya_console.sandbox.seed.staff import CHANNEL_BILLING, CHANNEL_FRONT_DESK, CHANNEL_PROVIDERS, staff
from talkya_console.wire.agents import (
    Destination,
    Handoff,
    HermesEvent,
    HermesKind,
    HermesRoute,
    RouteMatch,
    Tool,
    ToolCall,
)
from talkya_console.wire.crm import Task
from talkya_console.wire.ehr import Patient

# Channel ids the Hermes routes deliver to; the messenger seed creates channels with these ids.
# The webhook endpoint the (disabled) mirror route names; the webhooks seed may create it.
WEBHOOK_MIRROR = "we_mirror"

ALL_TOOLS: tuple[Tool, ...] = ("answer", "lookup_patient", "book_appointment", "create_task", "write_crm",
                               "open_ehr_handoff", "alert_human", "send_message")  # fmt: skip
ANSWER_ONLY: tuple[Tool, ...] = ("answer", "lookup_patient", "send_message")
ANSWER_ONLY_RUNS = 2  # runs that may only answer, so some handoffs say a tool was missing

REQUESTS = (
    "Can I book a Botox appointment for next Tuesday?",
    "I need to reschedule my consult to Friday afternoon.",
    "How much does lip filler cost?",
    "What is the price of a HydraFacial?",
    "I need a refill of my semaglutide before Monday.",
    "My GLP-1 dose makes me nauseous, can the doctor adjust it?",
    "I was charged twice last week and I want a refund.",
    "I have a question about my billing statement.",
    "I'm interested in your laser hair removal packages.",
    "A friend told me about your IV therapy, I'm interested.",
    "This is unacceptable, I waited 40 minutes. I want to file a complaint.",
    "I'm really upset that nobody called me back.",
    "My lip is swelling badly after filler, is this an emergency?",
    "What are your hours on Saturday?",
    "Is there parking at the Brickell location?",
)

# (name, kinds, types, conditions, destination kind, target, priority, enabled)
ROUTES = (
    ("Urgent staff alerts to providers", ["staff_alert"], [], {"priority": "urgent"}, "role", "provider", 5, True),
    ("After-hours calls to front desk", ["call"], ["call.after_hours"], {}, "channel", CHANNEL_FRONT_DESK, 10, True),
    ("Form submissions to front desk", ["form"], ["form.*"], {}, "role", "front_desk", 20, True),
    ("Spanish-speaking callers to Lucia", ["call"], ["call.*"], {"language": "es"}, "user", "usr_105", 25, True),
    ("Billing bot to billing channel", ["bot"], ["bot.billing.*"], {}, "channel", CHANNEL_BILLING, 30, True),
    ("GLP-1 messages to providers", ["message"], ["message.*"], {"topic": "glp1"}, "channel", CHANNEL_PROVIDERS, 40,
     True),
    ("Staff alerts to VA triage", ["staff_alert"], [], {}, "role", "va", 50, True),
    ("Mirror everything to the integration webhook", [], ["*"], {}, "webhook", WEBHOOK_MIRROR, 900, False),
)  # fmt: skip

# Handoffs opened from calls rather than runs: (reason, priority, role)
CALL_HANDOFFS = (
    ("Caller asked for a callback about lab results", "normal", "va"),
    ("Voicemail unclear: confirm what the caller needs", "low", "front_desk"),
)

# Hermes events besides the runs' staff alerts: (kind, type, payload)
SAMPLE_EVENTS: tuple[tuple[HermesKind, str, dict[str, str]], ...] = (
    ("call", "call.after_hours", {"language": "en"}),
    ("call", "call.after_hours", {"language": "es"}),
    ("form", "form.intake_submitted", {"form": "new_patient_intake"}),
    ("bot", "bot.billing.question", {"topic": "refund"}),
    ("message", "message.patient_reply", {"topic": "glp1"}),
)


def _routes(make_id: IdMaker, stamp: datetime) -> list[HermesRoute]:
    return [
        HermesRoute(
            id=make_id("hrt"),
            name=name,
            match=RouteMatch(kinds=kinds, types=types, conditions=conditions),
            destination=Destination(kind=kind, target=target),
            priority=priority,
            enabled=enabled,
            created_at=stamp,
            updated_at=stamp,
        )
        for name, kinds, types, conditions, kind, target, priority, enabled in ROUTES
    ]


def _triage(handoffs: list[Handoff], tasks: dict[str, Task], users: dict[str, list[str]], rng: random.Random) -> None:
    """The oldest handoffs are resolved, the middle ones claimed, the newest still open."""
    ordered = sorted(handoffs, key=lambda h: h.created_at)
    resolved, claimed = len(ordered) * 2 // 5, len(ordered) * 7 // 10
    for index, handoff in enumerate(ordered[:claimed]):
        role = handoff.assignee_role or "va"
        handoff.assignee_user_id = rng.choice(users.get(role) or users["va"])
        handoff.status = "claimed"
        handoff.claimed_at = handoff.created_at + timedelta(minutes=rng.randrange(3, 45))
        handoff.updated_at = handoff.claimed_at
        if index >= resolved:
            continue
        handoff.status = "resolved"
        handoff.resolution = rng.choice(["Called the patient back; all set.", "Provider reviewed and replied."])
        handoff.resolved_at = handoff.claimed_at + timedelta(minutes=rng.randrange(10, 240))
        handoff.updated_at = handoff.resolved_at
        task = tasks.get(handoff.task_id or "")
        if task is not None:
            task.status, task.disposition = "done", "handoff_resolved"
            task.completed_at = task.updated_at = handoff.resolved_at


def _alert(built: Built, call: ToolCall, routes: list[HermesRoute], make_id: IdMaker) -> HermesEvent:
    """The Hermes staff alert an `alert_human` call published, as `start_run` would have."""
    type_, payload = built.alert(call)
    found = deliveries(routes, "staff_alert", type_, payload)
    alert = HermesEvent(
        id=make_id("hev"),
        kind="staff_alert",
        type=type_,
        payload=payload,
        patient_id=built.ref("patient_id"),
        deliveries=found,
        created_at=built.at,
    )
    call.result.update(hermes_event_id=alert.id, deliveries=[d.route_id for d in found])
    return alert


def _runs(
    patients: list[Patient], routes: list[HermesRoute], rng: random.Random, make_id: IdMaker, today: datetime
) -> list[Built]:
    """Each sample request twice, at random moments of the last two weeks; a couple may only answer."""
    requests = list(REQUESTS * 2)
    rng.shuffle(requests)
    runs = []
    for index, text in enumerate(requests):
        at = today - timedelta(minutes=rng.randrange(60, 14 * 24 * 60))
        tools = ANSWER_ONLY if index < ANSWER_ONLY_RUNS else ALL_TOOLS
        context = {"patient_id": rng.choice(patients).id} if patients and rng.random() < 0.8 else {}
        runs.append(plan_run(text, tools, context, at=at, make_id=make_id))
    return runs


def seed_agents(
    sandbox: Sandbox,
    patients: list[Patient],
    rng: random.Random,
    workspace_id: str = "ws_truebliss",
    *,
    today: datetime,
) -> None:
    """~30 past runs, ~12 handoffs in VA triage, 8 Hermes routes and their events; no webhook events."""

    def make_id(prefix: str) -> str:
        return f"{prefix}_{rng.getrandbits(56):014x}"

    users: dict[str, list[str]] = {}
    for user in staff(workspace_id):
        users.setdefault(user.role, []).append(user.id)
    users.setdefault("va", users.get("front_desk", []))
    routes = _routes(make_id, today - timedelta(days=30))
    models: list[tuple[str, BaseModel]] = [("hermes_route", r) for r in routes]
    handoffs: list[Handoff] = []
    tasks: dict[str, Task] = {}
    for built in _runs(patients, routes, rng, make_id, today):
        models += [("hermes_event", _alert(built, call, routes, make_id)) for call in built.alerts]
        models.append(("agent_run", built.run))
        handoffs += built.handoffs
        tasks.update((t.id, t) for t in built.tasks)
    for reason, priority, role in CALL_HANDOFFS:
        at = today - timedelta(minutes=rng.randrange(60, 3 * 24 * 60))
        patient_id = rng.choice(patients).id if patients else None
        handoffs.append(
            Handoff(
                id=make_id("ho"),
                reason=reason,
                priority=priority,
                patient_id=patient_id,
                assignee_role=role,
                created_at=at,
                updated_at=at,
            )
        )
    for kind, type_, payload in SAMPLE_EVENTS:
        at = today - timedelta(minutes=rng.randrange(60, 7 * 24 * 60))
        found = deliveries(routes, kind, type_, payload)
        event = HermesEvent(id=make_id("hev"), kind=kind, type=type_, payload=payload, deliveries=found, created_at=at)
        models.append(("hermes_event", event))
    _triage(handoffs, tasks, users, rng)
    models += [("handoff", h) for h in handoffs] + [("task", t) for t in tasks.values()]
    rows = [
        (m.id, kind, workspace_id, int(m.created_at.timestamp() * 1e6) + index, m.model_dump_json())  # type: ignore[attr-defined]
        for index, (kind, m) in enumerate(models)
    ]
    with sandbox.db.tx():
        sandbox.db.conn.executemany(
            "INSERT INTO records (id, kind, workspace_id, ts, data) VALUES (?, ?, ?, ?, ?)", rows
        )

"""OpenClaw, the sandbox's agent: a deterministic, rule-based stand-in for the real one.

A run classifies its input by keywords, calls the tools of that intent's plan that the run may
use, and creates the records those calls stand for (tasks, handoffs, a Hermes staff alert). A step
whose tool the run may not use becomes a handoff to a person instead. No network, no model."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, get_args

from talkya_console.sandbox.context import Sandbox
from talkya_console.sandbox.errors import ApiError, not_found
from talkya_console.sandbox.hermes import publish
from talkya_console.sandbox.ids import new_id
from talkya_console.sandbox.records import emit
from talkya_console.wire.agents import AgentRun, Handoff, OutcomeType, RunOutcome, Tool, ToolCall
from talkya_console.wire.common import format_timestamp, now
from talkya_console.wire.crm import Priority, Role, Task

TOOLS = frozenset(get_args(Tool))
CONTEXT_REFS = (("patient_id", "patient"), ("call_id", "call"))
NEEDS_TOOL = "needs a tool this run may not use"
DUE_IN = {"urgent": timedelta(hours=1), "high": timedelta(hours=4), "normal": timedelta(days=1)}
SUMMARY_CHARS = 500

IdMaker = Callable[[str], str]


def _words(*words: str) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(re.escape(w) for w in words) + r")(?:s|es)?\b")


# First match wins: safety first, then clinical, then money, then scheduling and sales.
RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("emergency", _words("emergency", "911", "chest pain", "can't breathe", "cannot breathe", "allergic reaction")),
    ("complaint", _words("angry", "furious", "upset", "complaint", "complain", "unacceptable", "manager", "lawyer")),
    (
        "medication",
        _words(
            "refill", "glp-1", "glp1", "semaglutide", "tirzepatide", "ozempic", "wegovy", "mounjaro", "zepbound",
            "medication", "prescription", "dose", "dosage",
        ),
    ),
    ("billing", _words("billing", "bill", "refund", "charged", "charge", "invoice", "receipt")),
    ("booking", _words("book", "booking", "appointment", "appt", "reschedule", "rebook", "schedule")),
    ("price", _words("price", "pricing", "cost", "how much", "fee", "quote")),
    ("lead", _words("interested", "lead", "sign up", "more info", "more information")),
)  # fmt: skip

# (service, its words, the sandbox's fictional price)
SERVICES: tuple[tuple[str, re.Pattern[str], str], ...] = (
    ("botox", _words("botox", "tox"), "Botox is $14 per unit; most treatments use 20 to 40 units."),
    ("filler", _words("filler", "lip filler"), "Dermal filler starts at $650 per syringe."),
    ("facial", _words("facial", "hydrafacial"), "Facials start at $120; the HydraFacial is $199."),
    ("laser", _words("laser"), "Laser hair removal starts at $150 per session; packages of six save 20%."),
    ("iv_therapy", _words("iv", "iv therapy", "drip"), "IV therapy drips start at $175."),
)
GENERAL_ANSWER = (
    "The clinic is open Monday to Saturday, 9am to 6pm. I can book visits, answer pricing questions, "
    "and pass anything else to our team."
)
PRICE_ANSWER = "Consultations are free; our team will send a personalised quote after your consult."


@dataclass(frozen=True)
class Plan:
    """What an intent does: its tools in order, the run's outcome, and who follow-ups go to."""

    tools: tuple[str, ...]
    outcome: OutcomeType
    summary: str
    title: str = ""
    priority: Priority = "normal"
    role: Role = "va"
    human: bool = False  # always ends with a handoff to a person


PLANS: dict[str, Plan] = {
    "emergency": Plan(
        ("alert_human",), "alerted", "Possible emergency: staff alerted and a handoff opened.",
        "Possible emergency: call the patient back now", "urgent", "front_desk", human=True,
    ),
    "complaint": Plan(
        ("alert_human",), "alerted", "Unhappy patient: staff alerted and a handoff opened.",
        "Unhappy patient: follow up personally", "high", "va", human=True,
    ),
    "medication": Plan(
        ("open_ehr_handoff", "create_task"), "handoff", "Medication request handed to a provider with a review task.",
        "Review medication request", "high", "provider",
    ),
    "billing": Plan(("create_task",), "task_created", "Billing request queued for the billing team.",
                    "Billing follow-up", "normal", "billing"),
    "booking": Plan(("book_appointment",), "tool_completed", "Appointment booked.", "Book an appointment"),
    "price": Plan(("answer",), "answered", "Answered a pricing question.", "Pricing question"),
    "lead": Plan(("write_crm",), "crm_written", "Interest noted in the CRM for follow-up.", "New interest"),
    "general": Plan(("answer",), "answered", "Answered with general clinic information.", "General question"),
}  # fmt: skip


def classify(text: str) -> str:
    """The intent of a request: the first rule whose keywords it contains, else `general`."""
    lowered = text.lower()
    return next((intent for intent, pattern in RULES if pattern.search(lowered)), "general")


def service_of(text: str) -> tuple[str, str] | None:
    """The first service a request names, with its price answer."""
    lowered = text.lower()
    return next(((name, answer) for name, words, answer in SERVICES if words.search(lowered)), None)


def next_slot(at: datetime) -> datetime:
    """The first weekday after `at`, 10am Eastern (15:00 UTC): the sandbox's calendar is always open."""
    day = at + timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day.replace(hour=15, minute=0, second=0, microsecond=0)


@dataclass
class Built:
    """A run and the records it created, before they are stored."""

    run: AgentRun
    plan: Plan
    intent: str
    make_id: IdMaker
    tasks: list[Task] = field(default_factory=list)
    handoffs: list[Handoff] = field(default_factory=list)
    alerts: list[ToolCall] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    human: Handoff | None = None

    @property
    def at(self) -> datetime:
        return self.run.created_at

    def ref(self, key: str) -> str | None:
        value = self.run.context.get(key)
        return value if isinstance(value, str) else None

    def _summary(self) -> str:
        return f"Request: {self.run.input[:SUMMARY_CHARS]}"

    def _handoff(self, reason: str, priority: Priority, role: Role) -> Handoff:
        handoff = Handoff(
            id=self.make_id("ho"),
            reason=reason,
            summary=self._summary(),
            priority=priority,
            patient_id=self.ref("patient_id"),
            call_id=self.ref("call_id"),
            run_id=self.run.id,
            assignee_role=role,
            created_at=self.at,
            updated_at=self.at,
        )
        self.handoffs.append(handoff)
        self.run.handoff_ids.append(handoff.id)
        return handoff

    def hand_to_person(self, blocked_tool: str | None = None) -> None:
        """Open the run's one handoff to a person, or add a tool it could not use to its reason."""
        if blocked_tool is not None:
            self.blocked.append(blocked_tool)
        reason = self.plan.title
        if self.blocked:
            reason = f"{reason}: {NEEDS_TOOL} ({', '.join(self.blocked)})"
        if self.human is None:
            role = self.plan.role if self.plan.human else "va"
            self.human = self._handoff(reason, self.plan.priority, role)
        else:
            self.human.reason = reason

    def call(self, tool: str) -> None:
        result = getattr(self, f"_{tool}")()
        stamp = self.at
        call = ToolCall(
            id=self.make_id("tc"), tool=tool, input=self._tool_input(), result=result, started_at=stamp, ended_at=stamp
        )
        self.run.tool_calls.append(call)
        if tool == "alert_human":
            self.alerts.append(call)

    def _tool_input(self) -> dict[str, Any]:
        refs = {key: self.ref(key) for key, _ in CONTEXT_REFS}
        return {"intent": self.intent, **{k: v for k, v in refs.items() if v is not None}}

    def _answer(self) -> dict[str, Any]:
        if self.intent != "price":
            return {"text": GENERAL_ANSWER}
        service = service_of(self.run.input)
        return {"text": service[1] if service else PRICE_ANSWER}

    def _book_appointment(self) -> dict[str, Any]:
        kind = "reschedule" if re.search(r"\bre(schedule|book)", self.run.input.lower()) else "new"
        slot = format_timestamp(next_slot(self.at))
        return {"status": "booked", "kind": kind, "starts_at": slot, "patient_id": self.ref("patient_id")}

    def _open_ehr_handoff(self) -> dict[str, Any]:
        handoff = self._handoff(self.plan.title, self.plan.priority, self.plan.role)
        return {"handoff_id": handoff.id}

    def _create_task(self) -> dict[str, Any]:
        linked = self.handoffs[-1] if self.handoffs else None
        task = Task(
            id=self.make_id("task"),
            title=self.plan.title,
            description=self._summary(),
            assignee_role=self.plan.role,
            due_at=self.at + DUE_IN.get(self.plan.priority, DUE_IN["normal"]),
            priority=self.plan.priority,
            patient_id=self.ref("patient_id"),
            call_id=self.ref("call_id"),
            handoff_id=linked.id if linked else None,
            created_at=self.at,
            updated_at=self.at,
        )
        if linked is not None and linked.task_id is None:
            linked.task_id = task.id
        self.tasks.append(task)
        return {"task_id": task.id}

    def _write_crm(self) -> dict[str, Any]:
        service = service_of(self.run.input)
        interest = service[0] if service else None
        note = f"Interest in {interest} noted" if interest else "Interest noted"
        return {"note": f"{note}; follow up within one business day.", "service_interest": interest}

    def _alert_human(self) -> dict[str, Any]:
        return {"role": self.plan.role, "priority": self.plan.priority}

    def alert(self, call: ToolCall) -> tuple[str, dict[str, Any]]:
        """The Hermes `staff_alert` event type and payload an `alert_human` call publishes: ids only."""
        return f"staff_alert.{self.intent}", {"run_id": self.run.id, **call.result}

    def outcome(self) -> RunOutcome:
        if self.blocked:
            tools = ", ".join(self.blocked)
            return RunOutcome(type="handoff", summary=f"Handed to a person: the run {NEEDS_TOOL} ({tools}).")
        return RunOutcome(type=self.plan.outcome, summary=self.plan.summary)


def plan_run(
    input: str,
    allowed_tools: Sequence[str],
    context: Mapping[str, Any],
    *,
    at: datetime,
    actor: str | None = None,
    make_id: IdMaker = new_id,
) -> Built:
    """Run the agent in memory: no storage, so the seed can reuse it with its own clock and ids."""
    intent = classify(input)
    plan = PLANS[intent]
    run = AgentRun(
        id=make_id("run"),
        status="completed",
        input=input,
        allowed_tools=list(allowed_tools),
        context=dict(context),
        started_by=actor,
        created_at=at,
        completed_at=at,
    )
    built = Built(run, plan, intent, make_id)
    for tool in plan.tools:
        if tool in allowed_tools:
            built.call(tool)
        else:
            built.hand_to_person(tool)
    if plan.human and built.human is None:
        built.hand_to_person()
    run.outcome = built.outcome()
    return built


def handoff_created(sandbox: Sandbox, ws: str, handoff: Handoff) -> None:
    """Emit `openclaw.handoff.created` for a stored handoff, ids only."""
    data = {
        "handoff_id": handoff.id,
        "run_id": handoff.run_id,
        "patient_id": handoff.patient_id,
        "call_id": handoff.call_id,
        "priority": handoff.priority,
    }
    emit(sandbox, ws, "openclaw.handoff.created", data)


def _check(sandbox: Sandbox, ws: str, allowed_tools: Sequence[str], context: Mapping[str, Any]) -> None:
    for index, tool in enumerate(allowed_tools):
        if tool not in TOOLS:
            raise ApiError(
                422, "parameter_invalid", "Each allowed tool must be one OpenClaw knows.", f"allowed_tools[{index}]"
            )
    for key, kind in CONTEXT_REFS:
        value = context.get(key)
        if value is None:
            continue
        if not isinstance(value, str):
            raise ApiError(422, "parameter_invalid", f"'context.{key}' must be a string id.", f"context.{key}")
        if not sandbox.db.exists(kind, ws, value):
            raise not_found(kind, value, f"context.{key}")


def start_run(
    sandbox: Sandbox,
    ws: str,
    input: str,
    allowed_tools: Sequence[str],
    context: Mapping[str, Any] | None,
    actor: str | None = None,
) -> AgentRun:
    """Run the agent to completion and store the run, its records and its events in one transaction."""
    context = context or {}
    _check(sandbox, ws, allowed_tools, context)
    built = plan_run(input, allowed_tools, context, at=now(), actor=actor)
    run, db = built.run, sandbox.db
    with db.tx():
        for call in built.alerts:
            type_, payload = built.alert(call)
            alert = publish(sandbox, ws, "staff_alert", type_, payload, built.ref("patient_id"))
            call.result.update(hermes_event_id=alert.id, deliveries=[d.route_id for d in alert.deliveries])
        db.insert("agent_run", ws, run)
        for task in built.tasks:
            db.insert("task", ws, task)
        for handoff in built.handoffs:
            db.insert("handoff", ws, handoff)
            handoff_created(sandbox, ws, handoff)
        outcome = built.outcome().type
        emit(sandbox, ws, "openclaw.run.completed", {"run_id": run.id, "status": run.status, "outcome": outcome})
    return run

"""Two weeks of a busy med spa's communication: receptionist calls with transcripts, messenger
channels and messages, telehealth visits, and the default routing rules. Synthetic throughout.

Deterministic for a given "today" (midnight UTC) and random generator.
Written in bulk, without events, as seeding is history rather than news.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel

from talkya_console.sandbox.context import Sandbox
from talkya_console.sandbox.receptionist import VISIT_TYPES, default_rules, rules_id, transcript_id
from talkya_console.sandbox.seed.conversations import (
    CALLER_NAMES,
    CHATTER,
    CLINIC_TZ,
    DIAS,
    NEXT_STEPS,
    SOURCES,
    booking_slot,
    pick_call,
    script_segments,
    spoken_time,
)
from talkya_console.sandbox.seed.staff import (
    CHANNEL_BILLING,
    CHANNEL_FRONT_DESK,
    CHANNEL_MARKETING,
    CHANNEL_PROVIDERS,
    providers,
    staff,
)
from talkya_console.wire.ehr import Patient
from talkya_console.wire.messenger import Author, Channel, Message
from talkya_console.wire.receptionist import (
    BookedAppointment,
    Call,
    Caller,
    RoutingRules,
    Transcript,
)
from talkya_console.wire.telehealth import Attendance, JoinLinks, Recording, TelehealthVisit

CHANNELS_SINCE = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"
CHANNELS = [
    (
        CHANNEL_FRONT_DESK,
        "front-desk",
        "front_desk",
        "Front desk at both locations",
        ["usr_101", "usr_102", "usr_103", "usr_105"],
    ),
    (
        CHANNEL_PROVIDERS,
        "providers",
        "providers",
        "Clinical team",
        ["usr_106", "usr_110", "usr_112", "usr_114", "usr_116"],
    ),
    (CHANNEL_BILLING, "billing", "billing", "Billing and memberships", ["usr_101", "usr_102", "usr_107"]),
    (CHANNEL_MARKETING, "marketing-team", "client_team", "Talkya and the marketing agency", ["usr_101", "usr_106"]),
]
VISIT_REASONS = ["GLP-1 refill review", "Weight management follow-up", "Post-filler check", "Lab results review"]
VISIT_REASONS += ["Botox follow-up", "Acne treatment follow-up"]


def _id(rng: random.Random, prefix: str) -> str:
    return f"{prefix}_{''.join(rng.choices(_ALPHABET, k=14))}"


class _Rows:
    """Records to insert, each with a keyset `ts` from its creation time (plus an offset so
    records created in the same second keep a stable order)."""

    def __init__(self, workspace_id: str) -> None:
        self.workspace_id = workspace_id
        self.rows: list[tuple[str, str, str, int, str]] = []

    def add(self, kind: str, model: BaseModel, created_at: datetime) -> None:
        ts = int(created_at.timestamp() * 1_000_000) + len(self.rows)
        self.rows.append((model.id, kind, self.workspace_id, ts, model.model_dump_json()))  # type: ignore[attr-defined]


def _calls(rows: _Rows, rng: random.Random, patients: list[Patient], count: int, today: datetime) -> list[Call]:
    calls = []
    for _ in range(count):
        intent, outcome = pick_call(rng)
        known = rng.choice(patients) if patients and rng.random() < 0.55 else None
        phone = (
            known.phones[0].number
            if known and known.phones
            else f"+1{rng.choice(['305', '786'])}55501{rng.randrange(100):02d}"
        )
        first = known.first_name if known else rng.choice(CALLER_NAMES)
        day = today - timedelta(days=rng.randint(1, 14))
        hour = rng.choice([23, 0, 1, 2]) if intent == "after_hours" else rng.randint(13, 22)
        started = day.replace(hour=hour, minute=rng.randrange(60), second=rng.randrange(60))
        slot = booking_slot(rng, started)
        local = slot.astimezone(CLINIC_TZ)
        day_name = DIAS[local.weekday()] if intent == "spanish_speaker" else local.strftime("%A")
        fill = {"first": first, "day": day_name, "time": spoken_time(local)}
        segments = script_segments(rng, intent, outcome, fill)
        duration = segments[-1].end_ms // 1000 + 3
        ended = started + timedelta(seconds=duration)
        source, campaign = rng.choice(SOURCES)
        summary = f"{intent.replace('_', ' ').capitalize()} call; {outcome.replace('_', ' ')}."
        call = Call(
            id=_id(rng, "call"),
            status="completed",
            source=source,
            caller=Caller(phone=phone, name=known.name if known else None, patient_id=known.id if known else None),
            intent=intent,
            outcome=outcome,
            campaign=campaign,
            language="es" if intent == "spanish_speaker" else "en",
            summary=summary,
            appointment=BookedAppointment(visit_type=VISIT_TYPES.get(intent, "follow_up"), scheduled_at=slot)
            if outcome == "appointment_booked"
            else None,
            duration_seconds=duration,
            started_at=started,
            ended_at=ended,
            created_at=started,
            updated_at=ended,
        )
        transcript = Transcript(
            id=transcript_id(call.id),
            call_id=call.id,
            status="final",
            language=call.language,
            segments=segments,
            summary=summary,
            next_steps=NEXT_STEPS[outcome],
        )
        calls.append(call)
        rows.add("call", call, started)
        rows.add("transcript", transcript, started)
    for _ in range(max(1, count // 30)):  # callers who hung up while it rang
        started = today - timedelta(days=rng.randint(1, 14), hours=rng.randint(1, 10), minutes=rng.randrange(60))
        call = Call(
            id=_id(rng, "call"),
            status="missed",
            caller=Caller(phone=f"+1954555010{rng.randrange(10)}"),
            started_at=started,
            ended_at=started,
            created_at=started,
            updated_at=started,
        )
        rows.add("call", call, started)
        rows.add("transcript", Transcript(id=transcript_id(call.id), call_id=call.id, status="final"), started)
    return calls


def _messages(
    rows: _Rows, rng: random.Random, calls: list[Call], users: dict[str, str], count: int, today: datetime
) -> None:
    channels = {
        name: Channel(
            id=channel_id,
            name=name,
            purpose=purpose,
            description=description,
            member_ids=[m for m in members if m in users] or sorted(users),
            created_at=CHANNELS_SINCE,
            updated_at=CHANNELS_SINCE,
        )
        for channel_id, name, purpose, description, members in CHANNELS
    }
    planned: list[tuple[datetime, str, dict[str, Any]]] = []
    bot = Author(type="bot", id="bot_talkya", name="Talkya AI")
    for call in calls:
        ended = (call.ended_at or call.started_at) + timedelta(seconds=5)
        patient_id = call.caller.patient_id
        if call.outcome == "appointment_booked" and call.appointment and rng.random() < 0.6:
            local = call.appointment.scheduled_at.astimezone(CLINIC_TZ)
            when = f"{local.strftime('%a %b')} {local.day}, {spoken_time(local)}"
            text = (
                f"Booked by the AI receptionist: {call.appointment.visit_type.replace('_', ' ')} on {when} ({call.id})."
            )
            planned.append(
                (ended, "front-desk", {"kind": "bot_reply", "author": bot, "text": text, "patient_id": patient_id})
            )
        elif call.outcome == "handoff":
            channel = {"glp1_refill": "providers", "billing_question": "billing"}.get(call.intent or "", "front-desk")
            mention = {"providers": "usr_114", "billing": "usr_107"}.get(channel, "usr_102")
            mentions = [mention] if mention in users else []
            text = f"Handoff from the AI receptionist: {(call.intent or 'call').replace('_', ' ')} needs a person ({call.id})."
            author = Author(type="system", name="Talkya Hermes")
            data = {"kind": "staff_alert", "author": author, "text": text, "patient_id": patient_id}
            planned.append((ended, channel, {**data, "mentions": mentions}))
    while len(planned) < count:
        name = rng.choice(list(CHATTER))
        user_id = rng.choice(channels[name].member_ids)
        text = rng.choice(CHATTER[name])
        author = Author(type="user", id=user_id, name=users[user_id])
        data: dict[str, Any] = {"kind": "text", "author": author, "text": text}
        if rng.random() < 0.2:
            other = rng.choice([u for u in channels[name].member_ids if u != user_id] or [user_id])
            data["text"] = f"@{users[other]} {text}"
            data["mentions"] = [other]
        at = (
            today - timedelta(days=rng.randint(1, 14)) + timedelta(hours=rng.randint(13, 22), minutes=rng.randrange(60))
        )
        planned.append((at, name, data))
    planned.sort(key=lambda p: p[0])
    for at, name, data in planned[:count]:
        message = Message(id=_id(rng, "msg"), channel_id=channels[name].id, created_at=at, **data)
        rows.add("message", message, at)
        channels[name].last_message_at = at
    for channel in channels.values():
        rows.add("channel", channel, CHANNELS_SINCE)


def _visit(rng: random.Random, patient: Patient, provider_id: str, at: datetime, status: str) -> TelehealthVisit:
    visit_id = _id(rng, "tv")
    created = at - timedelta(days=rng.randint(2, 10))
    links = {
        role: f"https://meet.talkya.ai/v/{visit_id}?role={role}&t={rng.getrandbits(96):024x}"
        for role in ("patient", "provider")
    }
    recorded = rng.random() < 0.6
    visit = TelehealthVisit(
        id=visit_id,
        patient_id=patient.id,
        provider_id=provider_id,
        status=status,
        reason=rng.choice(VISIT_REASONS),
        scheduled_at=at,
        recording=Recording(enabled=recorded),
        join_links=JoinLinks(**links),
        created_at=created,
        updated_at=created,
    )
    if status in ("waiting", "completed"):
        joined = at - timedelta(minutes=rng.randint(1, 6))
        visit.attendance = Attendance(patient_joined_at=joined, patient_present=status == "waiting")
    if status == "completed":
        started = at + timedelta(minutes=rng.randint(0, 8))
        ended = started + timedelta(minutes=rng.randint(9, 28), seconds=rng.randrange(60))
        visit.attendance.provider_joined_at = started
        visit.started_at, visit.ended_at = started, ended
        visit.duration_seconds = int((ended - started).total_seconds())
        visit.recording.state = "available" if recorded else "off"
        visit.updated_at = ended
    return visit


def _visits(rows: _Rows, rng: random.Random, patients: list[Patient], provider_ids: list[str], today: datetime) -> None:
    # (days from today, status): the past is mostly done, today is under way, the rest is booked.
    plan = [(-d, "completed") for d in (1, 2, 3, 5, 6, 8, 10)] + [(-4, "no_show"), (-7, "cancelled")]
    plan += [(0, "completed"), (0, "waiting"), (0, "scheduled"), (0, "scheduled"), (2, "scheduled"), (5, "scheduled")]
    for days, status in plan:
        at = (today + timedelta(days=days)).replace(hour=rng.randint(14, 21), minute=rng.choice([0, 15, 30, 45]))
        visit = _visit(rng, rng.choice(patients), rng.choice(provider_ids), at, status)
        rows.add("telehealth_visit", visit, visit.created_at)


def seed_comms(
    sandbox: Sandbox,
    patients: list[Patient],
    rng: random.Random,
    workspace_id: str = "ws_truebliss",
    *,
    today: datetime,
) -> None:
    """Seed calls, transcripts, channels, messages, visits and routing rules for a workspace."""
    rows = _Rows(workspace_id)
    users = {u.id: u.name for u in staff(workspace_id)}
    calls = _calls(rows, rng, patients, 150, today)
    _messages(rows, rng, calls, users, 200, today)
    if patients:
        _visits(rows, rng, patients, [p.id for p in providers(workspace_id)], today)
    rules = RoutingRules.model_validate({**default_rules().model_dump(), "id": rules_id(workspace_id)})
    rows.add("routing_rules", rules, rules.updated_at)
    with sandbox.db.tx():
        sandbox.db.conn.executemany(
            "INSERT INTO records (id, kind, workspace_id, ts, data) VALUES (?, ?, ?, ?, ?)", rows.rows
        )

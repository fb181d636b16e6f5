"""Two weeks of a busy med spa's communication: receptionist calls with transcripts, messenger
channels and messages, telehealth visits, and the default routing rules. Synthetic throughout.

Deterministic: a fixed "today" and the caller's random generator, so every seed is the same.
Written in bulk, without events, as seeding is history rather than news.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel

from talkya_console.sandbox.context import Sandbox
from talkya_console.sandbox.receptionist import VISIT_TYPES, default_rules, rules_id, transcript_id
from talkya_console.sandbox.seed.staff import providers, staff
from talkya_console.wire.ehr import Patient
from talkya_console.wire.messenger import Author, Channel, Message
from talkya_console.wire.receptionist import (
    BookedAppointment,
    Call,
    Caller,
    RoutingRules,
    Transcript,
    TranscriptSegment,
)
from talkya_console.wire.telehealth import Attendance, JoinLinks, Recording, TelehealthVisit

TODAY = datetime(2026, 11, 20, tzinfo=UTC)
CLINIC_TZ = ZoneInfo("America/New_York")
CHANNELS_SINCE = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"
_NAMES = "Ashley Brianna Carlos Dominique Erin Fernanda Gianna Heather Isabel Jasmine Kayla Luis Monica".split()

# Each section is a script: an intent's opening, an outcome's close (`done:` prefix, `es:` for the
# Spanish ones) or fillers. A call is its intent's lines, some fillers, then its outcome's close.
_SCRIPTS = """
== new_consult
A Thank you for calling TrueBliss Med Spa, this is Talkya. How can I help you today?
C Hi, I saw your ad and I'm interested in Botox for my forehead lines. I've never had it before.
A Wonderful, a first-time consult is the best place to start. May I have your first name?
C It's {first}.
A Thanks, {first}. Our injectors start with a 30-minute consult to talk through goals and dosing.
C How much does the consult cost?
A The consult is complimentary, and it's credited toward your first treatment.
== glp1_refill
A Thank you for calling TrueBliss Med Spa, this is Talkya. How can I help you today?
C Hi, I'm on the semaglutide program and I'm almost out. I need my refill.
A I can help with that. Can you confirm your date of birth for me?
C Sure, it's the one on file. {first}.
A Thank you, {first}, I found your chart. Your last check-in was about four weeks ago.
C Yes, and I've lost another six pounds. No side effects except a little nausea the first days.
A Good to hear. Refills need a quick review with Dr. Cho before the pharmacy can send them.
== reschedule
A Thank you for calling TrueBliss Med Spa, this is Talkya. How can I help you today?
C I need to move my appointment this week, something came up at work.
A No problem. Can I have your name so I can find the booking?
C {first}.
A I see your filler touch-up on {day} at {time}. When would work better?
C Anything early next week, ideally late afternoon.
== billing_question
A Thank you for calling TrueBliss Med Spa, this is Talkya. How can I help you today?
C I got charged twice for my membership this month and I want to know why.
A I'm sorry about that. May I have your name?
C {first}.
A Thanks, {first}. I can see the membership on your account, but I can't issue refunds myself.
C Okay, who can?
== price_shopping
A Thank you for calling TrueBliss Med Spa, this is Talkya. How can I help you today?
C How much is lip filler? I'm calling a few places.
A Lip filler starts at 650 dollars per syringe, and most first treatments use one.
C The place down the street is 499.
A Our injectors are nurse practitioners and physicians, and we use Juvederm and Restylane.
C Do you have any specials right now?
A This month new patients get a complimentary consult and 10 percent off a first syringe.
== after_hours
A Thanks for calling TrueBliss Med Spa. We're closed right now, but I can still help.
C Oh, I thought you'd be open. I wanted to ask about laser hair removal.
A Happy to help. We offer laser hair removal at both locations. Which area are you interested in?
C Underarms and legs. Can I get in soon?
A We usually have openings within a week. Can I get your first name?
C {first}.
== escalation
A Thank you for calling TrueBliss Med Spa, this is Talkya. How can I help you today?
C I had a treatment two days ago and my cheek is really swollen and it hurts.
A I'm sorry you're dealing with that. Are you having trouble breathing or any vision changes?
C No, nothing like that, it's just swollen and warm.
A Thank you. I'm going to connect you with our clinical team right now.
S Hi {first}, this is the nurse on call. Can you tell me which treatment you had?
C Filler in my cheeks on {day}.
== spanish_speaker
A Gracias por llamar a TrueBliss Med Spa, habla Talkya. ¿En qué le puedo ayudar?
C Hola, quería información sobre el tratamiento para bajar de peso.
A Con gusto. Tenemos un programa médico de control de peso con consulta con la doctora.
C ¿Cuánto cuesta la primera consulta?
A La primera consulta es gratuita. ¿Me puede dar su nombre?
C Me llamo {first}.
A Gracias, {first}. ¿Prefiere venir a Brickell o a Coral Gables?
C A Coral Gables, por favor.
== done:appointment_booked
A I have {day} at {time} available. Would that work?
C Yes, that works.
A You're booked for {day} at {time}. You'll get a text confirmation with intake forms.
C Perfect, thank you so much.
== done:lead_created
C I need to check my schedule first. Can someone call me back?
A Of course. I've noted your interest and a care coordinator will reach out tomorrow.
C Great, thanks.
== done:handoff
A I'm creating a request for our team so the right person follows up today.
C Okay, please make sure someone calls me.
A They will. You'll hear from us before the end of the day.
== done:info_provided
C Okay, that's all I needed to know.
A Happy to help. Is there anything else I can do for you?
C No, that's it. Thanks.
== done:voicemail
C Can I just leave a message for the front desk?
A Of course, go ahead and I'll make sure they get it first thing in the morning.
C Please call me back tomorrow about booking. Thanks.
== es:appointment_booked
A Tengo disponible el {day} a las {time}. ¿Le funciona?
C Sí, perfecto.
A Listo, queda agendada. Le enviaremos un mensaje de confirmación.
C Muchas gracias.
== es:lead_created
C Déjeme revisar mi horario. ¿Me pueden llamar?
A Claro que sí. Una coordinadora bilingüe le llamará mañana.
C Gracias.
== fillers
A Is this the best number to reach you?
C Yes, this is my cell.
A Would you like reminders by text?
C Text is great.
A Have you visited us before?
C A while ago, at the Brickell location.
A Do you have any allergies we should note?
C Not that I know of.
"""
_DIAS = "lunes martes miércoles jueves viernes sábado domingo".split()
_SPEAKERS = {"A": "ai_receptionist", "C": "caller", "S": "staff"}


def _parse(text: str) -> dict[str, list[tuple[str, str]]]:
    scripts: dict[str, list[tuple[str, str]]] = {}
    for section in text.split("== ")[1:]:
        name, *lines = section.strip().splitlines()
        scripts[name] = [(_SPEAKERS[line[0]], line[2:]) for line in lines]
    return scripts


SCRIPTS = _parse(_SCRIPTS)
# intent: (calls per hundred, "outcome:weight ...")
MIX = {
    "new_consult": (24, "appointment_booked:6 lead_created:3 info_provided:1"),
    "glp1_refill": (16, "handoff:5 appointment_booked:4 info_provided:1"),
    "reschedule": (14, "appointment_booked:8 handoff:2"),
    "billing_question": (10, "handoff:6 info_provided:4"),
    "price_shopping": (12, "lead_created:5 info_provided:5"),
    "after_hours": (10, "voicemail:4 lead_created:3 appointment_booked:3"),
    "escalation": (5, "handoff:1"),
    "spanish_speaker": (9, "appointment_booked:6 lead_created:4"),
}
NEXT_STEPS = {
    "appointment_booked": ["Send confirmation text with intake forms"],
    "lead_created": ["Care coordinator to call back within one business day"],
    "handoff": ["Staff to follow up today", "Review the handoff task"],
    "info_provided": [],
    "voicemail": ["Return the call during business hours"],
}
SOURCES = [("phone", None), ("google_ads", "botox_fall_2026"), ("google_ads", "glp1_search"), ("website", None)]
SOURCES += [("instagram", "filler_reels_nov"), ("referral", None)]
# Staff chatter per channel, one message a line.
CHATTER = {
    "front-desk": """Running about 10 minutes behind at Brickell, can someone text the 2:30?
Coral Gables is out of intake clipboards, bringing some over at lunch.
Reminder: the laser room is blocked tomorrow morning for maintenance.
Who has the 4pm walk-in? They're asking about membership pricing.
Phones are quiet, I'm catching up on confirmations.""".splitlines(),
    "providers": """Can someone review the refill queue before 3? A few are waiting on labs.
Filler supplies restocked in room 2.
Heads up, I'm running late from the hospital, starting at 10:15.
New post-treatment instructions for PDO threads are in the shared drive.""".splitlines(),
    "billing": """Membership charges ran this morning, two declines to follow up.
Posted yesterday's deposits.
Insurance won't cover the weight management labs for plan B members, flag at booking.""".splitlines(),
    "marketing-team": """The fall Botox campaign is driving most of the new consult calls this week.
Instagram reels for filler went live Monday.
Can we get before-and-after photo consent added to the intake packet?
Weekly call report: conversion from AI receptionist bookings is up.""".splitlines(),
}
CHANNELS = [
    ("front-desk", "front_desk", "Front desk at both locations", ["usr_101", "usr_102", "usr_103", "usr_105"]),
    ("providers", "providers", "Clinical team", ["usr_106", "usr_110", "usr_112", "usr_114", "usr_116"]),
    ("billing", "billing", "Billing and memberships", ["usr_101", "usr_102", "usr_107"]),
    ("marketing-team", "client_team", "Talkya and the marketing agency", ["usr_101", "usr_106"]),
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


def _clock(at: datetime) -> str:
    """`2:30 PM`, `10 AM`: a time as the receptionist says it."""
    hour = at.hour % 12 or 12
    return f"{hour}{f':{at.minute:02d}' if at.minute else ''} {'PM' if at.hour >= 12 else 'AM'}"


def _slot(rng: random.Random, after: datetime) -> datetime:
    """A bookable slot 1-7 days on, between 10:00 and 16:00 Miami time."""
    day = (after + timedelta(days=rng.randint(1, 7))).replace(minute=0, second=0, microsecond=0)
    return day.replace(hour=rng.randint(15, 21), minute=rng.choice([0, 30]))


def _transcript(rng: random.Random, intent: str, outcome: str, fill: dict[str, str]) -> list[TranscriptSegment]:
    close = SCRIPTS[f"es:{outcome}" if intent == "spanish_speaker" else f"done:{outcome}"]
    lines = list(SCRIPTS[intent])
    target = rng.randint(8, 20) - len(close)
    fillers = SCRIPTS["fillers"]
    pairs = rng.sample(range(0, len(fillers), 2), len(fillers) // 2)
    while pairs and len(lines) + 2 <= target and intent != "spanish_speaker":  # the fillers are English
        at = pairs.pop()
        lines.extend(fillers[at : at + 2])
    segments, clock = [], 0
    for index, (speaker, text) in enumerate([*lines, *close][:20]):
        spoken = text.format(**fill)
        length = 900 + 55 * len(spoken) + rng.randrange(0, 600)
        segments.append(
            TranscriptSegment(index=index, speaker=speaker, text=spoken, start_ms=clock, end_ms=clock + length)
        )
        clock += length + rng.randrange(200, 900)
    return segments


def _calls(rows: _Rows, rng: random.Random, patients: list[Patient], count: int) -> list[Call]:
    calls = []
    for _ in range(count):
        intent = rng.choices(list(MIX), [weight for weight, _ in MIX.values()])[0]
        choices = [pair.split(":") for pair in MIX[intent][1].split()]
        outcome = rng.choices([c[0] for c in choices], [int(c[1]) for c in choices])[0]
        known = rng.choice(patients) if patients and rng.random() < 0.55 else None
        phone = (
            known.phones[0].number
            if known and known.phones
            else f"+1{rng.choice(['305', '786'])}55501{rng.randrange(100):02d}"
        )
        first = known.first_name if known else rng.choice(_NAMES)
        day = TODAY - timedelta(days=rng.randint(1, 14))
        hour = rng.choice([23, 0, 1, 2]) if intent == "after_hours" else rng.randint(13, 22)
        started = day.replace(hour=hour, minute=rng.randrange(60), second=rng.randrange(60))
        slot = _slot(rng, started)
        local = slot.astimezone(CLINIC_TZ)
        day_name = _DIAS[local.weekday()] if intent == "spanish_speaker" else local.strftime("%A")
        fill = {"first": first, "day": day_name, "time": _clock(local)}
        segments = _transcript(rng, intent, outcome, fill)
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
        started = TODAY - timedelta(days=rng.randint(1, 14), hours=rng.randint(1, 10), minutes=rng.randrange(60))
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


def _messages(rows: _Rows, rng: random.Random, calls: list[Call], users: dict[str, str], count: int) -> None:
    channels = {
        name: Channel(
            id=_id(rng, "ch"),
            name=name,
            purpose=purpose,
            description=description,
            member_ids=[m for m in members if m in users] or sorted(users),
            created_at=CHANNELS_SINCE,
            updated_at=CHANNELS_SINCE,
        )
        for name, purpose, description, members in CHANNELS
    }
    planned: list[tuple[datetime, str, dict[str, Any]]] = []
    bot = Author(type="bot", id="bot_talkya", name="Talkya AI")
    for call in calls:
        ended = (call.ended_at or call.started_at) + timedelta(seconds=5)
        patient_id = call.caller.patient_id
        if call.outcome == "appointment_booked" and call.appointment and rng.random() < 0.6:
            local = call.appointment.scheduled_at.astimezone(CLINIC_TZ)
            when = f"{local.strftime('%a %b')} {local.day}, {_clock(local)}"
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
            TODAY - timedelta(days=rng.randint(1, 14)) + timedelta(hours=rng.randint(13, 22), minutes=rng.randrange(60))
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


def _visits(rows: _Rows, rng: random.Random, patients: list[Patient], provider_ids: list[str]) -> None:
    # (days from today, status): the past is mostly done, today is under way, the rest is booked.
    plan = [(-d, "completed") for d in (1, 2, 3, 5, 6, 8, 10)] + [(-4, "no_show"), (-7, "cancelled")]
    plan += [(0, "completed"), (0, "waiting"), (0, "scheduled"), (0, "scheduled"), (2, "scheduled"), (5, "scheduled")]
    for days, status in plan:
        at = (TODAY + timedelta(days=days)).replace(hour=rng.randint(14, 21), minute=rng.choice([0, 15, 30, 45]))
        visit = _visit(rng, rng.choice(patients), rng.choice(provider_ids), at, status)
        rows.add("telehealth_visit", visit, visit.created_at)


def seed_comms(
    sandbox: Sandbox, patients: list[Patient], rng: random.Random, workspace_id: str = "ws_truebliss"
) -> None:
    """Seed calls, transcripts, channels, messages, visits and routing rules for a workspace."""
    rows = _Rows(workspace_id)
    users = {u.id: u.name for u in staff(workspace_id)}
    calls = _calls(rows, rng, patients, 150)
    _messages(rows, rng, calls, users, 200)
    if patients:
        _visits(rows, rng, patients, [p.id for p in providers(workspace_id)])
    rules = RoutingRules.model_validate({**default_rules().model_dump(), "id": rules_id(workspace_id)})
    rows.add("routing_rules", rules, rules.updated_at)
    with sandbox.db.tx():
        sandbox.db.conn.executemany(
            "INSERT INTO records (id, kind, workspace_id, ts, data) VALUES (?, ?, ?, ?, ?)", rows.rows
        )

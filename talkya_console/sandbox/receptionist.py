"""The AI receptionist's side of a call: Talkya creates calls, not API clients, so these are
plain functions the traffic simulator (and tests) call to start, transcribe and finish one.

Each function is one transaction: the call, its transcript and its events commit together.
Event data carries ids and codes only; the caller's phone number never leaves the record.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from talkya_console.sandbox import search
from talkya_console.sandbox.context import Sandbox
from talkya_console.sandbox.errors import ApiError, not_found
from talkya_console.sandbox.ids import new_id
from talkya_console.sandbox.records import emit
from talkya_console.sandbox.routes._common import e164
from talkya_console.wire.common import now
from talkya_console.wire.ehr import Patient
from talkya_console.wire.receptionist import (
    AfterHours,
    BookedAppointment,
    Booking,
    Call,
    Caller,
    Escalation,
    Greeting,
    LanguageRules,
    OpeningHours,
    RoutingRules,
    Transcript,
    TranscriptSegment,
)

LIVE = ("ringing", "in_progress")

# The visit a booking is for when the simulator does not say: what each intent usually books.
VISIT_TYPES = {
    "new_consult": "aesthetic_consult",
    "glp1_refill": "telehealth_follow_up",
    "reschedule": "follow_up",
    "spanish_speaker": "aesthetic_consult",
    "after_hours": "aesthetic_consult",
}


def transcript_id(call_id: str) -> str:
    """A transcript's storage id, derived from its call's so it is found by primary key."""
    return "tr_" + call_id.removeprefix("call_")


def load_transcript(sandbox: Sandbox, ws: str, call_id: str) -> Transcript | None:
    """The call's transcript as stored; its storage id is an extra field the API leaves out."""
    return sandbox.db.get("transcript", ws, transcript_id(call_id), Transcript)


def _load_call(sandbox: Sandbox, ws: str, call_id: str) -> Call:
    call = sandbox.db.get("call", ws, call_id, Call)
    if call is None:
        raise not_found("call", call_id, "call_id")
    return call


def _require_live(call: Call) -> None:
    if call.status not in LIVE:
        raise ApiError(409, "call_not_live", f"This call is {call.status}; only a live call can change.")


def match_patient(sandbox: Sandbox, ws: str, phone: str) -> Patient | None:
    """The one patient whose phone is exactly `phone`; none when no one or several share it,
    because attaching a call to the wrong chart is worse than attaching it to none."""
    expression = search.match_expression(phone=phone)
    if expression is None:
        return None
    page = search.search_page(sandbox.db, ws, expression, 5, None)
    found = [Patient.model_validate_json(row) for row in page.rows]
    exact = [p for p in found if any(_same_number(n.number, phone) for n in p.phones)]
    return exact[0] if len(exact) == 1 and not page.has_more else None


def _same_number(stored: str, phone: str) -> bool:
    try:
        return e164(stored, "phone") == phone
    except ApiError:
        return False


def start_call(
    sandbox: Sandbox,
    ws: str,
    caller_phone: str,
    *,
    source: str,
    campaign: str | None = None,
    language: str = "en",
    patient_id: str | None = None,
) -> Call:
    """A call the receptionist has answered: in progress, with an empty live transcript."""
    phone = e164(caller_phone, "caller_phone")
    db = sandbox.db
    with db.tx():
        name = None
        if patient_id is not None:
            patient = db.get("patient", ws, patient_id, Patient)
            if patient is None:
                raise not_found("patient", patient_id, "patient_id")
        else:
            patient = match_patient(sandbox, ws, phone)
        if patient is not None:
            patient_id, name = patient.id, patient.name
        stamp = now()
        call = Call(
            id=new_id("call"),
            status="in_progress",
            source=source,
            caller=Caller(phone=phone, name=name, patient_id=patient_id),
            campaign=campaign,
            language=language,
            started_at=stamp,
            created_at=stamp,
            updated_at=stamp,
        )
        db.insert("call", ws, call)
        transcript = Transcript(id=transcript_id(call.id), call_id=call.id, language=language)
        db.insert("transcript", ws, transcript)
        emit(sandbox, ws, "receptionist.call.started", {"call_id": call.id, "patient_id": patient_id, "source": source})
    return call


SegmentLike = TranscriptSegment | Mapping[str, Any]


def add_segments(sandbox: Sandbox, ws: str, call_id: str, segments: Sequence[SegmentLike]) -> Transcript:
    """Append segments to a live call's transcript, numbered after those it has."""
    db = sandbox.db
    with db.tx():
        call = _load_call(sandbox, ws, call_id)
        _require_live(call)
        transcript = load_transcript(sandbox, ws, call_id)
        if transcript is None:  # a call stored without one (by hand); start it now
            transcript = Transcript(id=transcript_id(call_id), call_id=call_id, language=call.language)
            db.insert("transcript", ws, transcript)
        # The server numbers segments: the order they were appended in is the transcript's order.
        start = len(transcript.segments)
        added = [
            TranscriptSegment.model_validate(
                {**(s.model_dump() if isinstance(s, TranscriptSegment) else dict(s)), "index": start + i}
            )
            for i, s in enumerate(segments)
        ]
        transcript.segments = [*transcript.segments, *added]
        db.update("transcript", ws, transcript)
        emit(
            sandbox,
            ws,
            "receptionist.call.transcript.updated",
            {"call_id": call_id, "segments": [s.model_dump(mode="json") for s in added]},
        )
    return transcript


def next_opening(after: datetime) -> datetime:
    """The default slot a booking takes when none is given: the next day, 10:00 Miami (15:00 UTC)."""
    return (after + timedelta(days=1)).replace(hour=15, minute=0, second=0, microsecond=0)


def complete_call(
    sandbox: Sandbox,
    ws: str,
    call_id: str,
    *,
    intent: str,
    outcome: str,
    summary: str,
    next_steps: list[str],
    visit_type: str | None = None,
    scheduled_at: datetime | None = None,
) -> Call:
    """Finish a live call; a booked appointment also emits `appointment.booked`."""
    db = sandbox.db
    with db.tx():
        call = _load_call(sandbox, ws, call_id)
        _require_live(call)
        stamp = now()
        appointment = None
        if outcome == "appointment_booked":
            appointment = BookedAppointment(
                visit_type=visit_type or VISIT_TYPES.get(intent, "consult"),
                scheduled_at=scheduled_at or next_opening(stamp),
            )
        call = call.model_copy(
            update={
                "status": "completed",
                "intent": intent,
                "outcome": outcome,
                "summary": summary,
                "appointment": appointment,
                "ended_at": stamp,
                "duration_seconds": max(0, int((stamp - call.started_at).total_seconds())),
                "updated_at": stamp,
            }
        )
        db.update("call", ws, call)
        transcript = load_transcript(sandbox, ws, call_id)
        if transcript is not None:
            final = transcript.model_copy(update={"status": "final", "summary": summary, "next_steps": next_steps})
            db.update("transcript", ws, final)
        emit(sandbox, ws, "receptionist.call.completed", {"call_id": call_id, "intent": intent, "outcome": outcome})
        if appointment is not None:
            emit(
                sandbox,
                ws,
                "appointment.booked",
                {
                    "call_id": call_id,
                    "patient_id": call.caller.patient_id,
                    "visit_type": appointment.visit_type,
                    "scheduled_at": appointment.model_dump(mode="json")["scheduled_at"],
                },
            )
    return call


# -- routing rules: one document per workspace ----------------------------------------------------

RULES_SINCE = datetime(2026, 1, 5, 14, 0, tzinfo=UTC)


def rules_id(ws: str) -> str:
    return "rr_" + ws


def default_rules(updated_at: datetime = RULES_SINCE) -> RoutingRules:
    """What a med spa's receptionist does before anyone has configured it."""
    weekdays = [OpeningHours(day=d, open="09:00", close="18:00") for d in ("mon", "tue", "wed", "thu", "fri")]
    return RoutingRules(
        greeting=Greeting(
            text="Thank you for calling TrueBliss Med Spa & Wellness. This is Talkya, the virtual "
            "receptionist. How can I help you today?",
            voice="warm",
        ),
        escalation=Escalation(
            enabled=True,
            triggers=["caller_request", "upset_caller", "emergency", "billing_dispute"],
            transfer_to="front_desk",
            max_wait_seconds=45,
        ),
        booking=Booking(
            enabled=True,
            visit_types=["aesthetic_consult", "botox_treatment", "filler_treatment", "telehealth_follow_up"],
            min_notice_hours=2,
            max_days_ahead=60,
        ),
        language=LanguageRules(primary="en", supported=["en", "es"]),
        after_hours=AfterHours(
            mode="ai_answer",
            message="We're closed right now. I can book an appointment or take a message for the team.",
            timezone="America/New_York",
            hours=[*weekdays, OpeningHours(day="sat", open="10:00", close="14:00")],
        ),
        updated_at=updated_at,
    )


def load_rules(sandbox: Sandbox, ws: str) -> tuple[RoutingRules, bool]:
    """The workspace's rules and whether they are stored (defaults are not, until changed)."""
    stored = sandbox.db.get("routing_rules", ws, rules_id(ws), RoutingRules)
    return (stored, True) if stored is not None else (default_rules(), False)

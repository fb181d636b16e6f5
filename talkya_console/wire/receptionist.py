"""AI receptionist resources: calls, transcripts, routing rules."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import ConfigDict, Field, StringConstraints

from talkya_console.wire.common import Params, Resource, Timestamp
from talkya_console.wire.ehr import Part

CallStatus = Literal["ringing", "in_progress", "completed", "missed", "voicemail"]
Speaker = Literal["caller", "ai_receptionist", "staff"]


class Caller(Part):
    phone: str
    name: str | None = None
    patient_id: str | None = None
    contact_id: str | None = None


class BookedAppointment(Part):
    """The visit a call booked, when its outcome is `appointment_booked`."""

    visit_type: str
    scheduled_at: Timestamp


class Call(Resource):
    id: str
    object: Literal["call"] = "call"
    status: CallStatus
    direction: Literal["inbound", "outbound"] = "inbound"
    source: str = "phone"
    caller: Caller
    intent: str | None = None
    outcome: str | None = None
    campaign: str | None = None
    language: str = "en"
    summary: str | None = None
    appointment: BookedAppointment | None = None
    duration_seconds: int = 0
    started_at: Timestamp
    ended_at: Timestamp | None = None
    created_at: Timestamp
    updated_at: Timestamp


class TranscriptSegment(Part):
    index: int
    speaker: Speaker
    text: str
    start_ms: int
    end_ms: int


class Transcript(Resource):
    object: Literal["transcript"] = "transcript"
    call_id: str
    status: Literal["live", "final"] = "live"
    language: str = "en"
    segments: list[TranscriptSegment] = []
    summary: str | None = None
    next_steps: list[str] = []


GreetingText = Annotated[str, StringConstraints(min_length=1, max_length=500)]
Voice = Literal["warm", "neutral", "energetic"]


class Greeting(Part):
    text: GreetingText
    voice: Voice = "warm"


class Escalation(Part):
    enabled: bool = True
    triggers: list[Literal["caller_request", "upset_caller", "emergency", "billing_dispute", "repeat_failure"]] = [
        "caller_request",
        "emergency",
    ]
    transfer_to: Annotated[str, StringConstraints(min_length=1, max_length=64)] = "front_desk"
    max_wait_seconds: Annotated[int, Field(ge=0, le=600)] = 60


class Booking(Part):
    enabled: bool = True
    visit_types: list[str] = []
    min_notice_hours: Annotated[int, Field(ge=0, le=720)] = 2
    max_days_ahead: Annotated[int, Field(ge=1, le=365)] = 60


class LanguageRules(Part):
    primary: Annotated[str, StringConstraints(pattern=r"^[a-z]{2}$")] = "en"
    supported: list[Annotated[str, StringConstraints(pattern=r"^[a-z]{2}$")]] = ["en"]


class OpeningHours(Part):
    day: Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    open: Annotated[str, StringConstraints(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")]
    close: Annotated[str, StringConstraints(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")]


class AfterHours(Part):
    mode: Literal["ai_answer", "take_message", "voicemail", "forward"] = "ai_answer"
    message: Annotated[str, StringConstraints(max_length=500)] | None = None
    forward_to: str | None = None
    timezone: str = "America/New_York"
    hours: list[OpeningHours] = []


class RoutingRules(Resource):
    object: Literal["routing_rules"] = "routing_rules"
    greeting: Greeting
    escalation: Escalation
    booking: Booking
    language: LanguageRules
    after_hours: AfterHours
    updated_at: Timestamp


_STRICT = ConfigDict(extra="forbid", str_strip_whitespace=True)


class GreetingUpdate(Greeting):
    model_config = _STRICT
    text: GreetingText | None = None  # type: ignore[assignment]


class EscalationUpdate(Escalation):
    model_config = _STRICT


class BookingUpdate(Booking):
    model_config = _STRICT


class LanguageRulesUpdate(LanguageRules):
    model_config = _STRICT


class AfterHoursUpdate(AfterHours):
    model_config = _STRICT


class RoutingRulesUpdate(Params):
    """A PATCH: each section given is merged field by field into the stored one."""

    greeting: GreetingUpdate | None = None
    escalation: EscalationUpdate | None = None
    booking: BookingUpdate | None = None
    language: LanguageRulesUpdate | None = None
    after_hours: AfterHoursUpdate | None = None

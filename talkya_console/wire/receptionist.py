"""AI receptionist resources: calls, transcripts, routing rules."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from talkya_console.wire.common import Params, Resource, Timestamp
from talkya_console.wire.ehr import Part

CallStatus = Literal["ringing", "in_progress", "completed", "missed", "voicemail"]
Speaker = Literal["caller", "ai_receptionist", "staff"]


class Caller(Part):
    phone: str
    name: str | None = None
    patient_id: str | None = None
    contact_id: str | None = None


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


class Greeting(Part):
    text: Annotated[str, StringConstraints(min_length=1, max_length=500)]
    voice: Literal["warm", "neutral", "energetic"] = "warm"


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


class RoutingRulesUpdate(Params):
    greeting: Greeting | None = None
    escalation: Escalation | None = None
    booking: Booking | None = None
    language: LanguageRules | None = None
    after_hours: AfterHours | None = None

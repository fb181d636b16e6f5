"""Telehealth visits."""

from __future__ import annotations

from typing import Literal

from talkya_console.wire.common import InputTimestamp, Params, Resource, Timestamp
from talkya_console.wire.ehr import NoteType, Part

VisitStatus = Literal["scheduled", "waiting", "in_progress", "completed", "cancelled", "no_show"]


class Attendance(Part):
    patient_joined_at: Timestamp | None = None
    provider_joined_at: Timestamp | None = None
    patient_present: bool = False
    provider_present: bool = False


class Recording(Part):
    enabled: bool = False
    state: Literal["off", "recording", "processing", "available"] = "off"
    file_id: str | None = None


class JoinLinks(Part):
    patient: str
    provider: str


class TelehealthVisit(Resource):
    id: str
    object: Literal["telehealth_visit"] = "telehealth_visit"
    patient_id: str
    provider_id: str
    encounter_id: str | None = None
    status: VisitStatus = "scheduled"
    reason: str | None = None
    scheduled_at: Timestamp
    started_at: Timestamp | None = None
    ended_at: Timestamp | None = None
    duration_seconds: int = 0
    attendance: Attendance = Attendance()
    recording: Recording = Recording()
    join_links: JoinLinks
    draft_note_id: str | None = None
    created_at: Timestamp
    updated_at: Timestamp


class TelehealthVisitCreate(Params):
    patient_id: str
    provider_id: str
    encounter_id: str | None = None
    reason: str | None = None
    scheduled_at: InputTimestamp
    record: bool = False


class TelehealthVisitUpdate(Params):
    status: VisitStatus | None = None
    scheduled_at: InputTimestamp | None = None
    reason: str | None = None


class TelehealthNoteCreate(Params):
    """Generate a draft from the visit, or attach an existing draft note."""

    mode: Literal["generate", "attach"] = "generate"
    note_id: str | None = None
    type: NoteType = "telehealth"

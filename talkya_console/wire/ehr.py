"""EHR resources: patients, encounters, notes, documents, files, audit entries."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from talkya_console.wire.common import InputTimestamp, Metadata, Params, Resource, Timestamp

Sex = Literal["female", "male", "intersex", "other", "unknown"]
Email = Annotated[str, StringConstraints(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=254)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=100, strip_whitespace=True)]
Tag = Annotated[str, StringConstraints(min_length=1, max_length=40, strip_whitespace=True)]
PhoneNumber = Annotated[str, StringConstraints(min_length=4, max_length=32)]
VisitType = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{1,63}$")]
EncounterSource = Literal["ai_receptionist", "front_desk", "website", "telehealth", "provider", "import", "api"]
EncounterStatus = Literal["open", "closed", "cancelled"]
NoteType = Literal["soap", "progress", "procedure", "telehealth"]
DocumentType = Literal["consent_form", "lab_report", "pdf", "photo", "imported_record", "referral", "other"]


class Part(BaseModel):
    """A nested object; tolerant of fields added later."""

    model_config = ConfigDict(extra="ignore")


class Phone(Part):
    type: Literal["mobile", "home", "work", "other"] = "mobile"
    number: PhoneNumber


class Address(Part):
    line1: str | None = None
    line2: str | None = None
    city: str | None = None
    state: str | None = None
    postal_code: str | None = None
    country: str = "US"


class IntakeConsent(Part):
    intake: bool = False
    captured_at: InputTimestamp | None = None
    method: Literal["verbal", "written", "electronic", "ai_receptionist"] | None = None
    sms: bool = False
    marketing: bool = False


class Patient(Resource):
    id: str
    object: Literal["patient"] = "patient"
    first_name: str
    last_name: str
    name: str
    preferred_name: str | None = None
    dob: date | None = None
    sex: Sex = "unknown"
    mrn: str
    phones: list[Phone] = []
    emails: list[str] = []
    address: Address | None = None
    tags: list[str] = []
    consent: IntakeConsent
    metadata: Metadata = {}
    created_at: Timestamp
    updated_at: Timestamp


class PatientCreate(Params):
    first_name: Name
    last_name: Name
    preferred_name: Name | None = None
    dob: date | None = None
    sex: Sex = "unknown"
    mrn: Annotated[str, StringConstraints(min_length=1, max_length=32)] | None = None
    phones: list[Phone] = Field(default=[], max_length=10)
    emails: list[Email] = Field(default=[], max_length=10)
    address: Address | None = None
    tags: list[Tag] = Field(default=[], max_length=50)
    consent: IntakeConsent | None = None
    metadata: Metadata = {}


class PatientUpdate(Params):
    first_name: Name | None = None
    last_name: Name | None = None
    preferred_name: Name | None = None
    dob: date | None = None
    sex: Sex | None = None
    phones: list[Phone] | None = Field(default=None, max_length=10)
    emails: list[Email] | None = Field(default=None, max_length=10)
    address: Address | None = None
    tags: list[Tag] | None = Field(default=None, max_length=50)
    consent: IntakeConsent | None = None
    metadata: Metadata | None = None


class Encounter(Resource):
    id: str
    object: Literal["encounter"] = "encounter"
    patient_id: str
    provider_id: str
    location_id: str | None = None
    type: str
    reason: str | None = None
    source: EncounterSource = "api"
    status: EncounterStatus = "open"
    scheduled_at: Timestamp | None = None
    closed_at: Timestamp | None = None
    metadata: Metadata = {}
    created_at: Timestamp
    updated_at: Timestamp


class EncounterCreate(Params):
    patient_id: str
    provider_id: str
    location_id: str | None = None
    type: VisitType
    reason: Annotated[str, StringConstraints(max_length=500)] | None = None
    source: EncounterSource = "api"
    scheduled_at: InputTimestamp | None = None
    metadata: Metadata = {}


class EncounterUpdate(Params):
    provider_id: str | None = None
    location_id: str | None = None
    type: VisitType | None = None
    reason: Annotated[str, StringConstraints(max_length=500)] | None = None
    scheduled_at: InputTimestamp | None = None
    metadata: Metadata | None = None


class Addendum(Part):
    id: str
    text: str
    author_id: str | None = None
    created_at: Timestamp


class Note(Resource):
    id: str
    object: Literal["note"] = "note"
    encounter_id: str
    patient_id: str
    type: NoteType
    title: str | None = None
    sections: dict[str, str] = {}
    status: Literal["draft", "signed"] = "draft"
    author_id: str | None = None
    signed_at: Timestamp | None = None
    signed_by: str | None = None
    addenda: list[Addendum] = []
    created_at: Timestamp
    updated_at: Timestamp


SectionText = Annotated[str, StringConstraints(max_length=20_000)]


class NoteCreate(Params):
    encounter_id: str
    type: NoteType
    title: Annotated[str, StringConstraints(max_length=200)] | None = None
    sections: dict[str, SectionText] = {}


class NoteUpdate(Params):
    title: Annotated[str, StringConstraints(max_length=200)] | None = None
    sections: dict[str, SectionText] | None = None


class AddendumCreate(Params):
    text: Annotated[str, StringConstraints(min_length=1, max_length=20_000)]


class File(Resource):
    id: str
    object: Literal["file"] = "file"
    filename: str
    content_type: str
    size: int
    sha256: str
    purpose: Literal["attachment", "document", "recording", "import"] = "attachment"
    patient_id: str | None = None
    encounter_id: str | None = None
    message_id: str | None = None
    task_id: str | None = None
    created_at: Timestamp


class Document(Resource):
    id: str
    object: Literal["document"] = "document"
    patient_id: str
    encounter_id: str | None = None
    type: DocumentType
    title: str
    file_id: str
    filename: str
    content_type: str
    size: int
    created_at: Timestamp


class AuditActor(Part):
    type: Literal["api_key", "user", "oauth_client", "system"]
    id: str


class AuditEntry(Resource):
    id: str
    object: Literal["audit_entry"] = "audit_entry"
    record_type: str
    record_id: str
    action: str
    actor: AuditActor
    request_id: str | None = None
    fields: list[str] = []
    created_at: Timestamp

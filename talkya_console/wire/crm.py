"""CRM resources: leads, contacts, deals, tasks."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from talkya_console.wire.common import InputTimestamp, Metadata, Params, Resource, Timestamp
from talkya_console.wire.ehr import Email, Part, PhoneNumber, Tag

Role = Literal["front_desk", "provider", "va", "coordinator", "billing", "admin"]
LeadStatus = Literal["new", "contacted", "qualified", "converted", "lost"]
ContactStage = Literal["lead", "prospect", "consult_booked", "patient", "inactive"]
DealStage = Literal["new", "consult_scheduled", "consult_done", "proposal", "won", "lost"]
TaskStatus = Literal["open", "in_progress", "done", "cancelled"]
Priority = Literal["low", "normal", "high", "urgent"]
ShortText = Annotated[str, StringConstraints(max_length=200)]
LongText = Annotated[str, StringConstraints(max_length=5_000)]


class LeadPerson(Part):
    name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    phone: PhoneNumber | None = None
    email: Email | None = None


class MarketingConsent(Part):
    sms: bool = False
    marketing: bool = False
    email: bool = False


class Lead(Resource):
    id: str
    object: Literal["lead"] = "lead"
    source: str
    intent: str | None = None
    service_interest: str | None = None
    status: LeadStatus = "new"
    patient: LeadPerson
    consent: MarketingConsent = MarketingConsent()
    campaign: str | None = None
    contact_id: str | None = None
    call_id: str | None = None
    notes: str | None = None
    metadata: Metadata = {}
    created_at: Timestamp
    updated_at: Timestamp


class LeadCreate(Params):
    source: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{1,39}$")]
    intent: ShortText | None = None
    service_interest: ShortText | None = None
    patient: LeadPerson
    consent: MarketingConsent = MarketingConsent()
    campaign: ShortText | None = None
    call_id: str | None = None
    notes: LongText | None = None
    metadata: Metadata = {}


class LeadUpdate(Params):
    status: LeadStatus | None = None
    intent: ShortText | None = None
    service_interest: ShortText | None = None
    consent: MarketingConsent | None = None
    notes: LongText | None = None
    metadata: Metadata | None = None


class Contact(Resource):
    id: str
    object: Literal["contact"] = "contact"
    name: str
    phone: str | None = None
    email: str | None = None
    patient_id: str | None = None
    lead_id: str | None = None
    stage: ContactStage = "lead"
    tags: list[str] = []
    owner_id: str | None = None
    open_tasks: list[Task] = []
    created_at: Timestamp
    updated_at: Timestamp


class ContactCreate(Params):
    name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    phone: PhoneNumber | None = None
    email: Email | None = None
    patient_id: str | None = None
    stage: ContactStage = "lead"
    tags: list[Tag] = Field(default=[], max_length=50)
    owner_id: str | None = None


class ContactUpdate(Params):
    name: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None
    phone: PhoneNumber | None = None
    email: Email | None = None
    stage: ContactStage | None = None
    tags: list[Tag] | None = Field(default=None, max_length=50)
    owner_id: str | None = None


class Deal(Resource):
    id: str
    object: Literal["deal"] = "deal"
    name: str
    contact_id: str | None = None
    patient_id: str | None = None
    value: int
    currency: str = "usd"
    stage: DealStage = "new"
    owner_id: str | None = None
    package: str | None = None
    probability: int = 0
    created_at: Timestamp
    updated_at: Timestamp


# Strict: money is never coerced from a string, a float or a boolean.
Cents = Annotated[int, Field(ge=0, le=100_000_000, strict=True)]
Probability = Annotated[int, Field(ge=0, le=100)]
Currency = Annotated[str, StringConstraints(pattern=r"^[a-z]{3}$")]


class DealCreate(Params):
    name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    contact_id: str | None = None
    patient_id: str | None = None
    value: Cents
    currency: Currency = "usd"
    stage: DealStage = "new"
    owner_id: str | None = None
    package: ShortText | None = None
    probability: Probability = 0


class DealUpdate(Params):
    name: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None
    value: Cents | None = None
    stage: DealStage | None = None
    owner_id: str | None = None
    package: ShortText | None = None
    probability: Probability | None = None


class Task(Resource):
    id: str
    object: Literal["task"] = "task"
    title: str
    description: str | None = None
    assignee_user_id: str | None = None
    assignee_role: Role | None = None
    due_at: Timestamp | None = None
    priority: Priority = "normal"
    status: TaskStatus = "open"
    patient_id: str | None = None
    contact_id: str | None = None
    call_id: str | None = None
    handoff_id: str | None = None
    disposition: str | None = None
    snoozed_until: Timestamp | None = None
    followup_due_at: Timestamp | None = None
    completed_at: Timestamp | None = None
    created_at: Timestamp
    updated_at: Timestamp


class TaskCreate(Params):
    title: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    description: LongText | None = None
    assignee_user_id: str | None = None
    assignee_role: Role | None = None
    due_at: InputTimestamp | None = None
    priority: Priority = "normal"
    patient_id: str | None = None
    contact_id: str | None = None
    call_id: str | None = None
    handoff_id: str | None = None


class TaskUpdate(Params):
    title: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None
    description: LongText | None = None
    assignee_user_id: str | None = None
    assignee_role: Role | None = None
    due_at: InputTimestamp | None = None
    priority: Priority | None = None
    status: TaskStatus | None = None
    disposition: ShortText | None = None
    snoozed_until: InputTimestamp | None = None


class TaskClaim(Params):
    """Who claims the task; only an API key that acts for no user names one."""

    user_id: str | None = None


class TaskComplete(Params):
    disposition: Annotated[str, StringConstraints(min_length=1, max_length=200)]


class TaskSnooze(Params):
    until: InputTimestamp


Contact.model_rebuild()

"""The demo med-spa's CRM: leads from its channels, contacts at every stage, deals and a task queue."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from talkya_console.sandbox.context import Sandbox
from talkya_console.sandbox.seed.people import FIRST, LAST
from talkya_console.wire.crm import Contact, ContactStage, Deal, DealStage, Lead, LeadPerson, MarketingConsent, Task
from talkya_console.wire.ehr import Patient

SOURCES = ["website", "ai_receptionist", "instagram", "google_ads", "referral"]
SOURCE_WEIGHTS = [30, 30, 20, 15, 5]
SERVICES = [
    "Botox consult",
    "GLP-1 weight management",
    "Lip filler",
    "HydraFacial",
    "IV therapy",
    "Laser hair removal",
]
INTENTS = ["new_consult", "pricing_question", "book_appointment", "general_question"]
CAMPAIGNS = {
    "instagram": ["ig_spring_glow_2026", "ig_lip_filler_reels"],
    "google_ads": ["gads_botox_miami", "gads_glp1_weight_loss"],
}
LEAD_STATUSES = ["new", "contacted", "qualified", "converted", "lost"]
LEAD_STATUS_WEIGHTS = [35, 25, 15, 15, 10]
# The contact stage a lead's status leaves its contact at.
STAGE_FOR_STATUS: dict[str, list[ContactStage]] = {
    "new": ["lead"],
    "contacted": ["lead", "prospect"],
    "qualified": ["prospect", "consult_booked"],
    "converted": ["patient"],
    "lost": ["inactive"],
}
# (package, value in cents, tag)
PACKAGES = [
    ("Botox 40 units", 56_000, "botox"),
    ("GLP-1 3-month program", 149_700, "glp1"),
    ("Filler + Botox bundle", 125_000, "filler"),
    ("Lip filler 1 syringe", 75_000, "filler"),
    ("HydraFacial series of 3", 52_500, "facial"),
    ("IV therapy 5-pack", 80_000, "iv_therapy"),
    ("Laser hair removal 6 sessions", 120_000, "laser"),
]
DEAL_STAGES: list[DealStage] = ["new", "consult_scheduled", "consult_done", "proposal", "won", "lost"]
DEAL_STAGE_WEIGHTS = [6, 8, 6, 6, 9, 5]
PROBABILITY = {"new": 10, "consult_scheduled": 25, "consult_done": 50, "proposal": 70, "won": 100, "lost": 0}
OWNERS = ["usr_102", "usr_103", "usr_104", "usr_105", "usr_106"]
# (title, assignee role, who on that role may hold it, whether it is about a patient rather than a lead)
TASKS = [
    ("Call back about {service}", "front_desk", ["usr_102", "usr_103"], False),
    ("Send pricing for {service}", "va", ["usr_104", "usr_105"], False),
    ("Book consult for {service}", "coordinator", ["usr_106"], False),
    ("Confirm GLP-1 refill and weigh-in", "coordinator", ["usr_106"], True),
    ("Two-week check-in after filler", "provider", ["usr_112", "usr_116"], True),
    ("Review labs before GLP-1 titration", "provider", ["usr_110", "usr_114"], True),
    ("Collect outstanding balance", "billing", ["usr_107"], True),
    ("Verify membership renewal", "billing", ["usr_107"], True),
]
TASK_STATUSES = ["open", "in_progress", "done", "cancelled"]
TASK_STATUS_WEIGHTS = [55, 12, 28, 5]


def _id(rng: random.Random, prefix: str) -> str:
    return f"{prefix}_{rng.getrandbits(48):012x}"


def _phone(rng: random.Random) -> str:
    # 555-01xx numbers are reserved for fiction.
    return f"+1{rng.choice(['305', '786', '954'])}55501{rng.randrange(100):02d}"


def _leads(rng: random.Random, today: datetime, count: int) -> tuple[list[Lead], list[Contact]]:
    leads, contacts = [], []
    for _ in range(count):
        first, last = rng.choice(FIRST[rng.choice(["female", "female", "male"])]), rng.choice(LAST)
        source = rng.choices(SOURCES, SOURCE_WEIGHTS)[0]
        status = rng.choices(LEAD_STATUSES, LEAD_STATUS_WEIGHTS)[0]
        created = today - timedelta(days=rng.randrange(1, 61), minutes=rng.randrange(0, 24 * 60))
        lead = Lead(
            id=_id(rng, "lead"),
            source=source,
            intent=rng.choice(INTENTS),
            service_interest=rng.choice(SERVICES),
            status=status,
            patient=LeadPerson(
                name=f"{first} {last}",
                phone=_phone(rng),
                email=f"{first}.{last}{rng.randrange(10, 99)}@example.com".lower(),
            ),
            consent=MarketingConsent(sms=rng.random() < 0.85, marketing=rng.random() < 0.5, email=rng.random() < 0.6),
            campaign=rng.choice(CAMPAIGNS[source]) if source in CAMPAIGNS else None,
            created_at=created,
            updated_at=created + timedelta(hours=rng.randrange(0, 48)) if status != "new" else created,
        )
        contact = Contact(
            id=_id(rng, "con"),
            name=lead.patient.name,
            phone=lead.patient.phone,
            email=lead.patient.email,
            lead_id=lead.id,
            stage=rng.choice(STAGE_FOR_STATUS[status]),
            tags=[lead.source],
            owner_id=rng.choice(OWNERS) if status != "new" else None,
            created_at=created,
            updated_at=lead.updated_at,
        )
        lead.contact_id = contact.id
        leads.append(lead)
        contacts.append(contact)
    return leads, contacts


def _patient_contacts(rng: random.Random, today: datetime, patients: list[Patient], count: int) -> list[Contact]:
    contacts = []
    for patient in rng.sample(patients, min(count, len(patients))):
        created = today - timedelta(days=rng.randrange(1, 181), minutes=rng.randrange(0, 24 * 60))
        contacts.append(
            Contact(
                id=_id(rng, "con"),
                name=patient.name,
                phone=patient.phones[0].number if patient.phones else None,
                email=patient.emails[0] if patient.emails else None,
                patient_id=patient.id,
                stage=rng.choices(["patient", "consult_booked", "inactive"], [80, 10, 10])[0],
                tags=list(patient.tags),
                owner_id=rng.choice(OWNERS),
                created_at=created,
                updated_at=created,
            )
        )
    return contacts


def _deals(rng: random.Random, today: datetime, contacts: list[Contact], count: int) -> list[Deal]:
    deals = []
    for contact in rng.sample(contacts, min(count, len(contacts))):
        package, value, _ = rng.choice(PACKAGES)
        stage = rng.choices(DEAL_STAGES, DEAL_STAGE_WEIGHTS)[0]
        created = max(contact.created_at, today - timedelta(days=rng.randrange(1, 45), hours=rng.randrange(0, 24)))
        deals.append(
            Deal(
                id=_id(rng, "deal"),
                name=f"{package} ({contact.name.split()[0]})",
                contact_id=contact.id,
                patient_id=contact.patient_id,
                value=value,
                stage=stage,
                owner_id=contact.owner_id or rng.choice(OWNERS),
                package=package,
                probability=PROBABILITY[stage],
                created_at=created,
                updated_at=created + timedelta(hours=rng.randrange(0, 72)),
            )
        )
    return deals


def _tasks(rng: random.Random, today: datetime, contacts: list[Contact], count: int) -> list[Task]:
    patients = [c for c in contacts if c.patient_id]
    tasks = []
    for index in range(count):
        template, role, holders, clinical = rng.choice(TASKS)
        contact = rng.choice(patients if clinical and patients else contacts)
        status = rng.choices(TASK_STATUSES, TASK_STATUS_WEIGHTS)[0]
        created = today - timedelta(days=rng.randrange(1, 21), hours=rng.randrange(0, 24))
        # A third overdue, a third due today in clinic hours (9-18 Eastern), a third later.
        when = index % 3
        if when == 0:
            due = today - timedelta(days=rng.randrange(0, 6) + 1, hours=-rng.randrange(13, 22))
        elif when == 1:
            due = today + timedelta(hours=rng.randrange(13, 22), minutes=rng.choice([0, 15, 30, 45]))
        else:
            due = today + timedelta(days=rng.randrange(1, 11), hours=rng.randrange(13, 22))
        due = max(due, created + timedelta(hours=1))
        assigned = status != "open" or rng.random() < 0.5  # unassigned ones wait in the role's queue
        done = status == "done"
        tasks.append(
            Task(
                id=_id(rng, "task"),
                title=template.format(service=rng.choice(SERVICES)),
                assignee_user_id=rng.choice(holders) if assigned else None,
                assignee_role=role,
                due_at=due,
                priority=rng.choices(["low", "normal", "high", "urgent"], [15, 55, 22, 8])[0],
                status=status,
                patient_id=contact.patient_id,
                contact_id=contact.id,
                disposition=rng.choice(["reached_patient", "left_voicemail", "booked", "sent_info"]) if done else None,
                completed_at=min(due, today - timedelta(minutes=5)) if done else None,
                created_at=created,
                updated_at=created,
            )
        )
    return tasks


def seed_crm(
    sandbox: Sandbox,
    patients: list[Patient],
    rng: random.Random,
    workspace_id: str = "ws_truebliss",
    today: datetime | None = None,
) -> None:
    """Insert the CRM demo data in bulk, without events. Dates hang off `today` (midnight UTC,
    defaulting to the current day) so the queue always has overdue and due-today work."""
    today = today or datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    leads, lead_contacts = _leads(rng, today, 120)
    contacts = lead_contacts + _patient_contacts(rng, today, patients, 30)
    deals = _deals(rng, today, contacts, 40)
    tasks = _tasks(rng, today, contacts, 80)
    records: list[tuple[str, Lead | Contact | Deal | Task]] = [
        *(("lead", r) for r in leads),
        *(("contact", r) for r in contacts),
        *(("deal", r) for r in deals),
        *(("task", r) for r in tasks),
    ]
    rows = [
        (model.id, kind, workspace_id, int(model.created_at.timestamp() * 1_000_000) + index, model.model_dump_json())
        for index, (kind, model) in enumerate(records)
    ]
    with sandbox.db.tx():
        sandbox.db.conn.executemany(
            "INSERT INTO records (id, kind, workspace_id, ts, data) VALUES (?, ?, ?, ?, ?)", rows
        )

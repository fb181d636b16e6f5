"""Synthetic chart history for the demo clinic: encounters, notes, and consent forms.

Everything derives from the caller's `rng` and fixed dates, so a seed gives the same chart every
time. Records go in with bulk inserts and no events: seed data is history, not news.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from talkya_console.sandbox.context import Sandbox
from talkya_console.sandbox.seed.credentials import TRUEBLISS
from talkya_console.sandbox.seed.staff import providers
from talkya_console.wire.ehr import Addendum, Document, Encounter, File, Note, NoteType, Patient

# The API page's example moment; the chart's history ends just before it.
MARIA_METADATA = {"call_id": "call_7fd2", "crm_deal_id": "deal_42"}


@dataclass(frozen=True)
class Visit:
    """A kind of visit the clinic charts, and who usually sees it."""

    type: str
    label: str
    note_type: NoteType
    reasons: tuple[str, str]  # one per story variant; TEXT's variants follow the same order
    preferred: tuple[str, ...]  # TrueBliss providers who usually see it
    remote: bool = False


VISITS = (
    Visit(
        "botox_consult",
        "Botox consult",
        "soap",
        ("Forehead and frown lines", "Neurotoxin maintenance"),
        ("usr_112", "usr_116", "usr_110"),
    ),
    Visit(
        "glp1_refill_review",
        "GLP-1 refill review",
        "progress",
        ("GLP-1 refill review", "Tirzepatide dose check"),
        ("usr_114",),
    ),
    Visit(
        "telehealth_follow_up",
        "Telehealth follow-up",
        "telehealth",
        ("GLP-1 refill review", "Post-treatment check-in"),
        ("usr_114", "usr_110"),
        remote=True,
    ),
    Visit(
        "filler_touch_up",
        "Filler touch-up",
        "procedure",
        ("Lip filler touch-up", "Cheek volume touch-up"),
        ("usr_112", "usr_110"),
    ),
    Visit("iv_therapy", "IV therapy", "procedure", ("Hydration drip", "Myers' cocktail"), ("usr_116",)),
    Visit(
        "new_patient_consult",
        "New patient consult",
        "soap",
        ("Weight management consult", "Aesthetic consult"),
        ("usr_110", "usr_114"),
    ),
)
_VISIT_WEIGHTS = (24, 22, 16, 12, 10, 16)
_SOURCES = ("front_desk", "ai_receptionist", "website", "provider")
_SOURCE_WEIGHTS = (40, 30, 20, 10)

# Section texts by visit type: one text for both story variants, or one per variant (in the order
# of Visit.reasons). {placeholders} are filled with the visit's own numbers.
TEXT: dict[str, dict[str, tuple[str, ...]]] = {
    "botox_consult": {
        "subjective": (
            "Wants to soften forehead and frown lines before an event in {weeks} weeks. No prior neurotoxin.",
            "Returning for neurotoxin; last treatment {weeks} weeks ago, pleased with result, lines returning.",
        ),
        "objective": (
            "Moderate dynamic glabellar and forehead lines, mild lateral canthal lines. Skin intact.",
            "Strong corrugator activity, mild brow asymmetry at rest. No active skin infection.",
        ),
        "assessment": ("Good candidate for neurotoxin. Denies neuromuscular disease; not pregnant or nursing.",),
        "plan": (
            "Onabotulinumtoxin A {units} units to glabella and forehead. Follow up in 2 weeks for touch-up if needed.",
            "Treated {units} units per plan. Avoid lying flat and strenuous exercise for 4 hours.",
        ),
    },
    "new_patient_consult": {
        "subjective": (
            "New patient interested in weight management; reports gradual gain over 2 years despite diet changes.",
            "New patient seeking a full aesthetic plan: fine lines, uneven tone, and volume loss at the cheeks.",
        ),
        "objective": ("BP {bp}, HR {hr}. Well appearing, in no distress.", "BP {bp}, HR {hr}, BMI {bmi}."),
        "assessment": (
            "Candidate for GLP-1 therapy; no personal or family history of medullary thyroid cancer or pancreatitis.",
            "Mild photoaging and midface volume loss; realistic goals discussed.",
        ),
        "plan": (
            "Baseline labs ordered (CMP, A1c, lipids). Start semaglutide 0.25 mg weekly after labs review.",
            "Proposed neurotoxin and filler plan with pricing; patient to schedule after considering options.",
        ),
    },
    "glp1_refill_review": {
        "interval_history": (
            "On semaglutide {sema} mg weekly for {weeks} weeks. Mild nausea day after dose, resolving.",
            "On tirzepatide {tirz} mg weekly. Appetite well controlled; no vomiting or abdominal pain.",
        ),
        "progress": ("Down {kg} kg since start. Tolerating well.", "Weight loss {kg} kg; plateau over last 2 weeks."),
        "plan": (
            "Continue current dose; 4-week refill sent. Recheck in 4 weeks.",
            "Titrate up one step as tolerated; refill sent. Protein and hydration reviewed.",
        ),
    },
    "telehealth_follow_up": {
        "chief_complaint": ("GLP-1 refill review.", "Follow-up after treatment."),
        "history": (
            "Video visit. On current GLP-1 dose {weeks} weeks, down {kg} kg. Occasional mild nausea.",
            "Video visit. Reports expected result, mild tenderness resolved by day 3. No fever or redness.",
        ),
        "assessment": ("Responding well; no red-flag symptoms.", "Normal post-treatment course."),
        "plan": ("Refill sent; next check-in in 4 weeks.", "No intervention needed; return as planned."),
    },
    "filler_touch_up": {
        "procedure": ("Hyaluronic acid filler touch-up, lips.", "Hyaluronic acid filler touch-up, cheeks."),
        "consent": ("Written consent signed; bruising, swelling, asymmetry and vascular occlusion risks reviewed.",),
        "technique": ("Topical anesthetic 20 min. Cannula and needle technique, aspiration before injection.",),
        "products_used": ("HA filler {ml} mL, lot TB-{lot}.",),
        "aftercare": ("Cold compress as needed, avoid pressure for 48 hours. Call for blanching or severe pain.",),
    },
    "iv_therapy": {
        "procedure": ("IV hydration, 1 L lactated Ringer's.", "Myers' cocktail infusion."),
        "consent": ("Verbal and written consent obtained; infiltration and vasovagal risks discussed.",),
        "technique": ("22G catheter left antecubital, first attempt. Infused over 45 min without incident.",),
        "products_used": ("LR 1000 mL, B-complex, vitamin C 1 g, lot TB-{lot}.",),
        "aftercare": ("Site clean and dry, no hematoma. Hydrate and rest today.",),
    },
}
ADDENDA = (
    "Called 2 days after treatment: mild bruising only; cold compress advised.",
    "Labs reviewed: A1c 5.6%, lipids and CMP within normal limits.",
    "Correction: product lot number is TB-{lot}.",
    "Patient messaged with a question about dosing; instructions re-sent.",
)
_SQL = "INSERT INTO records (id, kind, workspace_id, ts, data) VALUES (?, ?, ?, ?, ?)"


def _id(rng: random.Random, prefix: str) -> str:
    """A deterministic id in the API's prefixed form."""
    return f"{prefix}_{rng.getrandbits(48):012x}"


def _numbers(rng: random.Random) -> dict[str, Any]:
    """Plausible figures for one visit's note text."""
    return {
        "weeks": rng.choice((4, 6, 8, 12, 16)),
        "units": rng.choice((20, 24, 28, 32, 40)),
        "sema": rng.choice(("0.25", "0.5", "1", "1.7", "2.4")),
        "tirz": rng.choice(("2.5", "5", "7.5", "10")),
        "kg": round(rng.uniform(1.5, 11.0), 1),
        "bp": f"{rng.randrange(108, 134)}/{rng.randrange(68, 86)}",
        "hr": rng.randrange(60, 88),
        "bmi": round(rng.uniform(24.0, 36.0), 1),
        "ml": rng.choice(("0.5", "1.0", "1.5")),
        "lot": rng.randrange(1000, 9999),
    }


def consent_pdf(title: str, mrn: str, signed_on: str) -> bytes:
    """A small valid one-page PDF; it names the chart by MRN only."""
    text = f"{title}. MRN {mrn}. Signed electronically {signed_on}. Synthetic demo record."
    escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    stream = f"BT /F1 11 Tf 50 760 Td ({escaped}) Tj ET".encode("latin-1", "replace")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


class _Chart:
    """Collects rows for the bulk insert, giving each a unique keyset timestamp."""

    def __init__(self, workspace_id: str) -> None:
        self.workspace_id = workspace_id
        self.rows: list[tuple[str, str, str, int, str]] = []
        self.blobs: list[tuple[str, bytes]] = []

    def add(self, kind: str, model: Encounter | Note | File | Document, created_at: datetime) -> None:
        """Queue a record; the row index keeps timestamps unique when visits share a minute."""
        ts = int(created_at.timestamp() * 1_000_000) + len(self.rows)
        self.rows.append((model.id, kind, self.workspace_id, ts, model.model_dump_json()))


def _note(rng: random.Random, visit: Visit, variant: int, encounter: Encounter, at: datetime, sign: bool) -> Note:
    """The visit's note, signed by its provider (sometimes with an addendum) when `sign`."""
    numbers = _numbers(rng)
    sections = {name: texts[variant % len(texts)].format(**numbers) for name, texts in TEXT[visit.type].items()}
    note = Note(
        id=_id(rng, "note"),
        encounter_id=encounter.id,
        patient_id=encounter.patient_id,
        type=visit.note_type,
        title=visit.label,
        sections=sections,
        author_id=encounter.provider_id,
        created_at=at,
        updated_at=at,
    )
    if not sign:
        return note
    signed_at = at + timedelta(hours=rng.randrange(1, 48))
    note.status, note.signed_at, note.signed_by, note.updated_at = "signed", signed_at, encounter.provider_id, signed_at
    if rng.random() < 0.1:
        added = signed_at + timedelta(days=rng.randrange(1, 6))
        text = rng.choice(ADDENDA).format(**numbers)
        note.addenda = [Addendum(id=_id(rng, "adn"), text=text, author_id=encounter.provider_id, created_at=added)]
        note.updated_at = added
    return note


def _consent(rng: random.Random, chart: _Chart, patient: Patient, visit: Visit, encounter: Encounter) -> None:
    """A signed consent form, filed as a document with its PDF, on the visit's day."""
    at = encounter.scheduled_at or encounter.created_at
    title = f"Informed consent: {visit.label}"
    content = consent_pdf(title, patient.mrn, at.date().isoformat())
    common = {"patient_id": patient.id, "encounter_id": encounter.id, "created_at": at}
    filename = f"consent-{visit.type.replace('_', '-')}.pdf"
    file = File(
        id=_id(rng, "file"),
        filename=filename,
        content_type="application/pdf",
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        purpose="document",
        **common,
    )
    document = Document(
        id=_id(rng, "doc"),
        type="consent_form",
        title=title,
        file_id=file.id,
        filename=filename,
        content_type="application/pdf",
        size=len(content),
        **common,
    )
    chart.add("file", file, at)
    chart.add("document", document, at)
    chart.blobs.append((file.id, content))


@dataclass(frozen=True)
class _Staff:
    """Providers by visit type, and each provider's locations."""

    by_visit: dict[str, list[str]]
    locations: dict[str, list[str | None]]

    @classmethod
    def of(cls, workspace_id: str) -> _Staff:
        users = providers(workspace_id)
        ids = [u.id for u in users]
        by_visit = {v.type: [p for p in v.preferred if p in ids] or ids for v in VISITS}
        locations: dict[str, list[str | None]] = {u.id: [*u.location_ids] or [None] for u in users}
        return cls(by_visit, locations)


def _past_visits(rng: random.Random, chart: _Chart, patient: Patient, staff: _Staff, today: datetime) -> None:
    """One to four visits between registration and today, most closed and charted."""
    start = patient.created_at.replace(hour=13, minute=0, second=0) + timedelta(days=1)
    span = (today - start).days - 1
    if span < 1:
        return
    days = sorted(rng.sample(range(span), min(span, rng.choice((1, 1, 2, 2, 3, 4)))))
    consented = rng.random() < 0.35
    for day in days:
        visit = rng.choices(VISITS, _VISIT_WEIGHTS)[0]
        provider = rng.choice(staff.by_visit[visit.type])
        # Clinic hours in Miami, 9:00 to 17:30, as UTC.
        scheduled = start + timedelta(days=day, minutes=30 * rng.randrange(0, 18))
        booked = scheduled - timedelta(days=rng.randrange(0, 10), minutes=rng.randrange(0, 600))
        created = max(booked, patient.created_at)
        # Charts left open are recent ones; older visits were closed or cancelled long ago.
        recent = scheduled > today - timedelta(days=21)
        status = rng.choices(("closed", "open", "cancelled"), (60, 35, 5) if recent else (93, 0, 7))[0]
        variant = rng.randrange(2)
        closed_at = scheduled + timedelta(minutes=rng.randrange(20, 90)) if status == "closed" else None
        source = "telehealth" if visit.remote and rng.random() < 0.5 else rng.choices(_SOURCES, _SOURCE_WEIGHTS)[0]
        encounter = Encounter(
            id=_id(rng, "enc"),
            patient_id=patient.id,
            provider_id=provider,
            location_id=None if visit.remote else rng.choice(staff.locations[provider]),
            type=visit.type,
            reason=visit.reasons[variant],
            source=source,
            status=status,
            scheduled_at=scheduled,
            closed_at=closed_at,
            metadata={"call_id": _id(rng, "call")} if source == "ai_receptionist" else {},
            created_at=created,
            updated_at=closed_at or created,
        )
        chart.add("encounter", encounter, created)
        if status == "cancelled":
            continue
        if status == "open" or rng.random() < 0.85:
            note_at = scheduled + timedelta(minutes=rng.randrange(5, 20))
            chart.add(
                "note",
                _note(rng, visit, variant, encounter, note_at, status == "closed" and rng.random() < 0.88),
                note_at,
            )
        if consented and visit.note_type in ("procedure", "soap"):
            _consent(rng, chart, patient, visit, encounter)
            consented = False


def _maria(rng: random.Random, chart: _Chart, patient: Patient, today: datetime) -> None:
    """The API page's example encounter, open for Maria Lopez."""
    created = today - timedelta(minutes=2)
    encounter = Encounter(
        id=_id(rng, "enc"),
        patient_id=patient.id,
        provider_id="usr_114",
        type="telehealth_follow_up",
        reason="GLP-1 refill review",
        source="ai_receptionist",
        scheduled_at=today + timedelta(days=1, hours=1),
        metadata=dict(MARIA_METADATA),
        created_at=created,
        updated_at=created,
    )
    chart.add("encounter", encounter, created)


def seed_ehr(
    sandbox: Sandbox, patients: list[Patient], rng: random.Random, workspace_id: str = TRUEBLISS, *, today: datetime
) -> None:
    """Give about 60% of `patients` past encounters, with notes and some consent forms."""
    staff = _Staff.of(workspace_id)
    if not staff.locations:  # a workspace without providers has no visits to chart
        return
    chart = _Chart(workspace_id)
    for patient in patients:
        if rng.random() < 0.6:
            _past_visits(rng, chart, patient, staff, today)
    if patients and workspace_id == TRUEBLISS:
        _maria(rng, chart, patients[0], today)
    db = sandbox.db
    with db.tx():
        db.conn.executemany(_SQL, chart.rows)
        db.conn.executemany("INSERT INTO blobs (file_id, content) VALUES (?, ?)", chart.blobs)

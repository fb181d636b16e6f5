"""Synthetic patients: deterministic, varied, and obviously not real people."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

from talkya_console.sandbox import search
from talkya_console.sandbox.context import Sandbox
from talkya_console.wire.ehr import Address, IntakeConsent, Patient, Phone

FIRST = {
    "female": "Maria Sofia Isabella Camila Valentina Emma Olivia Ava Mia Harper Lucia Gabriela Ana "
    "Daniela Natalia Chloe Grace Aaliyah Zoe Nora Leah Priya Mei Yuki Fatima Amara Ines "
    "Renata Carmen Rosa Elena Claire Hannah Julia Bianca Paola Marisol Yesenia Tiana".split(),
    "male": "James Mateo Santiago Liam Noah Lucas Diego Gabriel Daniel Carlos Luis Miguel Javier "
    "Ethan Mason Elijah Omar Andre Marcus Kenji Raj Wei Tomas Rafael Hector Julian Adrian "
    "Victor Samuel David Nicolas Felipe Andres Brandon Tyrone Ivan Emilio Dmitri Kwame".split(),
}
LAST = (
    "Lopez Garcia Rodriguez Martinez Hernandez Gonzalez Perez Sanchez Ramirez Torres Flores "
    "Rivera Gomez Diaz Cruz Morales Ortiz Gutierrez Chavez Ramos Smith Johnson Williams Brown "
    "Jones Miller Davis Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Thompson White "
    "Harris Clark Lewis Robinson Walker Young Allen King Wright Scott Nguyen Patel Kim Chen "
    "Okafor Mensah Cohen Rossi Silva Castillo Vargas Mendoza Romero Alvarez Jimenez Ruiz "
    "Navarro Dominguez Vega Suarez Delgado Castro Pena Fuentes Herrera Aguilar Medina"
).split()
STREETS = "Brickell Biscayne Coral Ponce Alhambra Sunset Collins Flagler Douglas Granada Bird Tigertail".split()
CITIES = [
    ("Miami", "33131"),
    ("Coral Gables", "33134"),
    ("Miami Beach", "33139"),
    ("Key Biscayne", "33149"),
    ("Doral", "33172"),
]
TAGS = [
    "botox",
    "glp1",
    "filler",
    "vip",
    "membership",
    "telehealth",
    "spanish",
    "new",
    "laser",
    "weight_loss",
    "facial",
    "iv_therapy",
]
EPOCH = datetime(2024, 1, 8, 14, 0, tzinfo=UTC)


def make_patient(rng: random.Random, index: int, prefix: str = "TB") -> Patient:
    sex = rng.choice(["female", "female", "female", "male", "male"])
    first = rng.choice(FIRST[sex])
    last = rng.choice(LAST)
    if index == 0:
        first, last, sex = "Maria", "Lopez", "female"
    dob = date(1950, 1, 1) + timedelta(days=rng.randrange(0, 365 * 55))
    # 555-01xx numbers are reserved for fiction.
    phone = f"+1{rng.choice(['305', '786', '954'])}55501{rng.randrange(100):02d}"
    email_user = f"{first}.{last}{rng.randrange(10, 99)}".lower()
    city, postal = rng.choice(CITIES)
    created = EPOCH + timedelta(minutes=index * 7 + rng.randrange(0, 6))
    captured = created - timedelta(minutes=rng.randrange(5, 120))
    return Patient(
        id=f"pat_{rng.getrandbits(48):012x}",
        first_name=first,
        last_name=last,
        name=f"{first} {last}",
        dob=dob,
        sex=sex,
        mrn=f"{prefix}{100001 + index}",
        phones=[Phone(type="mobile", number=phone)],
        emails=[f"{email_user}@example.com"],
        address=Address(
            line1=f"{rng.randrange(10, 9999)} {rng.choice(STREETS)} St", city=city, state="FL", postal_code=postal
        ),
        tags=sorted(rng.sample(TAGS, rng.randrange(0, 3))),
        consent=IntakeConsent(
            intake=True,
            captured_at=captured,
            method=rng.choice(["electronic", "written", "ai_receptionist"]),
            sms=rng.random() < 0.8,
            marketing=rng.random() < 0.4,
        ),
        created_at=created,
        updated_at=created,
    )


def seed_patients(
    sandbox: Sandbox, count: int, workspace_id: str = "ws_truebliss", seed: int = 7, prefix: str = "TB"
) -> list[Patient]:
    """Insert `count` synthetic patients in bulk; 100,000 take seconds, not minutes."""
    rng = random.Random(seed)
    db = sandbox.db
    patients: list[Patient] = []
    batch = 5000
    for start in range(0, count, batch):
        chunk = [make_patient(rng, i, prefix) for i in range(start, min(count, start + batch))]
        patients.extend(chunk)
        with db.tx():
            db.conn.executemany(
                "INSERT INTO records (id, kind, workspace_id, ts, data) VALUES (?, 'patient', ?, ?, ?)",
                [(p.id, workspace_id, int(p.created_at.timestamp() * 1_000_000), p.model_dump_json()) for p in chunk],
            )
            db.conn.executemany(
                "INSERT INTO patient_search (rowid, names, phones, emails, mrn, dob, tags) "
                "SELECT rowid, ?, ?, ?, ?, ?, ? FROM records WHERE id = ?",
                [(*search.index_row(p), p.id) for p in chunk],
            )
    db.meta_set(f"mrn_seq:{workspace_id}", str(100000 + count))
    return patients

"""The demo clinics' staff, locations and channel ids (synthetic people)."""

from __future__ import annotations

from datetime import UTC, datetime

from talkya_console.sandbox.db import Database
from talkya_console.sandbox.seed.credentials import NORTHSIDE, TRUEBLISS
from talkya_console.wire.users import Location, User

_SINCE = datetime(2024, 1, 8, 14, 0, tzinfo=UTC)

LOCATIONS = {
    TRUEBLISS: [
        Location(id="loc_brickell", name="TrueBliss Brickell", address="1200 Brickell Ave, Miami, FL"),
        Location(id="loc_coralgables", name="TrueBliss Coral Gables", address="300 Miracle Mile, Coral Gables, FL"),
    ],
    NORTHSIDE: [Location(id="loc_northside", name="Northside Family Clinic", timezone="America/Chicago")],
}

# (id, name, role, title, locations)
_TRUEBLISS_STAFF = [
    ("usr_101", "Dana Whitfield", "admin", "Practice Manager", ["loc_brickell", "loc_coralgables"]),
    ("usr_102", "Jordan Reyes", "front_desk", "Front Desk Lead", ["loc_brickell"]),
    ("usr_103", "Priya Natarajan", "front_desk", "Front Desk", ["loc_coralgables"]),
    ("usr_104", "Marcus Bell", "va", "Virtual Assistant", ["loc_brickell", "loc_coralgables"]),
    ("usr_105", "Lucia Fernandez", "va", "Virtual Assistant (bilingual)", ["loc_brickell", "loc_coralgables"]),
    ("usr_106", "Tessa Moreau", "coordinator", "Patient Care Coordinator", ["loc_brickell"]),
    ("usr_107", "Owen Gallagher", "billing", "Billing Specialist", ["loc_brickell", "loc_coralgables"]),
    ("usr_110", "Dr. Elena Vasquez", "provider", "MD, Medical Director", ["loc_brickell"]),
    ("usr_112", "Sam Okafor", "provider", "NP, Aesthetic Injector", ["loc_coralgables"]),
    ("usr_114", "Dr. Hannah Cho", "provider", "DO, Weight Management", ["loc_brickell", "loc_coralgables"]),
    ("usr_116", "Rachel Kim", "provider", "RN, Aesthetic Nurse", ["loc_brickell"]),
]
_NORTHSIDE_STAFF = [
    ("usr_201", "Alex Moran", "front_desk", "Front Desk", ["loc_northside"]),
    ("usr_202", "Dr. Ben Carter", "provider", "MD, Family Medicine", ["loc_northside"]),
]

DEMO_FRONT_DESK_USER = "usr_102"

# Fixed so that seeded messages and Hermes routes point at the same channels.
CHANNEL_FRONT_DESK = "ch_frontdesk"
CHANNEL_PROVIDERS = "ch_providers"
CHANNEL_BILLING = "ch_billing"
CHANNEL_MARKETING = "ch_marketing"


def staff(workspace_id: str) -> list[User]:
    rows = _TRUEBLISS_STAFF if workspace_id == TRUEBLISS else _NORTHSIDE_STAFF
    domain = "truebliss.example" if workspace_id == TRUEBLISS else "northside.example"
    users = []
    for id_, name, role, title, locations in rows:
        local = name.replace("Dr. ", "").split()[0].lower() + "." + name.split()[-1].lower()
        users.append(
            User(
                id=id_,
                name=name,
                email=f"{local}@{domain}",
                role=role,
                title=title,
                location_ids=locations,
                created_at=_SINCE,
            )
        )
    return users


def providers(workspace_id: str) -> list[User]:
    return [u for u in staff(workspace_id) if u.role == "provider"]


def seed_staff(db: Database) -> None:
    with db.tx():
        for workspace_id, locations in LOCATIONS.items():
            for index, location in enumerate(locations):
                db.insert("location", workspace_id, location, ts=index + 1)
            for index, user in enumerate(staff(workspace_id)):
                db.insert("user", workspace_id, user, ts=index + 1)

"""Leads and contacts: capture as the API page shows it, one contact per phone, filters, profiles with open tasks."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import pytest

from talkya_console.sandbox.auth import Authenticator
from talkya_console.sandbox.context import Sandbox
from talkya_console.sandbox.db import Database, Where
from talkya_console.sandbox.seed.crm import seed_crm
from talkya_console.sandbox.seed.people import seed_patients
from talkya_console.sandbox.seed.staff import seed_staff, staff
from talkya_console.wire import Event
from tests.conftest import NORTHSIDE_HEADERS, READONLY_HEADERS
from tests.sandbox_helpers import assert_error, walk

PAGE_LEAD = {
    "source": "website",
    "service_interest": "Botox consult",
    "patient": {"name": "Maria Lopez", "phone": "+13055550123"},
    "consent": {"sms": True, "marketing": True},
}


def lead_body(**overrides: object) -> dict[str, object]:
    body = {
        "source": "instagram",
        "intent": "new_consult",
        "service_interest": "Lip filler",
        "patient": {"name": "Ines Rossi", "phone": "(786) 555-0144", "email": "ines.r@example.com"},
        "consent": {"sms": True},
        "campaign": "ig_test_campaign",
    }
    body.update(overrides)
    return body


def events(sandbox, type_: str) -> list[Event]:
    return sandbox.db.all("event", "ws_truebliss", Event, Where().eq("type", type_))


@pytest.fixture
async def lead(api):
    return (await api.post("/v1/leads", json=lead_body())).json()


# -- leads ----------------------------------------------------------------------------------


async def test_the_pages_example_lead_is_created_and_replayed_under_its_idempotency_key(api, sandbox):
    headers = {"Idempotency-Key": "lead-form-2026-05-18-001"}
    first = await api.post("/v1/leads", json=PAGE_LEAD, headers=headers)
    assert first.status_code == 201, first.text
    lead = first.json()
    assert lead["id"].startswith("lead_")
    assert lead["object"] == "lead"
    assert lead["source"] == "website"
    assert lead["service_interest"] == "Botox consult"
    assert lead["status"] == "new"
    assert lead["patient"]["phone"] == "+13055550123"
    assert lead["consent"] == {"sms": True, "marketing": True, "email": False}
    assert lead["contact_id"].startswith("con_")

    again = await api.post("/v1/leads", json=PAGE_LEAD, headers=headers)
    assert again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == lead
    assert [e.data["lead_id"] for e in events(sandbox, "lead.created")] == [lead["id"]]


async def test_reusing_the_idempotency_key_for_another_lead_is_422(api):
    headers = {"Idempotency-Key": "lead-form-2026-05-18-001"}
    await api.post("/v1/leads", json=PAGE_LEAD, headers=headers)
    response = await api.post("/v1/leads", json=lead_body(), headers=headers)
    assert_error(response, 422, "idempotency_key_reused")


async def test_lead_created_event_names_ids_and_interest_but_no_phi(api, sandbox, lead):
    [event] = events(sandbox, "lead.created")
    assert event.data == {
        "lead_id": lead["id"],
        "source": "instagram",
        "intent": "new_consult",
        "service_interest": "Lip filler",
    }
    assert "Ines" not in str(event.data)


async def test_lead_phone_is_stored_as_e164(lead):
    assert lead["patient"]["phone"] == "+17865550144"


async def test_lead_creates_a_contact_at_stage_lead_linked_both_ways(api, lead):
    contact = (await api.get(f"/v1/contacts/{lead['contact_id']}")).json()
    assert contact["stage"] == "lead"
    assert contact["lead_id"] == lead["id"]
    assert contact["name"] == "Ines Rossi"
    assert contact["phone"] == "+17865550144"
    assert contact["email"] == "ines.r@example.com"


async def test_a_second_lead_with_the_same_phone_reuses_the_contact(api, lead):
    again = (
        await api.post(
            "/v1/leads", json=lead_body(source="referral", patient={"name": "Ines R", "phone": "+1 786 555 0144"})
        )
    ).json()
    assert again["contact_id"] == lead["contact_id"]
    contacts = [c for c in await walk(api, "/v1/contacts") if c["phone"] == "+17865550144"]
    assert [c["id"] for c in contacts] == [lead["contact_id"]]
    assert contacts[0]["lead_id"] == lead["id"]  # the contact keeps the lead that first brought it


async def test_a_lead_for_a_known_contacts_phone_links_that_contact_to_it(api):
    contact = (
        await api.post("/v1/contacts", json={"name": "Ines", "phone": "+17865550144", "stage": "prospect"})
    ).json()
    lead = (await api.post("/v1/leads", json=lead_body())).json()
    assert lead["contact_id"] == contact["id"]
    linked = (await api.get(f"/v1/contacts/{contact['id']}")).json()
    assert (linked["lead_id"], linked["stage"]) == (lead["id"], "prospect")


async def test_a_lead_without_a_phone_gets_its_own_contact(api):
    one = (await api.post("/v1/leads", json=lead_body(patient={"name": "Walk In"}))).json()
    two = (await api.post("/v1/leads", json=lead_body(patient={"name": "Walk In"}))).json()
    assert one["contact_id"] != two["contact_id"]


@pytest.mark.parametrize(
    ("body", "code", "param"),
    [
        (lead_body(patient={"name": "Ines", "phone": "12ab"}), "phone_invalid", "patient.phone"),
        (lead_body(patient={"phone": "+13055550144"}), "parameter_missing", "patient.name"),
        (lead_body(source="Web Site"), "parameter_invalid", "source"),
        (lead_body(referrer="tiktok"), "parameter_unknown", "referrer"),
        (lead_body(consent={"sms": "maybe"}), "parameter_invalid", "consent.sms"),
    ],
)
async def test_a_bad_lead_body_is_422_naming_the_field(api, sandbox, body, code, param):
    assert_error(await api.post("/v1/leads", json=body), 422, code, param=param)
    assert events(sandbox, "lead.created") == []


async def test_read_only_key_cannot_create_or_update_leads_but_can_read_them(api, lead):
    assert_error(await api.post("/v1/leads", json=PAGE_LEAD, headers=READONLY_HEADERS), 403, "insufficient_scope")
    response = await api.patch(f"/v1/leads/{lead['id']}", json={"status": "contacted"}, headers=READONLY_HEADERS)
    assert_error(response, 403, "insufficient_scope")
    assert (await api.get(f"/v1/leads/{lead['id']}", headers=READONLY_HEADERS)).json()["id"] == lead["id"]


async def test_another_workspaces_lead_is_404(api, lead):
    assert_error(await api.get(f"/v1/leads/{lead['id']}", headers=NORTHSIDE_HEADERS), 404, "resource_missing")
    response = await api.patch(f"/v1/leads/{lead['id']}", json={"status": "lost"}, headers=NORTHSIDE_HEADERS)
    assert_error(response, 404, "resource_missing")
    theirs = (await api.get("/v1/leads", headers=NORTHSIDE_HEADERS)).json()["data"]
    assert lead["id"] not in [x["id"] for x in theirs]


async def test_unknown_lead_is_404(api):
    assert_error(await api.get("/v1/leads/lead_nope"), 404, "resource_missing")
    assert_error(await api.patch("/v1/leads/lead_nope", json={"status": "lost"}), 404, "resource_missing")


async def test_update_changes_status_and_notes(api, lead):
    response = await api.patch(f"/v1/leads/{lead['id']}", json={"status": "qualified", "notes": "Wants June."})
    assert response.status_code == 200
    assert response.json()["status"] == "qualified"
    assert response.json()["notes"] == "Wants June."
    assert (await api.get(f"/v1/leads/{lead['id']}")).json()["status"] == "qualified"


async def test_update_with_null_status_is_422_not_a_crash(api, lead):
    assert_error(await api.patch(f"/v1/leads/{lead['id']}", json={"status": None}), 422, "parameter_invalid", "status")


async def test_lead_filters_return_only_matching_rows(api):
    a = (await api.post("/v1/leads", json=lead_body(campaign="f_camp", source="google_ads", intent="pricing"))).json()
    b = (await api.post("/v1/leads", json=lead_body(campaign="f_camp", source="website", intent="new_consult"))).json()
    await api.patch(f"/v1/leads/{b['id']}", json={"status": "contacted"})

    def ids(rows: list[dict]) -> set[str]:
        return {r["id"] for r in rows if r.get("campaign") == "f_camp"}

    assert {r["id"] for r in await walk(api, "/v1/leads", campaign="f_camp")} == {a["id"], b["id"]}
    assert ids(await walk(api, "/v1/leads", source="google_ads")) == {a["id"]}
    assert ids(await walk(api, "/v1/leads", intent="new_consult")) == {b["id"]}
    assert ids(await walk(api, "/v1/leads", status="contacted")) == {b["id"]}
    assert ids(await walk(api, "/v1/leads", status="new")) == {a["id"]}
    assert all(r["source"] == "google_ads" for r in await walk(api, "/v1/leads", source="google_ads"))


async def test_created_after_is_inclusive_and_created_before_exclusive(api, lead):
    at = datetime.fromisoformat(lead["created_at"].replace("Z", "+00:00"))
    in_paris = (at + timedelta(hours=2)).replace(tzinfo=None).isoformat() + "+02:00"
    cases = [
        ({"created_after": lead["created_at"]}, True),
        ({"created_after": in_paris}, True),
        ({"created_after": (at + timedelta(seconds=1)).isoformat()}, False),
        ({"created_before": lead["created_at"]}, False),
        ({"created_before": (at + timedelta(seconds=1)).isoformat()}, True),
        ({"created_after": "2020-01-01T00:00:00Z", "created_before": "2020-02-01T00:00:00Z"}, False),
    ]
    for params, found in cases:
        assert (lead["id"] in [r["id"] for r in await walk(api, "/v1/leads", **params)]) is found, params


@pytest.mark.parametrize("param", ["created_after", "created_before"])
async def test_a_garbage_time_filter_is_400(api, param):
    assert_error(await api.get("/v1/leads", params={param: "last tuesday"}), 400, "parameter_invalid", param)


async def test_an_unknown_lead_status_filter_is_400(api):
    assert_error(await api.get("/v1/leads", params={"status": "hot"}), 400, "parameter_invalid", "status")


# -- contacts -------------------------------------------------------------------------------


@pytest.fixture
async def patient_id(api) -> str:
    return (await api.get("/v1/patients", params={"limit": 1})).json()["data"][0]["id"]


async def test_create_contact_normalises_phone_and_links_patient_and_owner(api, patient_id):
    body = {
        "name": "Rosa Q",
        "phone": "305.555.0199",
        "patient_id": patient_id,
        "stage": "patient",
        "owner_id": "usr_106",
    }
    response = await api.post("/v1/contacts", json=body)
    assert response.status_code == 201, response.text
    contact = response.json()
    assert contact["id"].startswith("con_")
    assert contact["phone"] == "+13055550199"
    assert (contact["patient_id"], contact["owner_id"], contact["stage"]) == (patient_id, "usr_106", "patient")
    assert contact["open_tasks"] == []


@pytest.mark.parametrize(
    ("body", "status", "code", "param"),
    [
        ({"name": "X", "owner_id": "usr_999"}, 404, "resource_missing", "owner_id"),
        ({"name": "X", "owner_id": "usr_201"}, 404, "resource_missing", "owner_id"),  # Northside's staff
        ({"name": "X", "patient_id": "pat_nope"}, 404, "resource_missing", "patient_id"),
        ({"name": "X", "phone": "call me"}, 422, "phone_invalid", "phone"),
        ({"name": "X", "stage": "hot"}, 422, "parameter_invalid", "stage"),
        ({"name": ""}, 422, "parameter_invalid", "name"),
        ({"stage": "lead"}, 422, "parameter_missing", "name"),
    ],
)
async def test_a_bad_contact_body_is_refused_naming_the_field(api, body, status, code, param):
    assert_error(await api.post("/v1/contacts", json=body), status, code, param=param)


async def test_a_contacts_owner_must_be_a_user_not_another_record(api, patient_id):
    response = await api.post("/v1/contacts", json={"name": "X", "owner_id": patient_id})
    assert_error(response, 404, "resource_missing", "owner_id")


async def test_contact_filters_by_stage_tag_and_owner(api):
    a = (
        await api.post(
            "/v1/contacts", json={"name": "A", "stage": "prospect", "tags": ["vip", "botox"], "owner_id": "usr_104"}
        )
    ).json()
    b = (
        await api.post(
            "/v1/contacts", json={"name": "B", "stage": "consult_booked", "tags": ["botox"], "owner_id": "usr_105"}
        )
    ).json()
    mine = {a["id"], b["id"]}

    async def found(**params: str) -> set[str]:
        return {c["id"] for c in await walk(api, "/v1/contacts", **params)} & mine

    assert await found(tag="botox") == mine
    assert await found(tag="vip") == {a["id"]}
    assert await found(tag="vi") == set()
    assert await found(stage="consult_booked") == {b["id"]}
    assert await found(owner_id="usr_104") == {a["id"]}
    assert await found(owner_id="usr_104", tag="botox", stage="prospect") == {a["id"]}
    assert all(c["stage"] == "prospect" for c in await walk(api, "/v1/contacts", stage="prospect"))


async def test_contact_shows_its_and_its_patients_open_tasks_soonest_first(api, patient_id):
    contact = (await api.post("/v1/contacts", json={"name": "Rosa", "patient_id": patient_id})).json()
    later = {"title": "Patient task", "patient_id": patient_id, "due_at": "2030-01-02T15:00:00Z"}
    sooner = {"title": "Contact task", "contact_id": contact["id"], "due_at": "2030-01-01T15:00:00Z"}
    t_later = (await api.post("/v1/tasks", json=later)).json()
    t_sooner = (await api.post("/v1/tasks", json=sooner)).json()
    done = (await api.post("/v1/tasks", json={"title": "Done", "patient_id": patient_id})).json()
    await api.post(f"/v1/tasks/{done['id']}/complete", json={"disposition": "reached_patient"})
    await api.post(f"/v1/tasks/{t_later['id']}/claim", json={"user_id": "usr_106"})
    await api.post("/v1/tasks", json={"title": "Someone else's"})

    profile = (await api.get(f"/v1/contacts/{contact['id']}")).json()
    assert [t["id"] for t in profile["open_tasks"]] == [t_sooner["id"], t_later["id"]]
    assert profile["open_tasks"][1]["status"] == "in_progress"


async def test_update_contact_stage_tags_and_owner(api, lead):
    response = await api.patch(
        f"/v1/contacts/{lead['contact_id']}",
        json={"stage": "consult_booked", "tags": ["filler"], "owner_id": "usr_106"},
    )
    assert response.status_code == 200, response.text
    assert (response.json()["stage"], response.json()["tags"], response.json()["owner_id"]) == (
        "consult_booked",
        ["filler"],
        "usr_106",
    )


@pytest.mark.parametrize(
    ("body", "status", "code", "param"),
    [
        ({"owner_id": "usr_nope"}, 404, "resource_missing", "owner_id"),
        ({"phone": "not a number"}, 422, "phone_invalid", "phone"),
        ({"name": None}, 422, "parameter_invalid", "name"),
        ({"patient_id": "pat_x"}, 422, "parameter_unknown", "patient_id"),
    ],
)
async def test_a_bad_contact_update_is_refused_naming_the_field(api, lead, body, status, code, param):
    assert_error(await api.patch(f"/v1/contacts/{lead['contact_id']}", json=body), status, code, param=param)


async def test_contact_scope_and_workspace_are_enforced(api, lead):
    url = f"/v1/contacts/{lead['contact_id']}"
    assert_error(await api.patch(url, json={"stage": "lost"}, headers=READONLY_HEADERS), 403, "insufficient_scope")
    assert_error(
        await api.post("/v1/contacts", json={"name": "X"}, headers=READONLY_HEADERS), 403, "insufficient_scope"
    )
    assert_error(await api.get(url, headers=NORTHSIDE_HEADERS), 404, "resource_missing")
    assert_error(await api.patch(url, json={"stage": "prospect"}, headers=NORTHSIDE_HEADERS), 404, "resource_missing")
    assert_error(await api.get("/v1/contacts/con_nope"), 404, "resource_missing")


# -- the demo seed ----------------------------------------------------------------------------


def _seeded(seed: int) -> list[tuple]:
    db = Database()
    sandbox = Sandbox(db, Authenticator(db))
    seed_staff(db)
    patients = seed_patients(sandbox, 200)
    seed_crm(sandbox, patients, random.Random(seed), today=datetime.fromisoformat("2026-05-18T00:00:00+00:00"))
    rows = db.conn.execute(
        "SELECT id, kind, ts, data FROM records WHERE kind IN ('lead', 'contact', 'deal', 'task') ORDER BY id"
    )
    return rows.fetchall()


def test_seed_crm_is_deterministic():
    first = _seeded(3)
    assert _seeded(3) == first
    assert _seeded(4) != first


def test_seed_crm_builds_a_believable_clinic_whose_references_resolve():
    db = Database()
    sandbox = Sandbox(db, Authenticator(db))
    seed_staff(db)
    patients = seed_patients(sandbox, 200)
    today = datetime.fromisoformat("2026-05-18T00:00:00+00:00")
    seed_crm(sandbox, patients, random.Random(3), today=today)
    ws = "ws_truebliss"
    counts = {kind: db.count(kind, ws) for kind in ("lead", "contact", "deal", "task", "event")}
    assert counts == {"lead": 120, "contact": 150, "deal": 40, "task": 80, "event": 0}

    import json

    def rows(kind: str) -> list[dict]:
        return [json.loads(r[0]) for r in db.conn.execute("SELECT data FROM records WHERE kind = ?", (kind,))]

    leads, contacts, deals, tasks = rows("lead"), rows("contact"), rows("deal"), rows("task")
    contact_ids, patient_ids = {c["id"] for c in contacts}, {p.id for p in patients}
    users = {u.id for u in staff(ws)}
    assert {lead["source"] for lead in leads} == {"website", "ai_receptionist", "instagram", "google_ads", "referral"}
    assert all(lead["contact_id"] in contact_ids and lead["patient"]["phone"][5:10] == "55501" for lead in leads)
    assert {c["stage"] for c in contacts} >= {"lead", "prospect", "patient", "inactive"}
    assert all(c["patient_id"] is None or c["patient_id"] in patient_ids for c in contacts)
    assert all(d["contact_id"] in contact_ids and isinstance(d["value"], int) for d in deals)
    assert {d["probability"] for d in deals if d["stage"] == "won"} == {100}
    assert len({d["stage"] for d in deals}) >= 5
    assert all(t["contact_id"] in contact_ids and t["assignee_user_id"] in (users | {None}) for t in tasks)
    due = [
        datetime.fromisoformat(t["due_at"].replace("Z", "+00:00"))
        for t in tasks
        if t["status"] in ("open", "in_progress")
    ]
    assert any(d < today for d in due)
    assert any(today <= d < today + timedelta(days=1) for d in due)
    assert any(t["status"] == "done" and t["completed_at"] for t in tasks)

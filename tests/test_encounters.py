"""Encounters: linked to real patients and providers, audited, and final once closed; plus the
seeded chart history."""

from __future__ import annotations

import random
from typing import Any

import pytest

from talkya_console.sandbox.app import create_app
from talkya_console.sandbox.clinical import TEMPLATES
from talkya_console.sandbox.db import Where
from talkya_console.sandbox.seed.ehr import MARIA_METADATA, seed_ehr
from talkya_console.sandbox.seed.people import seed_patients
from talkya_console.wire import Document, Encounter, Event, Note
from tests.conftest import DEMO_TODAY, NORTHSIDE_HEADERS, READONLY_HEADERS
from tests.sandbox_helpers import assert_error, patient_body, walk


@pytest.fixture
async def patient_id(api) -> str:
    """A new patient, so no seeded encounter shares the filters these tests use."""
    return (await api.post("/v1/patients", json=patient_body())).json()["id"]


def encounter_body(patient_id: str, **overrides: Any) -> dict[str, Any]:
    body = {
        "patient_id": patient_id,
        "provider_id": "usr_114",
        "location_id": "loc_brickell",
        "type": "glp1_refill_review",
        "reason": "GLP-1 refill review",
        "source": "front_desk",
    }
    body.update(overrides)
    return body


@pytest.fixture
async def encounter(api, patient_id) -> dict[str, Any]:
    response = await api.post("/v1/encounters", json=encounter_body(patient_id))
    assert response.status_code == 201, response.text
    return response.json()


async def test_create_links_patient_provider_and_location(api, encounter, patient_id):
    assert encounter["id"].startswith("enc_")
    assert encounter["object"] == "encounter"
    assert (encounter["patient_id"], encounter["provider_id"], encounter["location_id"]) == (
        patient_id,
        "usr_114",
        "loc_brickell",
    )
    assert encounter["status"] == "open"
    assert encounter["closed_at"] is None
    assert (await api.get(f"/v1/encounters/{encounter['id']}")).json() == encounter


async def test_the_pages_example_body_is_accepted(api, patient_id):
    body = {
        "patient_id": patient_id,
        "provider_id": "usr_114",
        "type": "telehealth_follow_up",
        "reason": "GLP-1 refill review",
        "source": "ai_receptionist",
        "metadata": {"call_id": "call_7fd2", "crm_deal_id": "deal_42"},
    }
    response = await api.post("/v1/encounters", json=body)
    assert response.status_code == 201, response.text
    assert response.json()["metadata"] == body["metadata"]
    assert response.json()["location_id"] is None


async def test_unknown_patient_is_404_naming_it(api):
    response = await api.post("/v1/encounters", json=encounter_body("pat_missing"))
    assert_error(response, 404, "resource_missing", param="patient_id")


@pytest.mark.parametrize("provider_id", ["usr_102", "usr_999", "usr_202"], ids=["front_desk", "unknown", "northside"])
async def test_provider_must_be_a_provider_of_this_workspace(api, patient_id, provider_id):
    response = await api.post("/v1/encounters", json=encounter_body(patient_id, provider_id=provider_id))
    assert_error(response, 422, "provider_invalid", param="provider_id")


async def test_location_of_another_workspace_is_404(api, patient_id):
    response = await api.post("/v1/encounters", json=encounter_body(patient_id, location_id="loc_northside"))
    assert_error(response, 404, "resource_missing", param="location_id")


@pytest.mark.parametrize(
    ("change", "code", "param"),
    [
        ({"type": None}, "parameter_invalid", "type"),
        ({"type": "Botox Consult!"}, "parameter_invalid", "type"),
        ({"source": "fax"}, "parameter_invalid", "source"),
        ({"reason": "x" * 501}, "parameter_invalid", "reason"),
        ({"colour": "blue"}, "parameter_unknown", "colour"),
    ],
)
async def test_bad_body_is_422_naming_the_field(api, patient_id, change, code, param):
    response = await api.post("/v1/encounters", json=encounter_body(patient_id, **change))
    assert_error(response, 422, code, param=param)


async def test_missing_type_is_422(api, patient_id):
    body = encounter_body(patient_id)
    del body["type"]
    assert_error(await api.post("/v1/encounters", json=body), 422, "parameter_missing", param="type")


async def test_list_filters_by_patient_provider_status_and_time(api, encounter, patient_id):
    other = (await api.post("/v1/encounters", json=encounter_body(patient_id, provider_id="usr_110"))).json()
    await api.post(f"/v1/encounters/{other['id']}/close")

    async def ids(**params: str) -> set[str]:
        return {e["id"] for e in await walk(api, "/v1/encounters", patient_id=patient_id, **params)}

    both = {encounter["id"], other["id"]}
    assert await ids() == both
    assert await ids(provider_id="usr_110") == {other["id"]}
    assert await ids(status="open") == {encounter["id"]}
    assert await ids(status="closed") == {other["id"]}
    assert await ids(created_after="2020-01-01T00:00:00Z") == both
    assert await ids(created_after=encounter["created_at"]) == both
    assert await ids(created_after="2999-01-01T00:00:00Z") == set()
    assert await ids(created_before=encounter["created_at"]) == set()
    assert await ids(created_before="2999-01-01T00:00:00Z") == both


@pytest.mark.parametrize(
    ("params", "param"),
    [({"created_after": "last tuesday"}, "created_after"), ({"status": "done"}, "status"), ({"limit": 0}, "limit")],
)
async def test_bad_list_parameters_are_400(api, params, param):
    assert_error(await api.get("/v1/encounters", params=params), 400, "parameter_invalid", param=param)


async def test_list_pages_never_repeat(api, patient_id):
    made = [(await api.post("/v1/encounters", json=encounter_body(patient_id))).json()["id"] for _ in range(5)]
    listed = [e["id"] for e in await walk(api, "/v1/encounters", patient_id=patient_id, limit=2)]
    assert listed == made[::-1]


async def test_update_changes_fields_and_is_audited(api, encounter):
    response = await api.patch(f"/v1/encounters/{encounter['id']}", json={"provider_id": "usr_110", "reason": "Dose"})
    assert response.status_code == 200, response.text
    assert (response.json()["provider_id"], response.json()["reason"]) == ("usr_110", "Dose")
    trail = (await api.get(f"/v1/encounters/{encounter['id']}/audit")).json()["data"]
    assert [e["action"] for e in trail] == ["updated", "created"]
    assert sorted(trail[0]["fields"]) == ["provider_id", "reason"]
    assert trail[0]["record_type"] == "encounter"
    assert trail[0]["actor"] == {"type": "api_key", "id": "demo (all scopes)"}
    assert trail[0]["request_id"] == response.headers["Talkya-Request-Id"]


async def test_update_that_changes_nothing_is_not_audited(api, encounter):
    response = await api.patch(f"/v1/encounters/{encounter['id']}", json={"reason": encounter["reason"]})
    assert response.status_code == 200
    trail = (await api.get(f"/v1/encounters/{encounter['id']}/audit")).json()["data"]
    assert [e["action"] for e in trail] == ["created"]


@pytest.mark.parametrize("field", ["provider_id", "type", "metadata"])
async def test_update_cannot_null_a_required_field(api, encounter, field):
    response = await api.patch(f"/v1/encounters/{encounter['id']}", json={field: None})
    assert_error(response, 422, "parameter_invalid", param=field)


async def test_update_checks_the_new_provider_and_location(api, encounter):
    path = f"/v1/encounters/{encounter['id']}"
    assert_error(await api.patch(path, json={"provider_id": "usr_101"}), 422, "provider_invalid", param="provider_id")
    assert_error(await api.patch(path, json={"location_id": "loc_nowhere"}), 404, "resource_missing", "location_id")


async def test_close_emits_encounter_closed_and_is_audited(api, sandbox, encounter):
    response = await api.post(f"/v1/encounters/{encounter['id']}/close")
    assert response.status_code == 200, response.text
    closed = response.json()
    assert closed["status"] == "closed"
    assert closed["closed_at"].endswith("Z")
    events = sandbox.db.all("event", "ws_truebliss", Event, Where().eq("type", "encounter.closed"))
    assert [e.data for e in events] == [
        {"encounter_id": encounter["id"], "patient_id": encounter["patient_id"], "provider_id": "usr_114"}
    ]
    trail = (await api.get(f"/v1/encounters/{encounter['id']}/audit")).json()["data"]
    assert trail[0]["action"] == "closed"
    assert trail[0]["fields"] == ["status", "closed_at"]


async def test_closing_twice_is_409_and_emits_once(api, sandbox, encounter):
    await api.post(f"/v1/encounters/{encounter['id']}/close")
    assert_error(await api.post(f"/v1/encounters/{encounter['id']}/close"), 409, "encounter_closed")
    assert len(sandbox.db.all("event", "ws_truebliss", Event, Where().eq("type", "encounter.closed"))) == 1


async def test_closed_encounter_cannot_be_updated(api, encounter):
    await api.post(f"/v1/encounters/{encounter['id']}/close")
    response = await api.patch(f"/v1/encounters/{encounter['id']}", json={"reason": "Changed my mind"})
    assert_error(response, 409, "encounter_closed")


async def test_retried_create_with_the_same_key_makes_one_encounter(api, patient_id):
    headers = {"Idempotency-Key": "enc-retry-1"}
    first = await api.post("/v1/encounters", json=encounter_body(patient_id), headers=headers)
    again = await api.post("/v1/encounters", json=encounter_body(patient_id), headers=headers)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    assert len(await walk(api, "/v1/encounters", patient_id=patient_id)) == 1


async def test_read_only_key_can_read_but_not_write(api, encounter, patient_id):
    path = f"/v1/encounters/{encounter['id']}"
    assert (await api.get(path, headers=READONLY_HEADERS)).status_code == 200
    assert (await api.get(f"{path}/audit", headers=READONLY_HEADERS)).status_code == 200
    for response in (
        await api.post("/v1/encounters", json=encounter_body(patient_id), headers=READONLY_HEADERS),
        await api.patch(path, json={"reason": "x"}, headers=READONLY_HEADERS),
        await api.post(f"{path}/close", headers=READONLY_HEADERS),
    ):
        error = assert_error(response, 403, "insufficient_scope")
        assert "encounters:write" in error["message"]


async def test_another_workspace_sees_404(api, encounter):
    path = f"/v1/encounters/{encounter['id']}"
    for response in (
        await api.get(path, headers=NORTHSIDE_HEADERS),
        await api.patch(path, json={"reason": "x"}, headers=NORTHSIDE_HEADERS),
        await api.post(f"{path}/close", headers=NORTHSIDE_HEADERS),
        await api.get(f"{path}/audit", headers=NORTHSIDE_HEADERS),
    ):
        assert_error(response, 404, "resource_missing")
    listed = await api.get("/v1/encounters", params={"patient_id": encounter["patient_id"]}, headers=NORTHSIDE_HEADERS)
    assert listed.json()["data"] == []


@pytest.mark.parametrize(("method", "suffix"), [("GET", ""), ("PATCH", ""), ("POST", "/close"), ("GET", "/audit")])
async def test_unknown_encounter_is_404(api, method, suffix):
    body = {"reason": "x"} if method == "PATCH" else None
    response = await api.request(method, f"/v1/encounters/enc_missing{suffix}", json=body)
    assert_error(response, 404, "resource_missing")


@pytest.fixture
def seeded():
    """A sandbox with 500 synthetic patients and their charts."""
    sandbox = create_app(":memory:", seed="empty").state.sandbox
    patients = seed_patients(sandbox, 500)
    seed_ehr(sandbox, patients, random.Random(3), today=DEMO_TODAY)
    return sandbox, patients


def test_seed_charts_most_patients(seeded):
    sandbox, patients = seeded
    encounters = sandbox.db.all("encounter", "ws_truebliss", Encounter)
    notes = sandbox.db.all("note", "ws_truebliss", Note)
    charted = {e.patient_id for e in encounters}
    assert 0.5 * len(patients) < len(charted) < 0.7 * len(patients)
    assert sum(e.status == "closed" for e in encounters) > 0.8 * len(encounters)
    assert {"botox_consult", "glp1_refill_review", "telehealth_follow_up", "iv_therapy"} <= {e.type for e in encounters}
    assert {e.provider_id for e in encounters} <= {"usr_110", "usr_112", "usr_114", "usr_116"}
    assert {e.location_id for e in encounters} <= {"loc_brickell", "loc_coralgables", None}
    assert len(notes) > 0.6 * len(encounters)
    assert {n.status for n in notes} == {"signed", "draft"}
    assert any(n.addenda for n in notes)
    assert all(set(n.sections) == set(TEMPLATES[n.type]) and all(n.sections.values()) for n in notes)
    assert all(n.signed_by and n.signed_at for n in notes if n.status == "signed")
    assert sandbox.db.all("document", "ws_truebliss", Document)
    assert sandbox.db.all("event", "ws_truebliss", Event) == []


def test_seed_gives_maria_the_pages_open_encounter(seeded):
    sandbox, patients = seeded
    assert patients[0].name == "Maria Lopez"
    mine = sandbox.db.all("encounter", "ws_truebliss", Encounter, Where().eq("patient_id", patients[0].id))
    open_ = [e for e in mine if e.status == "open"]
    assert [(e.provider_id, e.type, e.reason, e.source, e.metadata) for e in open_] == [
        ("usr_114", "telehealth_follow_up", "GLP-1 refill review", "ai_receptionist", MARIA_METADATA)
    ]


def test_seed_is_deterministic(seeded):
    sandbox, _ = seeded
    again = create_app(":memory:", seed="empty").state.sandbox
    seed_ehr(again, seed_patients(again, 500), random.Random(3), today=DEMO_TODAY)
    query = "SELECT id, ts, data FROM records WHERE kind IN ('encounter', 'note', 'document') ORDER BY ts, id"
    assert sandbox.db.conn.execute(query).fetchall() == again.db.conn.execute(query).fetchall()

"""Patients: search in the ways people type, consent before creation, audit on every write."""

from __future__ import annotations

import pytest

from tests.sandbox_helpers import assert_error, patient_body, walk


@pytest.fixture
async def rosa(api):
    return (await api.post("/v1/patients", json=patient_body())).json()


async def test_create_normalises_phone_and_assigns_an_mrn(api, rosa):
    assert rosa["id"].startswith("pat_")
    assert rosa["phones"][0]["number"] == "+13055550177"
    assert rosa["mrn"].startswith("TB")
    assert rosa["name"] == "Rosa Quintero"
    assert rosa["created_at"].endswith("Z")


async def test_create_without_intake_consent_is_422(api):
    response = await api.post("/v1/patients", json=patient_body(consent={"intake": False}))
    assert_error(response, 422, "consent_required", param="consent.intake")
    response = await api.post("/v1/patients", json=patient_body(consent=None))
    assert_error(response, 422, "consent_required")


async def test_duplicate_mrn_is_409(api, rosa):
    response = await api.post("/v1/patients", json=patient_body(mrn=rosa["mrn"]))
    assert_error(response, 409, "mrn_taken", param="mrn")


async def test_bad_phone_is_422_naming_it(api):
    response = await api.post("/v1/patients", json=patient_body(phones=[{"number": "12ab"}]))
    assert_error(response, 422, "phone_invalid", param="phones[0].number")


@pytest.mark.parametrize(
    "params",
    [
        {"query": "quintero"},
        {"query": "Rosa Quin"},
        {"query": "quin rosa"},
        {"query": "1980-03-14"},
        {"query": "03/14/1980"},
        {"query": "3/14/80"},
        {"query": "quintero 1980"},
        {"query": "305-555-0177"},
        {"query": "(305) 555 0177"},
        {"query": "5550177"},
        {"query": "rosa.q@example.com"},
        {"name": "ros quint"},
        {"dob": "3/14/80"},
        {"phone": "+1 305 555 0177"},
        {"email": "rosa.q@example.com"},
        {"tag": "glp1"},
    ],
)
async def test_search_finds_the_patient_as_people_type(api, rosa, params):
    found = await walk(api, "/v1/patients", **params)
    assert rosa["id"] in [p["id"] for p in found]


async def test_search_by_mrn(api, rosa):
    found = await walk(api, "/v1/patients", mrn=rosa["mrn"])
    assert [p["id"] for p in found] == [rosa["id"]]


async def test_search_that_matches_nothing_is_an_empty_list(api, rosa):
    page = (await api.get("/v1/patients", params={"query": "zzzqqq"})).json()
    assert page == {"object": "list", "data": [], "has_more": False, "next_cursor": None}


async def test_short_terms_still_match(api, rosa):
    found = await walk(api, "/v1/patients", query="qu ro")
    assert rosa["id"] in [p["id"] for p in found]


async def test_invalid_dob_filter_is_400(api):
    assert_error(await api.get("/v1/patients", params={"dob": "31/31/31"}), 400, "parameter_invalid", param="dob")


async def test_the_pages_example_patient_exists(api):
    found = await walk(api, "/v1/patients", query="maria lopez")
    assert any(p["name"] == "Maria Lopez" for p in found)


async def test_update_changes_fields_and_reindexes(api, rosa):
    response = await api.patch(f"/v1/patients/{rosa['id']}", json={"last_name": "Quintana", "tags": ["vip"]})
    assert response.status_code == 200
    updated = response.json()
    assert updated["name"] == "Rosa Quintana"
    assert updated["mrn"] == rosa["mrn"]
    assert rosa["id"] in [p["id"] for p in await walk(api, "/v1/patients", query="quintana")]
    assert rosa["id"] not in [p["id"] for p in await walk(api, "/v1/patients", tag="glp1")]


async def test_get_unknown_patient_is_404(api):
    assert_error(await api.get("/v1/patients/pat_doesnotexist"), 404, "resource_missing")


async def test_every_write_leaves_an_audit_entry(api, rosa):
    await api.patch(f"/v1/patients/{rosa['id']}", json={"preferred_name": "Ro"})
    trail = (await api.get(f"/v1/patients/{rosa['id']}/audit")).json()["data"]
    assert [e["action"] for e in trail] == ["updated", "created"]
    assert trail[0]["fields"] == ["preferred_name"]
    assert trail[0]["actor"] == {"type": "api_key", "id": "demo (all scopes)"}
    assert trail[0]["request_id"].startswith("req_")
    assert "Quintero" not in str(trail)


async def test_create_emits_patient_created(api, sandbox, rosa):
    from talkya_console.sandbox.db import Where
    from talkya_console.wire import Event

    events = sandbox.db.all("event", "ws_truebliss", Event, Where().eq("type", "patient.created"))
    assert [e.data for e in events] == [{"patient_id": rosa["id"]}]

"""Deals: money in cents, closed stages fix the probability, and a stage change is an event."""

from __future__ import annotations

import pytest

from talkya_console.sandbox.db import Where
from talkya_console.wire import Event
from tests.conftest import NORTHSIDE_HEADERS, READONLY_HEADERS
from tests.sandbox_helpers import assert_error, walk


def stage_events(sandbox) -> list[Event]:
    return sandbox.db.all("event", "ws_truebliss", Event, Where().eq("type", "deal.stage_changed"))


@pytest.fixture
async def patient_id(api) -> str:
    return (await api.get("/v1/patients", params={"limit": 1})).json()["data"][0]["id"]


@pytest.fixture
async def contact(api, patient_id):
    return (await api.post("/v1/contacts", json={"name": "Maria L", "patient_id": patient_id})).json()


@pytest.fixture
async def deal(api, contact):
    body = {
        "name": "Botox 40 units",
        "contact_id": contact["id"],
        "value": 56000,
        "package": "Botox 40 units",
        "owner_id": "usr_106",
        "stage": "consult_scheduled",
        "probability": 25,
    }
    return (await api.post("/v1/deals", json=body)).json()


async def test_create_stores_cents_and_currency_and_joins_the_contacts_patient(deal, contact, patient_id):
    assert deal["id"].startswith("deal_")
    assert (deal["value"], deal["currency"]) == (56000, "usd")
    assert (deal["stage"], deal["probability"], deal["owner_id"]) == ("consult_scheduled", 25, "usr_106")
    assert deal["contact_id"] == contact["id"]
    assert deal["patient_id"] == patient_id


async def test_creating_a_deal_emits_no_stage_change(sandbox, deal):
    assert stage_events(sandbox) == []


@pytest.mark.parametrize(("stage", "probability"), [("won", 100), ("lost", 0)])
async def test_a_deal_created_closed_has_the_closed_probability(api, stage, probability):
    body = {"name": "Filler + Botox bundle", "value": 125000, "stage": stage, "probability": 40}
    assert (await api.post("/v1/deals", json=body)).json()["probability"] == probability


@pytest.mark.parametrize(
    ("body", "status", "code", "param"),
    [
        ({"name": "X", "value": 560.5}, 422, "parameter_invalid", "value"),
        ({"name": "X", "value": "56000"}, 422, "parameter_invalid", "value"),
        ({"name": "X", "value": -1}, 422, "parameter_invalid", "value"),
        ({"name": "X", "value": 1, "currency": "USD"}, 422, "parameter_invalid", "currency"),
        ({"name": "X", "value": 1, "probability": 101}, 422, "parameter_invalid", "probability"),
        ({"name": "X", "value": 1, "stage": "signed"}, 422, "parameter_invalid", "stage"),
        ({"name": "X"}, 422, "parameter_missing", "value"),
        ({"name": "X", "value": 1, "contact_id": "con_nope"}, 404, "resource_missing", "contact_id"),
        ({"name": "X", "value": 1, "patient_id": "pat_nope"}, 404, "resource_missing", "patient_id"),
        ({"name": "X", "value": 1, "owner_id": "usr_nope"}, 404, "resource_missing", "owner_id"),
    ],
)
async def test_a_bad_deal_body_is_refused_naming_the_field(api, body, status, code, param):
    assert_error(await api.post("/v1/deals", json=body), status, code, param=param)


async def test_a_stage_change_emits_deal_stage_changed_with_value(api, sandbox, deal):
    response = await api.patch(f"/v1/deals/{deal['id']}", json={"stage": "proposal", "value": 60000, "probability": 70})
    assert response.status_code == 200, response.text
    assert (response.json()["stage"], response.json()["value"]) == ("proposal", 60000)
    [event] = stage_events(sandbox)
    assert event.data == {
        "deal_id": deal["id"],
        "from_stage": "consult_scheduled",
        "to_stage": "proposal",
        "value": 60000,
        "currency": "usd",
    }


async def test_updates_that_keep_the_stage_emit_nothing(api, sandbox, deal):
    await api.patch(f"/v1/deals/{deal['id']}", json={"value": 70000, "package": "Botox 50 units"})
    await api.patch(f"/v1/deals/{deal['id']}", json={"stage": "consult_scheduled"})
    assert stage_events(sandbox) == []
    assert (await api.get(f"/v1/deals/{deal['id']}")).json()["value"] == 70000


@pytest.mark.parametrize(("stage", "probability"), [("won", 100), ("lost", 0)])
async def test_moving_to_a_closed_stage_sets_its_probability(api, sandbox, deal, stage, probability):
    updated = (await api.patch(f"/v1/deals/{deal['id']}", json={"stage": stage})).json()
    assert (updated["stage"], updated["probability"]) == (stage, probability)
    assert [e.data["to_stage"] for e in stage_events(sandbox)] == [stage]


async def test_a_won_deal_keeps_probability_100(api, deal):
    await api.patch(f"/v1/deals/{deal['id']}", json={"stage": "won"})
    response = await api.patch(f"/v1/deals/{deal['id']}", json={"probability": 30})
    assert response.json()["probability"] == 100


async def test_reopening_a_lost_deal_emits_from_lost(api, sandbox, deal):
    await api.patch(f"/v1/deals/{deal['id']}", json={"stage": "lost"})
    await api.patch(f"/v1/deals/{deal['id']}", json={"stage": "proposal", "probability": 60})
    assert [(e.data["from_stage"], e.data["to_stage"]) for e in reversed(stage_events(sandbox))] == [
        ("consult_scheduled", "lost"),
        ("lost", "proposal"),
    ]
    assert (await api.get(f"/v1/deals/{deal['id']}")).json()["probability"] == 60


@pytest.mark.parametrize(
    ("body", "status", "code", "param"),
    [
        ({"stage": None}, 422, "parameter_invalid", "stage"),
        ({"value": None}, 422, "parameter_invalid", "value"),
        ({"value": 1.5}, 422, "parameter_invalid", "value"),
        ({"owner_id": "usr_201"}, 404, "resource_missing", "owner_id"),
        ({"currency": "eur"}, 422, "parameter_unknown", "currency"),
    ],
)
async def test_a_bad_deal_update_is_refused_naming_the_field(api, sandbox, deal, body, status, code, param):
    assert_error(await api.patch(f"/v1/deals/{deal['id']}", json=body), status, code, param=param)
    assert stage_events(sandbox) == []


async def test_deal_filters_by_stage_owner_and_contact(api, deal, contact):
    other = (
        await api.post("/v1/deals", json={"name": "IV therapy 5-pack", "value": 80000, "owner_id": "usr_104"})
    ).json()
    mine = {deal["id"], other["id"]}

    async def found(**params: str) -> set[str]:
        return {d["id"] for d in await walk(api, "/v1/deals", **params)} & mine

    assert await found(stage="consult_scheduled") == {deal["id"]}
    assert await found(stage="new") == {other["id"]}
    assert await found(owner_id="usr_104") == {other["id"]}
    assert [d["id"] for d in await walk(api, "/v1/deals", contact_id=contact["id"])] == [deal["id"]]
    assert_error(await api.get("/v1/deals", params={"stage": "signed"}), 400, "parameter_invalid", "stage")


async def test_deal_scope_and_workspace_are_enforced(api, deal):
    url = f"/v1/deals/{deal['id']}"
    assert_error(await api.patch(url, json={"stage": "won"}, headers=READONLY_HEADERS), 403, "insufficient_scope")
    body = {"name": "X", "value": 1}
    assert_error(await api.post("/v1/deals", json=body, headers=READONLY_HEADERS), 403, "insufficient_scope")
    assert (await api.get(url, headers=READONLY_HEADERS)).status_code == 200
    assert_error(await api.get(url, headers=NORTHSIDE_HEADERS), 404, "resource_missing")
    assert_error(await api.patch(url, json={"stage": "won"}, headers=NORTHSIDE_HEADERS), 404, "resource_missing")
    assert_error(await api.get("/v1/deals/deal_nope"), 404, "resource_missing")


async def test_a_deal_cannot_point_at_another_workspaces_contact(api, contact):
    body = {"name": "X", "value": 1, "contact_id": contact["id"]}
    response = await api.post("/v1/deals", json=body, headers=NORTHSIDE_HEADERS)
    assert_error(response, 404, "resource_missing", "contact_id")

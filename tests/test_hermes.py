"""Hermes: routes match events by kind, type (exact, `prefix.*`), conditions and priority; a test
dry-runs them without storing; publishing stores the event and emits `hermes.event.routed`."""

from __future__ import annotations

from typing import Any

import pytest

from talkya_console.sandbox.db import Where
from talkya_console.wire import Channel, Event, WebhookEndpoint
from talkya_console.wire.common import now
from tests.conftest import NORTHSIDE_HEADERS, READONLY_HEADERS
from tests.sandbox_helpers import assert_error, walk

WS = "ws_truebliss"
CHANNEL = "ch_hermes_frontdesk"
ENDPOINT = "we_hermes_mirror"


@pytest.fixture(autouse=True)
def targets(sandbox) -> None:
    """A channel and a (disabled) webhook endpoint for routes to name; their areas own the routes."""
    stamp = now()
    sandbox.db.insert("channel", WS, Channel(id=CHANNEL, name="front-desk", created_at=stamp, updated_at=stamp))
    endpoint = WebhookEndpoint(
        id=ENDPOINT, url="https://example.com/hook", events=["*"], status="disabled", created_at=stamp, updated_at=stamp
    )
    sandbox.db.insert("webhook_endpoint", WS, endpoint)


def route_body(name: str = "After hours", **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": name,
        "match": {"kinds": ["call"], "types": ["call.after_hours"]},
        "destination": {"kind": "channel", "target": CHANNEL},
    }
    body.update(overrides)
    return body


async def make_route(api, name: str = "After hours", **overrides: Any) -> dict[str, Any]:
    response = await api.post("/v1/hermes/routes", json=route_body(name, **overrides))
    assert response.status_code == 201, response.text
    return response.json()


async def dry_run(api, kind: str, type_: str, payload: dict[str, Any] | None = None) -> list[str]:
    body = {"kind": kind, "type": type_, "payload": payload or {}}
    response = await api.post("/v1/hermes/routes/test", json=body)
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["object"] == "route_test"
    return [d["route_name"] for d in result["deliveries"]]


def routed(sandbox) -> list[dict[str, Any]]:
    return [e.data for e in sandbox.db.all("event", WS, Event, Where().eq("type", "hermes.event.routed"))]


# -- routes CRUD -------------------------------------------------------------------------------


async def test_route_crud(api):
    route = await make_route(api)
    assert (route["id"][:4], route["object"], route["enabled"], route["priority"]) == (
        "hrt_",
        "hermes_route",
        True,
        100,
    )
    path = f"/v1/hermes/routes/{route['id']}"
    assert (await api.get(path)).json() == route
    assert route["id"] in [r["id"] for r in await walk(api, "/v1/hermes/routes")]
    renamed = (await api.patch(path, json={"name": "Nights", "enabled": False})).json()
    assert (renamed["name"], renamed["enabled"]) == ("Nights", False)
    deleted = await api.delete(path)
    assert deleted.json() == {"id": route["id"], "object": "hermes_route", "deleted": True}
    assert_error(await api.get(path), 404, "resource_missing")
    assert_error(await api.delete(path), 404, "resource_missing")


@pytest.mark.parametrize(
    "destination",
    [
        {"kind": "channel", "target": "ch_nope"},
        {"kind": "user", "target": "usr_999"},
        {"kind": "role", "target": "wizard"},
        {"kind": "webhook", "target": "we_nope"},
        {"kind": "staff_alert", "target": "   "},
    ],
)
async def test_bad_destination_is_422_naming_the_target(api, destination):
    response = await api.post("/v1/hermes/routes", json=route_body(destination=destination))
    assert_error(response, 422, "destination_invalid", param="destination.target")


@pytest.mark.parametrize(
    "destination",
    [
        {"kind": "channel", "target": CHANNEL},
        {"kind": "user", "target": "usr_104"},
        {"kind": "role", "target": "provider"},
        {"kind": "webhook", "target": ENDPOINT},
        {"kind": "staff_alert", "target": " Front desk pager "},
    ],
)
async def test_good_destinations_are_stored_trimmed(api, destination):
    route = await make_route(api, destination=destination)
    assert route["destination"] == {"kind": destination["kind"], "target": destination["target"].strip()}


async def test_unknown_destination_kind_and_bad_type_pattern_are_422(api):
    response = await api.post("/v1/hermes/routes", json=route_body(destination={"kind": "fax", "target": "x"}))
    assert_error(response, 422, "parameter_invalid", param="destination.kind")
    response = await api.post("/v1/hermes/routes", json=route_body(match={"types": ["call.after_hours", "Bad*"]}))
    assert_error(response, 422, "parameter_invalid", param="match.types[1]")


async def test_patch_checks_a_changed_destination(api):
    route = await make_route(api)
    path = f"/v1/hermes/routes/{route['id']}"
    response = await api.patch(path, json={"destination": {"kind": "user", "target": "usr_999"}})
    assert_error(response, 422, "destination_invalid", param="destination.target")
    assert (await api.patch(path, json={"name": route["name"]})).json() == route


# -- matching ----------------------------------------------------------------------------------


async def test_kind_and_type_must_fit(api):
    await make_route(api, "exact")
    await make_route(api, "any kind", match={"types": ["call.after_hours"]})
    await make_route(api, "forms", match={"kinds": ["form"]})
    assert await dry_run(api, "call", "call.after_hours") == ["any kind", "exact"]
    assert await dry_run(api, "message", "call.after_hours") == ["any kind"]
    assert await dry_run(api, "call", "call.missed") == []
    assert await dry_run(api, "form", "form.intake_submitted") == ["forms"]


async def test_prefix_wildcard_and_star(api):
    await make_route(api, "billing bot", match={"kinds": ["bot"], "types": ["bot.billing.*"]})
    await make_route(api, "everything", match={"types": ["*"]})
    assert await dry_run(api, "bot", "bot.billing.refund") == ["billing bot", "everything"]
    assert await dry_run(api, "bot", "bot.billing") == ["everything"]
    assert await dry_run(api, "bot", "bot.billingx.refund") == ["everything"]


async def test_conditions_compare_payload_values_as_strings(api):
    await make_route(api, "spanish", match={"kinds": ["call"], "conditions": {"language": "es", "vip": "true"}})
    await make_route(api, "three", match={"conditions": {"attempt": "3"}})
    assert await dry_run(api, "call", "call.new", {"language": "es", "vip": True}) == ["spanish"]
    assert await dry_run(api, "call", "call.new", {"language": "es"}) == []
    assert await dry_run(api, "call", "call.new", {"language": "en", "vip": True}) == []
    assert await dry_run(api, "form", "form.x", {"attempt": 3}) == ["three"]


async def test_priority_then_name_orders_deliveries_and_disabled_routes_are_skipped(api):
    await make_route(api, "b low", match={}, priority=50)
    await make_route(api, "a low", match={}, priority=50)
    await make_route(api, "urgent", match={}, priority=1)
    await make_route(api, "off", match={}, priority=0, enabled=False)
    assert await dry_run(api, "call", "call.any") == ["urgent", "a low", "b low"]


async def test_route_test_stores_nothing(api, sandbox):
    await make_route(api)
    before = sandbox.db.conn.execute("SELECT count(*) FROM records").fetchone()[0]
    assert await dry_run(api, "call", "call.after_hours") == ["After hours"]
    assert sandbox.db.conn.execute("SELECT count(*) FROM records").fetchone()[0] == before
    assert routed(sandbox) == []


async def test_route_test_checks_the_patient(api):
    body = {"kind": "call", "type": "call.x", "patient_id": "pat_nope"}
    assert_error(await api.post("/v1/hermes/routes/test", json=body), 404, "resource_missing", param="patient_id")


# -- events ------------------------------------------------------------------------------------


async def test_publish_stores_deliveries_and_emits_routed(api, sandbox):
    route = await make_route(api)
    patient_id = (await api.get("/v1/patients", params={"limit": 1})).json()["data"][0]["id"]
    body = {"kind": "call", "type": "call.after_hours", "payload": {"summary": "wants Botox"}, "patient_id": patient_id}
    response = await api.post("/v1/hermes/events", json=body)
    assert response.status_code == 201, response.text
    event = response.json()
    assert (event["id"][:4], event["object"], event["patient_id"]) == ("hev_", "hermes_event", patient_id)
    assert [d["route_id"] for d in event["deliveries"]] == [route["id"]]
    assert event["deliveries"][0]["destination"] == {"kind": "channel", "target": CHANNEL}
    assert (await api.get(f"/v1/hermes/events/{event['id']}")).json() == event
    assert routed(sandbox) == [
        {"hermes_event_id": event["id"], "kind": "call", "type": "call.after_hours", "deliveries": [route["id"]]}
    ]
    assert "Botox" not in str(routed(sandbox))


async def test_an_event_no_route_wants_is_stored_with_no_deliveries(api, sandbox):
    event = (await api.post("/v1/hermes/events", json={"kind": "webhook", "type": "webhook.received"})).json()
    assert event["deliveries"] == []
    assert routed(sandbox)[0]["deliveries"] == []


async def test_list_events_by_kind_and_type(api):
    await api.post("/v1/hermes/events", json={"kind": "call", "type": "call.after_hours"})
    await api.post("/v1/hermes/events", json={"kind": "form", "type": "form.intake_submitted"})
    assert [e["type"] for e in await walk(api, "/v1/hermes/events", kind="form")] == ["form.intake_submitted"]
    assert [e["kind"] for e in await walk(api, "/v1/hermes/events", type="call.after_hours")] == ["call"]
    assert_error(await api.get("/v1/hermes/events", params={"kind": "pigeon"}), 400, "parameter_invalid", "kind")


async def test_publish_validates_its_body(api):
    response = await api.post("/v1/hermes/events", json={"kind": "call", "type": "Not A Type"})
    assert_error(response, 422, "parameter_invalid", param="type")
    response = await api.post("/v1/hermes/events", json={"kind": "call", "type": "call.x", "patient_id": "pat_nope"})
    assert_error(response, 404, "resource_missing", param="patient_id")


async def test_read_only_key_reads_but_cannot_write(api):
    route = await make_route(api)
    assert (await api.get(f"/v1/hermes/routes/{route['id']}", headers=READONLY_HEADERS)).status_code == 200
    for method, path, body in [
        ("POST", "/v1/hermes/routes", route_body()),
        ("POST", "/v1/hermes/routes/test", {"kind": "call", "type": "call.x"}),
        ("POST", "/v1/hermes/events", {"kind": "call", "type": "call.x"}),
        ("DELETE", f"/v1/hermes/routes/{route['id']}", None),
    ]:
        response = await api.request(method, path, json=body, headers=READONLY_HEADERS)
        assert "hermes:write" in assert_error(response, 403, "insufficient_scope")["message"]


async def test_other_workspaces_see_nothing(api):
    route = await make_route(api)
    event = (await api.post("/v1/hermes/events", json={"kind": "call", "type": "call.after_hours"})).json()
    for path in (f"/v1/hermes/routes/{route['id']}", f"/v1/hermes/events/{event['id']}"):
        assert_error(await api.get(path, headers=NORTHSIDE_HEADERS), 404, "resource_missing")
    assert_error(
        await api.patch(f"/v1/hermes/routes/{route['id']}", json={"name": "x"}, headers=NORTHSIDE_HEADERS),
        404,
        "resource_missing",
    )
    northside_test = await api.post(
        "/v1/hermes/routes/test", json={"kind": "call", "type": "call.after_hours"}, headers=NORTHSIDE_HEADERS
    )
    assert northside_test.json()["deliveries"] == []
    channel_route = route_body(destination={"kind": "channel", "target": CHANNEL})
    response = await api.post("/v1/hermes/routes", json=channel_route, headers=NORTHSIDE_HEADERS)
    assert_error(response, 422, "destination_invalid", param="destination.target")


async def test_null_for_a_required_field_is_422_not_500(api):
    route = await make_route(api)
    for field in ("name", "match", "destination", "enabled", "priority"):
        response = await api.patch(f"/v1/hermes/routes/{route['id']}", json={field: None})
        assert_error(response, 422, "parameter_invalid", param=field)

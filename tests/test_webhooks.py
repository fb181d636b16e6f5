"""Webhook endpoints, the delivery log and the events list, through the API (no dispatcher runs)."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx
import pytest

from talkya_console.sandbox import records
from talkya_console.sandbox.ids import new_id
from talkya_console.wire.common import format_timestamp, now
from talkya_console.wire.events import Event
from tests.conftest import NORTHSIDE_HEADERS, READONLY_HEADERS
from tests.sandbox_helpers import assert_error, patient_body, walk

WS = "ws_truebliss"


@pytest.fixture
async def endpoint(api):
    response = await api.post("/v1/webhook_endpoints", json={"url": "http://127.0.0.1:9/hook", "events": ["*"]})
    assert response.status_code == 201, response.text
    return response.json()


def seconds_from_now(stamp: str) -> int:
    return round((datetime.fromisoformat(stamp.replace("Z", "+00:00")) - now()).total_seconds())


def queued(sandbox, endpoint_id: str) -> list[str]:
    rows = sandbox.db.conn.execute("SELECT delivery_id FROM delivery_queue WHERE endpoint_id = ?", (endpoint_id,))
    return [r[0] for r in rows]


async def test_create_shows_the_secret_once(api, endpoint):
    assert endpoint["id"].startswith("we_")
    assert endpoint["object"] == "webhook_endpoint"
    assert endpoint["url"] == "http://127.0.0.1:9/hook"
    assert endpoint["status"] == "enabled"
    assert endpoint["secret"].startswith("whsec_")
    assert len(endpoint["secret"]) >= len("whsec_") + 43  # 32 random bytes, url-safe base64
    assert "previous_secret" not in endpoint
    got = await api.get(f"/v1/webhook_endpoints/{endpoint['id']}")
    assert got.status_code == 200
    assert "secret" not in got.json()
    listed = await api.get("/v1/webhook_endpoints")
    assert endpoint["id"] in [e["id"] for e in listed.json()["data"]]
    for response in (got, listed):
        assert "whsec_" not in response.text


async def test_secrets_differ_per_endpoint(api, endpoint):
    other = (await api.post("/v1/webhook_endpoints", json={"url": "https://example.com/h", "events": ["*"]})).json()
    assert other["secret"] != endpoint["secret"]


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"url": "ftp://127.0.0.1/x", "events": ["*"]}, "url"),
        ({"url": "not a url", "events": ["*"]}, "url"),
        ({"url": "http://127.0.0.1/x", "events": []}, "events"),
        ({"url": "http://127.0.0.1/x", "events": ["Patient Created"]}, "events.0"),
        ({"url": "http://127.0.0.1/x"}, "events"),
        ({"url": "http://127.0.0.1/x", "events": ["*"], "secret": "whsec_mine"}, "secret"),
    ],
)
async def test_create_validates(api, body, param):
    response = await api.post("/v1/webhook_endpoints", json=body)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["param"] == param


@pytest.mark.parametrize("url", ["http://localhost:8788/webhooks/ws_truebliss", "http://[::1]:9/x", "https://a.b/c"])
async def test_loopback_and_https_urls_are_allowed(api, url):
    response = await api.post("/v1/webhook_endpoints", json={"url": url, "events": ["patient.*"]})
    assert response.status_code == 201, response.text


async def test_patch_updates_fields_and_null_is_refused(api, endpoint):
    path = f"/v1/webhook_endpoints/{endpoint['id']}"
    changes = {"url": "https://example.com/new", "events": ["lead.created"], "description": "CRM", "status": "disabled"}
    updated = (await api.patch(path, json=changes)).json()
    assert {k: updated[k] for k in changes} == changes
    assert "secret" not in updated
    assert (await api.get(path)).json()["status"] == "disabled"
    assert_error(await api.patch(path, json={"url": None}), 422, "parameter_invalid", param="url")
    assert_error(await api.patch(path, json={"status": "paused"}), 422, "parameter_invalid", param="status")


async def test_only_enabled_matching_endpoints_get_deliveries(api, sandbox, endpoint):
    leads = (await api.post("/v1/webhook_endpoints", json={"url": "http://127.0.0.1:9/l", "events": ["lead.*"]})).json()
    records.emit(sandbox, WS, "patient.created", {"patient_id": "pat_x"})
    assert len(queued(sandbox, endpoint["id"])) == 1
    assert queued(sandbox, leads["id"]) == []
    await api.patch(f"/v1/webhook_endpoints/{endpoint['id']}", json={"status": "disabled"})
    records.emit(sandbox, WS, "patient.created", {"patient_id": "pat_y"})
    assert len(queued(sandbox, endpoint["id"])) == 1


async def test_rotate_returns_a_new_secret_and_keeps_the_old_one_for_the_overlap(api, sandbox, endpoint):
    path = f"/v1/webhook_endpoints/{endpoint['id']}"
    rotated = (await api.post(f"{path}/rotate_secret", json={"expires_in": 3600})).json()
    assert rotated["secret"].startswith("whsec_")
    assert rotated["secret"] != endpoint["secret"]
    assert "previous_secret" not in rotated
    assert seconds_from_now(rotated["previous_secret_expires_at"]) in range(3600 - 5, 3600 + 1)
    stored = sandbox.db.get_raw("webhook_endpoint", WS, endpoint["id"])
    assert endpoint["secret"] in stored and rotated["secret"] in stored
    got = await api.get(path)
    assert "whsec_" not in got.text
    assert got.json()["previous_secret_expires_at"] == rotated["previous_secret_expires_at"]


async def test_rotate_defaults_to_a_day_and_zero_drops_the_old_secret_at_once(api, sandbox, endpoint):
    path = f"/v1/webhook_endpoints/{endpoint['id']}/rotate_secret"
    first = (await api.post(path)).json()
    assert seconds_from_now(first["previous_secret_expires_at"]) in range(86400 - 5, 86400 + 1)
    second = (await api.post(path, json={"expires_in": 0})).json()
    assert second["previous_secret_expires_at"] is None
    stored = sandbox.db.get_raw("webhook_endpoint", WS, endpoint["id"])
    assert first["secret"] not in stored and endpoint["secret"] not in stored
    assert_error(await api.post(path, json={"expires_in": -1}), 422, "parameter_invalid", param="expires_in")


async def test_delete_drops_pending_deliveries_and_marks_them_failed(api, sandbox, endpoint):
    event = records.emit(sandbox, WS, "patient.created", {"patient_id": "pat_x"})
    [delivery_id] = queued(sandbox, endpoint["id"])
    response = await api.delete(f"/v1/webhook_endpoints/{endpoint['id']}")
    assert response.json() == {"id": endpoint["id"], "object": "webhook_endpoint", "deleted": True}
    assert queued(sandbox, endpoint["id"]) == []
    delivery = (await api.get(f"/v1/webhook_deliveries/{delivery_id}")).json()
    assert delivery["status"] == "failed"
    assert delivery["last_error"] == "endpoint deleted"
    assert delivery["event_id"] == event.id
    assert_error(await api.get(f"/v1/webhook_endpoints/{endpoint['id']}"), 404, "resource_missing")
    assert_error(await api.delete(f"/v1/webhook_endpoints/{endpoint['id']}"), 404, "resource_missing")


async def test_delivery_log_lists_and_filters(api, sandbox, endpoint):
    other = (await api.post("/v1/webhook_endpoints", json={"url": "http://127.0.0.1:9/o", "events": ["*"]})).json()
    created = await api.post("/v1/patients", json=patient_body())
    assert created.status_code == 201
    events = await walk(api, "/v1/events", type="patient.created")
    [event] = [e for e in events if e["data"] == {"patient_id": created.json()["id"]}]
    log = await walk(api, "/v1/webhook_deliveries", event_id=event["id"])
    assert sorted(d["endpoint_id"] for d in log) == sorted([endpoint["id"], other["id"]])
    mine = await walk(api, "/v1/webhook_deliveries", endpoint_id=endpoint["id"], status="pending")
    assert [d["event_id"] for d in mine] == [event["id"]]
    delivery = mine[0]
    assert delivery["id"].startswith("wh_")
    assert delivery["object"] == "webhook_delivery"
    assert delivery["attempts"] == 0
    assert (await api.get(f"/v1/webhook_deliveries/{delivery['id']}")).json() == delivery
    assert await walk(api, "/v1/webhook_deliveries", status="succeeded") == []
    assert_error(await api.get("/v1/webhook_deliveries", params={"status": "lost"}), 400, "parameter_invalid")


async def test_events_list_filters_by_type_and_time(api, sandbox):
    first = records.emit(sandbox, WS, "lead.created", {"lead_id": "lead_a"})
    second = records.emit(sandbox, WS, "patient.created", {"patient_id": "pat_b"})
    leads = await walk(api, "/v1/events", type="lead.created")
    assert first.id in [e["id"] for e in leads]
    assert {e["type"] for e in leads} == {"lead.created"}
    ids = [e["id"] for e in await walk(api, "/v1/events", created_after=format_timestamp(second.created_at))]
    assert second.id in ids
    later = format_timestamp(second.created_at + timedelta(seconds=1))
    after = await walk(api, "/v1/events", created_after=later)
    assert second.id not in [e["id"] for e in after]
    assert all(e["created_at"] >= later for e in after)
    got = await api.get(f"/v1/events/{first.id}")
    assert got.json() == first.model_dump(mode="json")
    assert_error(await api.get("/v1/events", params={"created_after": "yesterday"}), 400, "parameter_invalid")


async def test_events_older_than_30_days_are_gone(api, sandbox):
    old = Event(
        id=new_id("evt"),
        type="patient.created",
        created_at=now() - timedelta(days=31),
        workspace_id=WS,
        data={"patient_id": "pat_old"},
    )
    sandbox.db.insert("event", WS, old)
    recent = Event(**{**old.model_dump(), "id": new_id("evt"), "created_at": now() - timedelta(days=29)})
    sandbox.db.insert("event", WS, recent)
    ids = [e["id"] for e in await walk(api, "/v1/events")]
    assert recent.id in ids
    assert old.id not in ids
    assert_error(await api.get(f"/v1/events/{old.id}"), 404, "resource_missing")
    assert (await api.get(f"/v1/events/{recent.id}")).status_code == 200


async def test_scopes_and_workspaces(sandbox_app, api, endpoint):
    transport = httpx.ASGITransport(app=sandbox_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox", headers=READONLY_HEADERS) as ro:
        assert (await ro.get(f"/v1/webhook_endpoints/{endpoint['id']}")).status_code == 200
        assert (await ro.get("/v1/events")).status_code == 200
        denied = await ro.post("/v1/webhook_endpoints", json={"url": "http://127.0.0.1/x", "events": ["*"]})
        assert_error(denied, 403, "insufficient_scope")
        assert "webhooks:write" in denied.json()["error"]["message"]
        assert_error(await ro.post(f"/v1/webhook_endpoints/{endpoint['id']}/rotate_secret"), 403, "insufficient_scope")
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox", headers=NORTHSIDE_HEADERS) as other:
        assert_error(await other.get(f"/v1/webhook_endpoints/{endpoint['id']}"), 404, "resource_missing")
        assert_error(await other.delete(f"/v1/webhook_endpoints/{endpoint['id']}"), 404, "resource_missing")
        assert endpoint["id"] not in [e["id"] for e in await walk(other, "/v1/webhook_endpoints")]
        event = records.emit(sandbox_app.state.sandbox, WS, "lead.created", {"lead_id": "lead_a"})
        assert event.id not in [e["id"] for e in await walk(other, "/v1/events")]
        assert_error(await other.get(f"/v1/events/{event.id}"), 404, "resource_missing")

"""Workspace isolation, route by route: workspace B's credentials reveal nothing of workspace A.

Every operation of the sandbox's OpenAPI is called with ws_northside's key, its path parameters
filled with ids of records that exist in ws_truebliss. Item routes answer 404 (never revealing the
record exists), list routes hold no record of A, and nothing B does changes A's records. The relay
half: a relay token of one workspace never receives another workspace's events.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import connect

from talkya_console.sandbox.app import create_app
from talkya_console.sandbox.context import Limits
from tests.conftest import DEMO_HEADERS, DEMO_TODAY, NORTHSIDE_HEADERS
from tests.relay.conftest import make_event, start_relay, stop_relay
from tests.sandbox_helpers import patient_body

A = "ws_truebliss"
B = "ws_northside"

# Where to find an id of A's for each path parameter (event_id depends on the route).
PARAM_SOURCES = {
    "user_id": "/v1/users",
    "patient_id": "/v1/patients",
    "encounter_id": "/v1/encounters",
    "note_id": "/v1/notes",
    "document_id": "/v1/documents",
    "file_id": "/v1/files",
    "lead_id": "/v1/leads",
    "contact_id": "/v1/contacts",
    "deal_id": "/v1/deals",
    "task_id": "/v1/tasks",
    "call_id": "/v1/calls",
    "visit_id": "/v1/telehealth/visits",
    "channel_id": "/v1/channels",
    "message_id": "/v1/messages",
    "run_id": "/v1/agents/runs",
    "handoff_id": "/v1/agents/handoffs",
    "route_id": "/v1/hermes/routes",
    "endpoint_id": "/v1/webhook_endpoints",
    "delivery_id": "/v1/webhook_deliveries",
}

# Sign-in and token routes are public (no workspace yet); they are covered by the OAuth tests.
PUBLIC = "/v1/oauth/"
ID_TOKEN = re.compile(r"\b[a-z]{2,4}_[A-Za-z0-9]{6,}\b")


@pytest.fixture
async def clients() -> AsyncIterator[tuple[Any, httpx.AsyncClient, httpx.AsyncClient]]:
    app = create_app(":memory:", seed="demo", patients=10, limits=Limits(rate_limit=None), today=DEMO_TODAY)
    transport = httpx.ASGITransport(app=app)
    async with (
        httpx.AsyncClient(transport=transport, base_url="http://sandbox", headers=DEMO_HEADERS) as a,
        httpx.AsyncClient(transport=transport, base_url="http://sandbox", headers=NORTHSIDE_HEADERS) as b,
    ):
        yield app, a, b


async def _first_id(client: httpx.AsyncClient, path: str) -> str:
    response = await client.get(path, params={"limit": 1})
    assert response.status_code == 200, (path, response.text)
    data = response.json()["data"]
    assert data, f"workspace A has no record at {path}; the test needs one"
    return str(data[0]["id"])


async def _ids_of_a(app: Any, a: httpx.AsyncClient) -> dict[str, str]:
    """One existing id of A's per path parameter, creating what the demo seed lacks."""
    created = await a.post("/v1/webhook_endpoints", json={"url": "http://127.0.0.1:9/hook", "events": ["*"]})
    assert created.status_code in (200, 201), created.text
    patient = await a.post("/v1/patients", json=patient_body())
    assert patient.status_code in (200, 201), patient.text
    ids = {name: await _first_id(a, path) for name, path in PARAM_SOURCES.items() if name != "delivery_id"}
    deliveries = (await a.get("/v1/webhook_deliveries", params={"limit": 1})).json()["data"]
    if deliveries:
        ids["delivery_id"] = deliveries[0]["id"]
    else:  # no dispatcher runs here: any delivery id of A's, straight from storage
        row = app.state.sandbox.db.conn.execute("SELECT delivery_id FROM delivery_queue LIMIT 1").fetchone()
        assert row, "no webhook delivery of A's exists"
        ids["delivery_id"] = row[0]
    ids["event_id:/v1/events"] = await _first_id(a, "/v1/events")
    ids["event_id:/v1/hermes/events"] = await _first_id(a, "/v1/hermes/events")
    return ids


def _a_records(app: Any) -> list[tuple[str, str, str]]:
    return app.state.sandbox.db.conn.execute(
        "SELECT id, kind, data FROM records WHERE workspace_id = ? ORDER BY id", (A,)
    ).fetchall()


def _create_bodies(ids: dict[str, str]) -> dict[str, dict[str, Any]]:
    """Valid bodies, so each route gets past validation to its lookup; creates point at A's records."""
    return {
        "/v1/patients/{patient_id}/access": {"action": "revealed"},
        "/v1/notes/{note_id}/addenda": {"text": "Addendum."},
        "/v1/tasks/{task_id}/complete": {"disposition": "done"},
        "/v1/tasks/{task_id}/snooze": {"until": "2026-11-22T15:00:00Z"},
        "/v1/agents/handoffs/{handoff_id}/resolve": {"resolution": "Resolved."},
        "/v1/encounters": {"patient_id": ids["patient_id"], "provider_id": "usr_201", "type": "follow_up"},
        "/v1/notes": {"encounter_id": ids["encounter_id"], "type": "soap"},
        "/v1/tasks": {"title": "Call back", "patient_id": ids["patient_id"], "call_id": ids["call_id"]},
        "/v1/messages": {"channel_id": ids["channel_id"], "text": "hello", "patient_id": ids["patient_id"]},
        "/v1/telehealth/visits": {
            "patient_id": ids["patient_id"],
            "provider_id": ids["user_id"],
            "scheduled_at": "2026-11-21T15:00:00Z",
        },
        "/v1/deals": {"name": "Deal", "value": 100, "contact_id": ids["contact_id"], "patient_id": ids["patient_id"]},
        "/v1/agents/handoffs": {"reason": "help", "patient_id": ids["patient_id"], "call_id": ids["call_id"]},
    }


def _leaks(body: str, a_ids: set[str], sent: set[str]) -> set[str]:
    return {token for token in ID_TOKEN.findall(body) if token in a_ids and token not in sent}


async def test_every_route_with_workspace_b_reveals_nothing_of_a(clients: Any) -> None:
    app, a, b = clients
    ids = await _ids_of_a(app, a)
    before = _a_records(app)
    a_ids = {row[0] for row in before} | set(ids.values())
    creates = _create_bodies(ids)
    problems: list[str] = []
    calls = 0
    for path, methods in app.openapi()["paths"].items():
        if path.startswith(PUBLIC):
            continue
        for method in methods:
            params = re.findall(r"{(\w+)}", path)
            url = path
            for name in params:
                key = f"{name}:{path.split('/{')[0]}" if name == "event_id" else name
                url = url.replace("{" + name + "}", ids[key])
            sent = {ids[k] for k in ids if ids[k] in url}
            kwargs: dict[str, Any] = {}
            if method in ("post", "patch"):
                body = creates.get(path, {})
                kwargs["json"] = body
                sent |= {v for v in body.values() if isinstance(v, str)}
            response = await b.request(method.upper(), url, **kwargs)
            calls += 1
            where = f"{method.upper()} {url} -> {response.status_code}"
            text = response.text
            leaked = _leaks(text, a_ids, sent)
            if leaked:
                problems.append(f"{where}: body names A's records {sorted(leaked)[:5]}")
            if params:
                if response.status_code != 404:
                    problems.append(f"{where} (expected 404): {text[:200]}")
                else:
                    error = response.json()["error"]
                    if (
                        error["type"] != "not_found_error"
                        or error["request_id"] != response.headers["Talkya-Request-Id"]
                    ):
                        problems.append(f"{where}: not the contract's not_found body: {error}")
            elif path == "/v1/users/me":
                if response.status_code != 404:  # B's key is no staff member's
                    problems.append(f"{where}: {text[:200]}")
            elif method == "get":
                if response.status_code != 200:
                    problems.append(f"{where}: a list route of B's failed: {text[:200]}")
                else:
                    payload = response.json()
                    items = payload.get("data", []) if isinstance(payload, dict) else []
                    foreign = [i for i in items if isinstance(i, dict) and i.get("workspace_id", B) != B]
                    if foreign:
                        problems.append(f"{where}: {len(foreign)} records of another workspace")
            elif path in creates and "{" not in path and response.status_code < 300:
                problems.append(f"{where}: B created a record pointing at A's records: {text[:200]}")
    assert calls > 80
    assert not problems, "\n".join(problems)
    assert _a_records(app) == before, "B's requests changed A's records"


@pytest.mark.parametrize(
    ("path", "param"),
    [
        ("/v1/tasks", "patient_id"),
        ("/v1/notes", "patient_id"),
        ("/v1/encounters", "patient_id"),
        ("/v1/messages", "channel_id"),
        ("/v1/telehealth/visits", "patient_id"),
        ("/v1/patients/{patient_id}/audit", None),
    ],
)
async def test_filters_on_a_records_return_nothing_to_b(clients: Any, path: str, param: str | None) -> None:
    _, a, b = clients
    ids = {"patient_id": await _first_id(a, "/v1/patients"), "channel_id": await _first_id(a, "/v1/channels")}
    if param is None:
        response = await b.get(path.format(**ids))
        assert response.status_code == 404
        return
    own = await a.get(path, params={param: ids[param]})
    response = await b.get(path, params={param: ids[param]})
    assert own.status_code == 200
    if response.status_code == 200:
        assert response.json()["data"] == []
    else:
        assert response.status_code in (400, 404, 422), response.text


async def test_b_key_naming_workspace_a_is_workspace_mismatch_everywhere(clients: Any) -> None:
    app, _, _ = clients
    transport = httpx.ASGITransport(app=app)
    headers = {"Authorization": NORTHSIDE_HEADERS["Authorization"], "Talkya-Workspace": A}
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox", headers=headers) as mixed:
        for path, methods in app.openapi()["paths"].items():
            if path.startswith(PUBLIC):
                continue
            url = re.sub(r"{\w+}", "x_123456", path)
            for method in methods:
                response = await mixed.request(method.upper(), url, json={} if method in ("post", "patch") else None)
                assert response.status_code == 403, (method, url, response.text)
                assert response.json()["error"]["code"] == "workspace_mismatch"


async def test_relay_token_of_b_receives_no_event_of_a(tmp_path: Path) -> None:
    relay = await start_relay(tmp_path / "relay.db")
    try:
        token_b = relay.token("ws_bravo")
        async with connect(relay.stream_url, additional_headers={"Authorization": f"Bearer {token_b}"}) as ws:
            frames: list[dict[str, Any]] = []

            async def drain() -> None:
                async for raw in ws:
                    frame = json.loads(raw)
                    if frame.get("type") != "ping":
                        frames.append(frame)

            reader = asyncio.create_task(drain())
            a_ids = []
            for _ in range(20):
                event = make_event("ws_alpha")
                assert (await relay.post(event)).status_code == 200
                a_ids.append(event["id"])
            marker = make_event("ws_bravo")
            assert (await relay.post(marker)).status_code == 200
            async with asyncio.timeout(10):
                while not any(f.get("event", {}).get("id") == marker["id"] for f in frames):
                    await asyncio.sleep(0.02)
            reader.cancel()
        events = [f["event"] for f in frames if "event" in f]
        assert [e["id"] for e in events] == [marker["id"]]
        assert not set(a_ids) & {e["id"] for e in events}
        # Resuming from the start does not replay A's events either.
        url = f"{relay.stream_url}?since=0"
        async with connect(url, additional_headers={"Authorization": f"Bearer {token_b}"}) as ws:
            replayed: list[str] = []
            async with asyncio.timeout(10):
                while marker["id"] not in replayed:
                    frame = json.loads(await ws.recv())
                    if "event" in frame:
                        assert frame["event"]["workspace_id"] == "ws_bravo"
                        replayed.append(frame["event"]["id"])
            assert replayed == [marker["id"]]
    finally:
        await stop_relay(relay)
        await relay.http.aclose()

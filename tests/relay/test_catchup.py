"""Catch-up: the relay fills a gap from GET /v1/events, storing only events it has not seen."""

from __future__ import annotations

import json
from typing import Any

import httpx

from talkya_console.relay.catchup import RelayCatchUp
from talkya_console.relay.settings import CatchUpSource, Secret

from .conftest import RelayServer, make_event
from .test_stream import bearer, connect, next_frame


def fake_events_api(events: list[dict[str, Any]], seen: list[httpx.Request]) -> httpx.MockTransport:
    """Talkya's events list: newest first, two per page, cursor = offset."""
    newest_first = sorted(events, key=lambda e: e["created_at"], reverse=True)

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        assert request.url.path == "/v1/events"
        after = request.url.params["created_after"]
        matching = [e for e in newest_first if e["created_at"] >= after]
        offset = int(request.url.params.get("cursor", "0"))
        page = matching[offset : offset + 2]
        more = offset + 2 < len(matching)
        body = {"object": "list", "data": page, "has_more": more, "next_cursor": str(offset + 2) if more else None}
        return httpx.Response(200, json=body)

    return httpx.MockTransport(handler)


async def test_catch_up_stores_the_missed_events_once(relay: RelayServer) -> None:
    events = [make_event() for _ in range(5)]
    for i, event in enumerate(events):
        event["created_at"] = f"2026-05-18T14:00:0{i}Z"
    await relay.post(events[1])  # delivered by webhook before the outage
    requests: list[httpx.Request] = []
    source = CatchUpSource("https://api.talkya.test", "ws_alpha", Secret("tk_test_alpha"))
    catch_up = RelayCatchUp(relay.relay, source, transport=fake_events_api(events, requests))
    await catch_up.prepare()
    async with connect(f"{relay.stream_url}?since=1", additional_headers=bearer(relay.token("ws_alpha"))) as ws:
        await next_frame(ws)
        assert await catch_up.run_once() == 4
        streamed = [(await next_frame(ws))["event"]["id"] for _ in range(4)]
    assert streamed == [events[i]["id"] for i in (0, 2, 3, 4)]  # oldest first
    assert relay.relay.log.count("ws_alpha") == 5
    assert await catch_up.run_once() == 0
    assert relay.relay.metrics.catch_up_events["ws_alpha"] == 4
    first = requests[0]
    assert first.headers["Authorization"] == "Bearer tk_test_alpha" and first.headers["Talkya-Workspace"] == "ws_alpha"
    # The lower bound is the newest stored event minus the overlap, not "now".
    assert first.url.params["created_after"] == "2026-05-18T13:50:01Z"
    stored = json.loads(relay.relay.log.read_after("ws_alpha", 1, 1)[0][1])
    assert stored == events[0]


async def test_a_failing_api_is_logged_and_survived(relay: RelayServer) -> None:
    source = CatchUpSource("https://api.talkya.test", "ws_alpha", Secret("tk_test_hunter2"))
    transport = httpx.MockTransport(lambda request: httpx.Response(503))
    await RelayCatchUp(relay.relay, source, transport=transport).run_forever()  # no interval: one pass
    assert relay.relay.log.count("ws_alpha") == 0


async def test_catch_up_from_the_real_sandbox_fills_the_gap_once(
    relay: RelayServer, sandbox_app: Any, api: httpx.AsyncClient
) -> None:
    """The sandbox's own GET /v1/events (its pagination, filters and envelopes), not a stand-in."""
    from talkya_console.relay.log import Incoming
    from talkya_console.wire.common import format_timestamp
    from talkya_console.wire.events import Event
    from tests.sandbox_helpers import patient_body

    patient_ids = []
    for n in range(4):
        response = await api.post("/v1/patients", json=patient_body(first_name=f"Gap{n}"))
        assert response.status_code == 201
        patient_ids.append(response.json()["id"])
    listed = (await api.get("/v1/events", params={"limit": 100, "type": "patient.created"})).json()["data"]
    assert len(listed) == 4
    # The last patient's event reached the relay by webhook before the outage.
    [raw_delivered] = [e for e in listed if e["data"]["patient_id"] == patient_ids[-1]]
    delivered = Event.model_validate(raw_delivered)
    await relay.relay.writer.append(
        Incoming(
            "ws_truebliss",
            delivered.id,
            "wh_before_outage",
            delivered.type,
            format_timestamp(delivered.created_at),
            json.dumps(raw_delivered),
        )
    )
    source = CatchUpSource("http://sandbox", "ws_truebliss", Secret("tk_test_truebliss"))
    catch_up = RelayCatchUp(relay.relay, source, transport=httpx.ASGITransport(app=sandbox_app))
    await catch_up.prepare()
    async with connect(f"{relay.stream_url}?since=1", additional_headers=bearer(relay.token("ws_truebliss"))) as ws:
        await next_frame(ws)
        added = await catch_up.run_once()
        streamed = [(await next_frame(ws))["event"] for _ in range(added)]
    # Every event the sandbox logged since the mark is now in the relay once, the delivered one included.
    everything = (await api.get("/v1/events", params={"limit": 100})).json()["data"]
    assert relay.relay.log.count("ws_truebliss") == len(everything) == added + 1
    assert {e["id"] for e in streamed} == {e["id"] for e in everything} - {delivered.id}
    # The others came by catch-up (ordered by created_at, which a second's worth of events share).
    assert sorted(s["data"]["patient_id"] for s in streamed if s["type"] == "patient.created") == sorted(
        patient_ids[:3]
    )
    assert await catch_up.run_once() == 0

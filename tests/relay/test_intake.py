"""Webhook intake: every refusal stores nothing and logs no body; rotations, duplicates, seq, metrics."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from talkya_console.wire.signing import SIGNATURE_HEADER, WEBHOOK_ID_HEADER, compute_signature

from .conftest import MARKER, SECRET_A1, SECRET_A2, SECRET_B, Captured, RelayServer, make_event, signed


def _refusals() -> list[Any]:
    """(name, how to build the headers/body/path, expected status, expected code)."""

    def now() -> int:
        return int(time.time())

    def case(body: bytes) -> dict[str, str]:
        return signed(body, [SECRET_A1])

    return [
        ("bad_signature", lambda b: {SIGNATURE_HEADER: f"t={now()},v1={'0' * 64}"}, b"", 400, "bad_signature"),
        ("tampered_body", case, b" ", 400, "bad_signature"),
        ("wrong_secret", lambda b: signed(b, [SECRET_B]), b"", 400, "bad_signature"),
        ("old_301", lambda b: signed(b, [SECRET_A1], timestamp=now() - 301), b"", 400, "timestamp_out_of_tolerance"),
        ("ahead_301", lambda b: signed(b, [SECRET_A1], timestamp=now() + 301), b"", 400, "timestamp_out_of_tolerance"),
        ("missing_header", lambda b: {}, b"", 400, "missing_header"),
        ("malformed_header", lambda b: {SIGNATURE_HEADER: "garbage"}, b"", 400, "malformed_header"),
        ("bad_timestamp", lambda b: {SIGNATURE_HEADER: "t=soon,v1=ab"}, b"", 400, "malformed_header"),
        (
            "only_v0",
            lambda b: {SIGNATURE_HEADER: f"t={now()},v0={compute_signature(SECRET_A1, now(), b)}"},
            b"",
            400,
            "no_v1_signature",
        ),
    ]


@pytest.mark.parametrize(
    ("make_headers", "tamper", "status", "code"),
    [pytest.param(*c[1:], id=c[0]) for c in _refusals()],
)
async def test_refused_deliveries_store_nothing_and_log_no_body(
    relay: RelayServer, relay_log: Captured, make_headers: Any, tamper: bytes, status: int, code: str
) -> None:
    body = json.dumps(make_event()).encode()
    headers = {**make_headers(body), WEBHOOK_ID_HEADER: "wh_refused1"}
    response = await relay.http.post(f"{relay.base}/webhooks/ws_alpha", content=body + tamper, headers=headers)
    assert response.status_code == status
    error = response.json()["error"]
    assert error["code"] == code and error["request_id"].startswith("req_") and error["type"]
    assert relay.relay.log.count("ws_alpha") == 0
    assert relay.relay.metrics.refused[code] == 1
    assert any(f"reason={code}" in line and "wh_refused1" in line for line in relay_log.lines)
    assert not any(MARKER in line for line in relay_log.lines)


async def test_oversized_body_is_413_and_not_stored(relay: RelayServer, relay_log: Captured) -> None:
    event = make_event(pad=1024 * 1024)
    response = await relay.post(event)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"
    assert relay.relay.log.count("ws_alpha") == 0
    assert not any(MARKER in line for line in relay_log.lines)


async def test_unknown_workspace_is_404_and_not_stored(relay: RelayServer, relay_log: Captured) -> None:
    event = make_event("ws_nobody")
    response = await relay.post(event, secret_list=[SECRET_A1])
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "unknown_workspace"
    assert relay.relay.log.count("ws_nobody") == 0
    assert any("reason=unknown_workspace" in line for line in relay_log.lines)
    assert not any(MARKER in line for line in relay_log.lines)


async def test_event_for_another_workspace_is_refused(relay: RelayServer) -> None:
    body = json.dumps(make_event("ws_bravo")).encode()
    response = await relay.http.post(f"{relay.base}/webhooks/ws_alpha", content=body, headers=signed(body, [SECRET_A1]))
    assert response.status_code == 400 and response.json()["error"]["code"] == "workspace_mismatch"
    assert relay.relay.log.count("ws_alpha") == relay.relay.log.count("ws_bravo") == 0


@pytest.mark.parametrize("secret_list", [[SECRET_A1], [SECRET_A2], [SECRET_A1, SECRET_A2]], ids=["old", "new", "both"])
async def test_each_rotation_secret_is_accepted(relay: RelayServer, secret_list: list[str]) -> None:
    response = await relay.post(make_event(), secret_list=secret_list)
    assert response.status_code == 200
    assert response.json() == {"received": True, "duplicate": False, "seq": 1}
    assert relay.relay.log.count("ws_alpha") == 1


async def test_duplicates_are_acknowledged_and_stored_once(relay: RelayServer) -> None:
    event = make_event()
    first = await relay.post(event, webhook_id="wh_same")
    again = await relay.post(event, webhook_id="wh_same")
    other_endpoint = await relay.post(event, webhook_id="wh_other_endpoint")
    same_webhook_new_body = await relay.post(make_event(), webhook_id="wh_same")
    assert [r.status_code for r in (first, again, other_endpoint, same_webhook_new_body)] == [200] * 4
    assert first.json()["duplicate"] is False
    assert again.json()["duplicate"] is other_endpoint.json()["duplicate"] is True
    assert same_webhook_new_body.json()["duplicate"] is True
    assert relay.relay.log.count("ws_alpha") == 1
    assert relay.relay.metrics.duplicates["ws_alpha"] == 3


async def test_seq_is_monotonic_per_workspace(relay: RelayServer) -> None:
    seqs: dict[str, list[int]] = {"ws_alpha": [], "ws_bravo": []}
    for i in range(12):
        ws = "ws_alpha" if i % 3 else "ws_bravo"
        response = await relay.post(make_event(ws))
        seqs[ws].append(response.json()["seq"])
    assert seqs["ws_alpha"] == list(range(1, 9))
    assert seqs["ws_bravo"] == list(range(1, 5))


async def test_metrics_and_health(relay: RelayServer) -> None:
    await relay.post(make_event())
    event = make_event()
    await relay.post(event, webhook_id="wh_dup")
    await relay.post(event, webhook_id="wh_dup")
    await relay.http.post(f"{relay.base}/webhooks/ws_alpha", content=b"{}")
    assert (await relay.http.get(f"{relay.base}/healthz")).json() == {"status": "ok"}
    text = (await relay.http.get(f"{relay.base}/metrics")).text
    assert 'talkya_relay_events_in_total{workspace="ws_alpha"} 2' in text
    assert 'talkya_relay_duplicates_total{workspace="ws_alpha"} 1' in text
    assert 'talkya_relay_refused_total{reason="missing_header"} 1' in text
    assert "# TYPE talkya_relay_subscribers gauge" in text
    assert "# TYPE talkya_relay_subscriber_lag gauge" in text


async def test_unknown_route_uses_the_error_shape(relay: RelayServer) -> None:
    response = await relay.http.get(f"{relay.base}/nope")
    assert response.status_code == 404 and response.json()["error"]["request_id"].startswith("req_")

"""The stream: hello, resume with `since`, reset, auth, isolation, and a slow consumer that hurts no one."""

from __future__ import annotations

import asyncio
import json
import socket
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from talkya_console.relay.settings import RelaySettings

from .conftest import RelayServer, make_event


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def next_frame(ws: ClientConnection, *, skip_pings: bool = True) -> dict[str, Any]:
    async with asyncio.timeout(10):
        while True:
            frame = json.loads(await ws.recv())
            if not (skip_pings and frame.get("type") == "ping"):
                return frame


async def post_many(relay: RelayServer, n: int, ws: str = "ws_alpha") -> list[str]:
    ids = []
    for _ in range(n):
        event = make_event(ws)
        assert (await relay.post(event)).status_code == 200
        ids.append(event["id"])
    return ids


async def test_hello_then_live_events(relay: RelayServer) -> None:
    async with connect(relay.stream_url, additional_headers=bearer(relay.token("ws_alpha"))) as ws:
        hello = await next_frame(ws)
        assert hello["type"] == "hello" and hello["head"] == 0 and hello["epoch"]
        [event_id] = await post_many(relay, 1)
        frame = await next_frame(ws)
        assert frame["seq"] == 1 and frame["epoch"] == hello["epoch"] and frame["event"]["id"] == event_id
        text = (await relay.http.get(f"{relay.base}/metrics")).text
        assert 'talkya_relay_subscribers{workspace="ws_alpha"} 1' in text
        assert 'talkya_relay_subscriber_lag{workspace="ws_alpha",subscriber="' in text


async def test_resume_with_since_gets_exactly_the_missed_events(relay: RelayServer) -> None:
    ids = await post_many(relay, 5)
    epoch = (await relay.relay.head("ws_alpha")).epoch
    url = f"{relay.stream_url}?since=2&epoch={epoch}"
    async with connect(url, additional_headers=bearer(relay.token("ws_alpha"))) as ws:
        assert (await next_frame(ws))["type"] == "hello"
        replayed = [await next_frame(ws) for _ in range(3)]
        assert [f["seq"] for f in replayed] == [3, 4, 5]
        assert [f["event"]["id"] for f in replayed] == ids[2:]
        [live_id] = await post_many(relay, 1)
        live = await next_frame(ws)
        assert (live["seq"], live["event"]["id"]) == (6, live_id)


async def test_since_zero_without_epoch_replays_everything(relay: RelayServer) -> None:
    ids = await post_many(relay, 4)
    async with connect(f"{relay.stream_url}?since=0", additional_headers=bearer(relay.token("ws_alpha"))) as ws:
        await next_frame(ws)
        assert [(await next_frame(ws))["event"]["id"] for _ in ids] == ids


@pytest.mark.parametrize(
    "query", ["since=2", "since=3&epoch=0123456789abcdef", "since=99"], ids=["pruned", "epoch", "ahead"]
)
async def test_reset_when_the_position_cannot_be_honoured(relay_factory: Any, query: str) -> None:
    relay: RelayServer = await relay_factory(RelaySettings(retention_count=5, prune_interval=3600))
    await post_many(relay, 10)
    await asyncio.to_thread(relay.relay.log.prune, 86400.0, 5)
    head = await relay.relay.head("ws_alpha")
    assert head.pruned_through == 5
    async with connect(f"{relay.stream_url}?{query}", additional_headers=bearer(relay.token("ws_alpha"))) as ws:
        assert await next_frame(ws) == {"type": "reset", "epoch": head.epoch, "seq": 10}
        [event_id] = await post_many(relay, 1)
        frame = await next_frame(ws)
        assert (frame["seq"], frame["event"]["id"]) == (11, event_id)
    assert relay.relay.metrics.resets["ws_alpha"] == 1


async def test_since_at_the_retention_edge_is_not_a_reset(relay_factory: Any) -> None:
    relay: RelayServer = await relay_factory(RelaySettings(retention_count=5, prune_interval=3600))
    await post_many(relay, 10)
    await asyncio.to_thread(relay.relay.log.prune, 86400.0, 5)
    async with connect(f"{relay.stream_url}?since=5", additional_headers=bearer(relay.token("ws_alpha"))) as ws:
        assert (await next_frame(ws))["type"] == "hello"
        assert [(await next_frame(ws))["seq"] for _ in range(5)] == [6, 7, 8, 9, 10]


async def test_bad_header_token_is_refused_before_the_upgrade(relay: RelayServer) -> None:
    with pytest.raises(InvalidStatus) as refused:
        async with connect(relay.stream_url, additional_headers=bearer("rt_not_a_real_token")):
            pass
    assert refused.value.response.status_code == 403
    assert relay.relay.metrics.stream_refused["invalid_token"] == 1


async def test_token_in_the_first_message(relay: RelayServer) -> None:
    async with connect(relay.stream_url) as ws:
        await ws.send(json.dumps({"type": "auth", "token": relay.token("ws_alpha")}))
        assert (await next_frame(ws))["type"] == "hello"
    async with connect(relay.stream_url) as ws:
        await ws.send(json.dumps({"type": "auth", "token": "rt_wrong"}))
        with pytest.raises(ConnectionClosed) as closed:
            await next_frame(ws)
    assert closed.value.rcvd is not None
    assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (1008, "invalid_token")


async def test_pings_keep_the_link_alive(relay_factory: Any) -> None:
    relay: RelayServer = await relay_factory(RelaySettings(ping_interval=0.05))
    async with connect(relay.stream_url, additional_headers=bearer(relay.token("ws_alpha"))) as ws:
        assert (await next_frame(ws))["ping_interval"] == 0.05
        assert await next_frame(ws, skip_pings=False) == {"type": "ping"}


async def test_a_token_never_sees_another_workspaces_events(relay: RelayServer) -> None:
    headers_a, headers_b = bearer(relay.token("ws_alpha")), bearer(relay.token("ws_bravo"))
    async with (
        connect(relay.stream_url, additional_headers=headers_a) as a,
        connect(relay.stream_url, additional_headers=headers_b) as b,
    ):
        await next_frame(a), await next_frame(b)
        alpha, bravo = [], []
        for i in range(6):
            alpha += await post_many(relay, 1, "ws_alpha") if i % 2 else []
            bravo += await post_many(relay, 1, "ws_bravo") if not i % 2 else []
        got_a = [(await next_frame(a))["event"] for _ in alpha]
        got_b = [(await next_frame(b))["event"] for _ in bravo]
        assert [e["id"] for e in got_a] == alpha and {e["workspace_id"] for e in got_a} == {"ws_alpha"}
        assert [e["id"] for e in got_b] == bravo and {e["workspace_id"] for e in got_b} == {"ws_bravo"}
        # The next frame each sees is its own workspace's, never the other's.
        [last_b] = await post_many(relay, 1, "ws_bravo")
        [last_a] = await post_many(relay, 1, "ws_alpha")
        assert (await next_frame(a))["event"]["id"] == last_a
        assert (await next_frame(b))["event"]["id"] == last_b


async def stalled_consumer(relay: RelayServer, token: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A hand-made WebSocket client that completes the upgrade and then never reads again."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # back up quickly
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", relay.port))
    reader, writer = await asyncio.open_connection(sock=sock, limit=4096)
    writer.write(
        (
            f"GET /v1/stream HTTP/1.1\r\nHost: 127.0.0.1:{relay.port}\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
            f"Authorization: Bearer {token}\r\n\r\n"
        ).encode()
    )
    status = await reader.readuntil(b"\r\n\r\n")
    assert status.startswith(b"HTTP/1.1 101")
    return reader, writer


async def test_slow_subscriber_is_dropped_without_delaying_a_fast_one(relay_factory: Any) -> None:
    relay: RelayServer = await relay_factory(RelaySettings(queue_size=20, ping_interval=30, synchronous="NORMAL"))
    token = relay.token("ws_alpha")
    _, slow = await stalled_consumer(relay, token)
    async with connect(relay.stream_url, additional_headers=bearer(token)) as fast:
        await next_frame(fast)
        received: list[str] = []

        async def read_fast(n: int) -> None:
            while len(received) < n:
                received.append((await next_frame(fast))["event"]["id"])

        # 300 x 16 KiB overflows the stalled one's socket buffers, its transport buffer and its 20-frame queue.
        n = 300
        reader = asyncio.create_task(read_fast(n))
        posted: list[str] = []
        for _ in range(n):
            event = make_event(pad=16 * 1024)
            assert (await relay.post(event)).status_code == 200
            posted.append(event["id"])
        async with asyncio.timeout(20):
            await reader
        assert received == posted
        assert relay.relay.metrics.slow_disconnects["ws_alpha"] == 1
        assert dict(relay.relay.hub.counts()) == {"ws_alpha": 1}
    slow.close()


async def test_revoking_a_token_closes_its_streams_and_refuses_it_after(relay_factory: Any, tmp_path: Any) -> None:
    from talkya_console.relay.tokens import list_tokens, revoke_token

    relay: RelayServer = await relay_factory(RelaySettings(ping_interval=0.1))
    doomed, kept = relay.token("ws_alpha"), relay.token("ws_bravo")
    async with (
        connect(relay.stream_url, additional_headers=bearer(doomed)) as ws,
        connect(relay.stream_url, additional_headers=bearer(kept)) as other,
    ):
        assert (await next_frame(ws))["type"] == "hello"
        assert (await next_frame(other))["type"] == "hello"
        [info] = [t for t in list_tokens(relay.db) if t.workspace_id == "ws_alpha"]
        assert info.last_used_at is not None
        assert revoke_token(relay.db, info.id)  # as the CLI does: another connection to the file
        with pytest.raises(ConnectionClosed) as closed:
            async with asyncio.timeout(10):
                while True:
                    await ws.recv()
        assert closed.value.rcvd is not None and closed.value.rcvd.reason == "token_revoked"
        await post_many(relay, 1, "ws_bravo")
        assert "event" in await next_frame(other)  # the other workspace's token is untouched
    with pytest.raises(InvalidStatus):
        async with connect(relay.stream_url, additional_headers=bearer(doomed)):
            pass
    assert (
        'talkya_relay_stream_refused_total{reason="token_revoked"} 1'
        in (await relay.http.get(f"{relay.base}/metrics")).text
    )

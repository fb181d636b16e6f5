"""`GET /v1/stream`: authenticate, replay from `since`, then go live without a gap or a duplicate."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time

from starlette.websockets import WebSocket, WebSocketDisconnect

from talkya_console.relay.core import Relay
from talkya_console.relay.hub import Subscription
from talkya_console.relay.log import Head, event_frame
from talkya_console.relay.tokens import hash_token

log = logging.getLogger("talkya.relay")
POLICY_VIOLATION = 1008


class _Refused(Exception):
    """Why a stream is closed before it starts; the reason is the close frame's reason."""


def _bearer(value: str | None) -> str | None:
    scheme, _, token = (value or "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def _position(websocket: WebSocket) -> tuple[int | None, str | None]:
    since = websocket.query_params.get("since")
    epoch = websocket.query_params.get("epoch") or None
    if since is None or since == "":
        return None, epoch
    if not since.isdigit():
        raise _Refused("invalid_since")
    return int(since), epoch


async def _authenticate(relay: Relay, websocket: WebSocket) -> tuple[str, str]:
    """The token's workspace and hash: from the Authorization header (before accepting) or the first message."""
    token = _bearer(websocket.headers.get("authorization"))
    if token is not None:
        workspace_id = await relay.workspace_for(token)
        if workspace_id is None:
            raise _Refused("invalid_token")
        await websocket.accept()
        return workspace_id, hash_token(token)
    await websocket.accept()
    try:
        async with asyncio.timeout(relay.settings.auth_timeout):
            message = json.loads(await websocket.receive_text())
    except (TimeoutError, ValueError, KeyError):
        raise _Refused("auth_required") from None
    token = message.get("token") if isinstance(message, dict) and message.get("type") == "auth" else None
    workspace_id = await relay.workspace_for(token) if isinstance(token, str) else None
    if workspace_id is None or not isinstance(token, str):
        raise _Refused("invalid_token")
    return workspace_id, hash_token(token)


async def stream_endpoint(websocket: WebSocket) -> None:
    relay: Relay = websocket.app.state.relay
    try:
        since, epoch = _position(websocket)
        workspace_id, token_hash = await _authenticate(relay, websocket)
    except _Refused as refused:
        relay.metrics.stream_refused[str(refused)] += 1
        log.warning("stream refused: reason=%s", refused)
        await websocket.close(POLICY_VIOLATION, str(refused))
        return
    except WebSocketDisconnect:
        return
    sub = Subscription(workspace_id, relay.settings.queue_size, token_hash)
    relay.streams.add(sub)
    sender = asyncio.create_task(_send(relay, websocket, sub, since, epoch))
    receiver = asyncio.create_task(_drain_incoming(websocket))
    cut = asyncio.create_task(sub.cut.wait())
    try:
        await asyncio.wait({sender, receiver, cut}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        relay.hub.remove(sub)
        relay.streams.discard(sub)
        for task in (sender, receiver, cut):
            task.cancel()
        outcomes = await asyncio.gather(sender, receiver, cut, return_exceptions=True)
    if isinstance(outcomes[0], Exception) and not isinstance(outcomes[0], (WebSocketDisconnect, OSError)):
        log.info("subscriber %d of %s ended: %r", sub.id, workspace_id, outcomes[0])
    if sub.cut.is_set():
        # A consumer that stopped reading may never take the close frame; don't wait on it forever.
        with contextlib.suppress(Exception):
            async with asyncio.timeout(2):
                await websocket.close(POLICY_VIOLATION, sub.cut_reason)


async def _drain_incoming(websocket: WebSocket) -> None:
    """Read (and ignore) client frames so a close from the client ends the session."""
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return


async def _send(relay: Relay, websocket: WebSocket, sub: Subscription, since: int | None, epoch: str | None) -> None:
    head = await relay.head(sub.workspace_id)
    # After a restart nothing has been published yet; the lag gauge needs the stored head.
    relay.hub.head[sub.workspace_id] = max(relay.hub.head.get(sub.workspace_id, 0), head.last_seq)
    start = _start(head, since, epoch)
    if start is None:
        start = head.last_seq
        relay.metrics.resets[sub.workspace_id] += 1
        await websocket.send_text(json.dumps({"type": "reset", "epoch": head.epoch, "seq": start}))
    else:
        hello = {
            "type": "hello",
            "epoch": head.epoch,
            "head": head.last_seq,
            "ping_interval": relay.settings.ping_interval,
        }
        await websocket.send_text(json.dumps(hello))
    sub.last_sent = start
    # Replay most of the backlog before registering, so the live buffer only has to hold the tail.
    await _replay(relay, websocket, sub, head.epoch)
    relay.hub.add(sub)
    # Events committed before registering but published after it arrive twice: once here, once queued.
    await _replay(relay, websocket, sub, head.epoch)
    while True:
        seq, frame = await sub.queue.get()
        if seq < 0:  # a ping from the hub's idle sweep
            await websocket.send_text(frame)
        elif seq > sub.last_sent:
            await websocket.send_text(frame)
            sub.last_sent = seq
        sub.last_active = time.monotonic()


def _start(head: Head, since: int | None, epoch: str | None) -> int | None:
    """Where the stream resumes after, or None when the client's position can't be honoured (reset)."""
    if since is None:
        return head.last_seq
    if epoch is not None and epoch != head.epoch:
        return None
    if since > head.last_seq or since < head.pruned_through:
        return None
    return since


async def _replay(relay: Relay, websocket: WebSocket, sub: Subscription, epoch: str) -> None:
    page = relay.settings.replay_page
    while True:
        rows = await relay.db(relay.log.read_after, sub.workspace_id, sub.last_sent, page)
        for seq, body in rows:
            await websocket.send_text(event_frame(seq, epoch, body))
            sub.last_sent = seq
        sub.last_active = time.monotonic()
        if len(rows) < page:
            return

"""Fixtures for the relay: an in-process uvicorn on loopback, signed deliveries, captured log lines."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import socket
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from talkya_console.relay.app import UVICORN_OPTIONS, create_relay_app
from talkya_console.relay.core import Relay
from talkya_console.relay.settings import RelaySettings
from talkya_console.relay.tokens import issue_token
from talkya_console.wire.signing import SIGNATURE_HEADER, WEBHOOK_ID_HEADER, sign

SECRET_A1 = "whsec_alpha_one"
SECRET_A2 = "whsec_alpha_two"
SECRET_B = "whsec_bravo"
SECRETS = {"ws_alpha": [SECRET_A1, SECRET_A2], "ws_bravo": [SECRET_B]}
MARKER = "PHI-do-not-log-7f3a"


def make_event(workspace_id: str = "ws_alpha", *, event_id: str | None = None, pad: int = 0) -> dict[str, Any]:
    """An envelope whose data carries a marker, so a test can tell whether a body reached a log."""
    return {
        "id": event_id or "evt_" + secrets.token_hex(8),
        "type": "patient.created",
        "created_at": "2026-05-18T14:00:00Z",
        "workspace_id": workspace_id,
        "data": {"note": MARKER, "pad": "x" * pad},
    }


def signed(body: bytes, secret_list: list[str], *, webhook_id: str | None = None, **kw: Any) -> dict[str, str]:
    headers = {SIGNATURE_HEADER: sign(secret_list, body, **kw), "Content-Type": "application/json"}
    headers[WEBHOOK_ID_HEADER] = webhook_id or "wh_" + secrets.token_hex(8)
    return headers


def listening_socket(port: int = 0) -> socket.socket:
    """Bound and listening before uvicorn starts, so clients can connect at once (the backlog holds them)."""
    # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY only on sockets whose proto says TCP (else 40 ms stalls).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    sock.listen(128)
    return sock


@dataclass
class RelayServer:
    """A running relay: its URLs, state, and a client for deliveries."""

    port: int
    db: Path
    server: uvicorn.Server
    task: asyncio.Task[None]
    http: httpx.AsyncClient
    tokens: dict[str, str] = field(default_factory=dict)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def stream_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/v1/stream"

    @property
    def relay(self) -> Relay:
        return self.server.config.app.state.relay  # type: ignore[no-any-return]

    def token(self, workspace_id: str) -> str:
        if workspace_id not in self.tokens:
            self.tokens[workspace_id] = issue_token(self.relay.log, workspace_id)
        return self.tokens[workspace_id]

    async def post(
        self, event: dict[str, Any], *, secret_list: list[str] | None = None, webhook_id: str | None = None
    ) -> httpx.Response:
        body = json.dumps(event).encode()
        ws = event["workspace_id"]
        headers = signed(body, secret_list or SECRETS.get(ws, ["whsec_none"])[:1], webhook_id=webhook_id)
        return await self.http.post(f"{self.base}/webhooks/{ws}", content=body, headers=headers)

    async def started(self) -> None:
        """Lifespan done: a request answered proves it (the listening socket queued it meanwhile)."""
        response = await self.http.get(f"{self.base}/healthz")
        assert response.status_code == 200


async def start_relay(
    db: Path, settings: RelaySettings | None = None, *, port: int = 0, http: httpx.AsyncClient | None = None
) -> RelayServer:
    app = create_relay_app(db, SECRETS, settings=settings)
    config = uvicorn.Config(
        app, log_config=None, log_level="warning", timeout_graceful_shutdown=2, lifespan="on", **UVICORN_OPTIONS
    )
    server = uvicorn.Server(config)
    sock = listening_socket(port)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    handle = RelayServer(sock.getsockname()[1], db, server, task, http or httpx.AsyncClient(timeout=10))
    await handle.started()
    return handle


async def stop_relay(handle: RelayServer) -> None:
    handle.server.should_exit = True
    await handle.task


@pytest.fixture
async def relay_factory(tmp_path: Path) -> AsyncIterator[Callable[..., Any]]:
    """Start relays on loopback (same db file by default, for restarts); all are stopped at the end."""
    running: list[RelayServer] = []
    http = httpx.AsyncClient(timeout=10)

    async def factory(settings: RelaySettings | None = None, *, port: int = 0, db: Path | None = None) -> RelayServer:
        handle = await start_relay(db or tmp_path / "relay.db", settings, port=port, http=http)
        running.append(handle)
        return handle

    yield factory
    for handle in running:
        if not handle.task.done():
            await stop_relay(handle)
    await http.aclose()


@pytest.fixture
async def relay(relay_factory: Callable[..., Any]) -> RelayServer:
    return await relay_factory(RelaySettings(ping_interval=1.0))


class Captured(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@pytest.fixture
def relay_log() -> Iterator[Captured]:
    """The relay logger's lines (pytest's logging plugin is off in this suite)."""
    handler = Captured()
    logger = logging.getLogger("talkya.relay")
    logger.addHandler(handler)
    previous = logger.level
    logger.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)


@contextlib.asynccontextmanager
async def collecting(gen: Any, into: list[Any]) -> AsyncIterator[asyncio.Task[None]]:
    """Drain an async iterator into a list in the background."""

    async def run() -> None:
        async for item in gen:
            into.append(item)

    task = asyncio.create_task(run())
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

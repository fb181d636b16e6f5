"""The dispatcher against real receivers on loopback: signatures, retries, timeouts, isolation
between endpoints, and no lost event across a restart or a SIGKILL."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from talkya_console.sandbox import records
from talkya_console.sandbox.app import create_app
from talkya_console.sandbox.context import Limits
from talkya_console.sandbox.dispatcher import Dispatcher
from tests.conftest import DEMO_HEADERS
from tests.sandbox_helpers import patient_body

WS = "ws_truebliss"
FAST = {"schedule": (0.05, 0.05), "timeout": 1.0, "poll_interval": 0.2}


@dataclass
class Hit:
    headers: dict[str, str]
    body: bytes

    @property
    def webhook_id(self) -> str:
        return self.headers["talkya-webhook-id"]

    @property
    def event_id(self) -> str:
        return json.loads(self.body)["id"]


@dataclass
class Receiver:
    """A webhook receiver; `answer(n)` gives the status for the n-th request (1-based), or hangs."""

    answer: Callable[[int], Awaitable[int]] | None = None
    hits: asyncio.Queue[Hit] = field(default_factory=asyncio.Queue)
    answered: list[Hit] = field(default_factory=list)
    release: asyncio.Event = field(default_factory=asyncio.Event)
    seen: int = 0
    in_flight: int = 0
    most_in_flight: int = 0
    url: str = ""

    async def handle(self, request: Request) -> Response:
        hit = Hit(dict(request.headers), await request.body())
        self.seen += 1
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        self.hits.put_nowait(hit)
        try:
            status = await self.answer(self.seen) if self.answer else 200
        finally:
            self.in_flight -= 1
        if 200 <= status < 300:
            self.answered.append(hit)
        return Response(b'{"received":true}', status_code=status, media_type="application/json")

    async def hang(self, _n: int = 0) -> int:
        await self.release.wait()
        return 200

    async def take(self, n: int) -> list[Hit]:
        async with asyncio.timeout(60):  # a guard against a hang, not a speed check
            return [await self.hits.get() for _ in range(n)]


@asynccontextmanager
async def serve(receiver: Receiver) -> AsyncIterator[Receiver]:
    app = Starlette(routes=[Route("/hook", receiver.handle, methods=["POST"])])
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:  # uvicorn offers no event for this
        await asyncio.sleep(0.01)
    receiver.url = f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}/hook"
    try:
        yield receiver
    finally:
        receiver.release.set()
        server.should_exit = True
        await task


@asynccontextmanager
async def running(sandbox, **options) -> AsyncIterator[Dispatcher]:
    dispatcher = Dispatcher(sandbox, **{**FAST, **options})
    await dispatcher.start()
    try:
        yield dispatcher
    finally:
        await dispatcher.stop()


async def subscribe(api: httpx.AsyncClient, url: str) -> dict:
    response = await api.post("/v1/webhook_endpoints", json={"url": url, "events": ["*"]})
    assert response.status_code == 201, response.text
    return response.json()


def emit(sandbox, n: int = 1) -> list[str]:
    return [records.emit(sandbox, WS, "patient.created", {"patient_id": f"pat_{i}"}).id for i in range(n)]


def hmac_hex(secret: str, timestamp: str, body: bytes) -> str:
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def signature(hit: Hit) -> tuple[str, list[str]]:
    parts = [p.split("=", 1) for p in hit.headers["talkya-signature"].split(",")]
    return next(v for k, v in parts if k == "t"), [v for k, v in parts if k == "v1"]


async def test_delivery_is_the_stored_envelope_signed_with_the_endpoint_secret(api, sandbox):
    async with serve(Receiver()) as receiver, running(sandbox):
        endpoint = await subscribe(api, receiver.url)
        patient = (await api.post("/v1/patients", json=patient_body())).json()
        [hit] = await receiver.take(1)
    event = await api.get(f"/v1/events/{hit.event_id}")
    assert hit.body == event.content
    assert json.loads(hit.body)["data"] == {"patient_id": patient["id"]}
    assert hit.headers["content-type"] == "application/json"
    assert hit.headers["user-agent"] == "Talkya-Webhooks/1"
    timestamp, [v1] = signature(hit)
    assert abs(int(timestamp) - time.time()) < 300  # the tolerance receivers apply
    assert hmac.compare_digest(v1, hmac_hex(endpoint["secret"], timestamp, hit.body))
    [delivery] = (await api.get("/v1/webhook_deliveries", params={"event_id": hit.event_id})).json()["data"]
    assert delivery["id"] == hit.webhook_id


async def test_during_a_rotation_both_secrets_sign(api, sandbox):
    async with serve(Receiver()) as receiver, running(sandbox) as dispatcher:
        endpoint = await subscribe(api, receiver.url)
        path = f"/v1/webhook_endpoints/{endpoint['id']}/rotate_secret"
        rotated = (await api.post(path, json={"expires_in": 3600})).json()
        emit(sandbox)
        [hit] = await receiver.take(1)
        timestamp, signatures = signature(hit)
        assert signatures == [
            hmac_hex(rotated["secret"], timestamp, hit.body),
            hmac_hex(endpoint["secret"], timestamp, hit.body),
        ]
        await dispatcher.idle()
        # Once the overlap has passed, only the new secret signs.
        past = "2020-01-01T00:00:00Z"
        sandbox.db.conn.execute(
            "UPDATE records SET data = json_set(data, '$.previous_secret_expires_at', ?) WHERE id = ?",
            (past, endpoint["id"]),
        )
        emit(sandbox)
        [hit] = await receiver.take(1)
        timestamp, signatures = signature(hit)
        assert signatures == [hmac_hex(rotated["secret"], timestamp, hit.body)]


async def test_a_500_is_retried_and_the_log_shows_the_attempts(api, sandbox):
    async def fail_first(n: int) -> int:
        return 500 if n == 1 else 200

    async with serve(Receiver(fail_first)) as receiver, running(sandbox) as dispatcher:
        await subscribe(api, receiver.url)
        emit(sandbox)
        first, second = await receiver.take(2)
        await dispatcher.idle()
    assert first.webhook_id == second.webhook_id
    assert first.body == second.body
    delivery = (await api.get(f"/v1/webhook_deliveries/{first.webhook_id}")).json()
    assert delivery["status"] == "succeeded"
    assert delivery["attempts"] == 2
    assert delivery["last_status_code"] == 200
    assert delivery["last_error"] is None
    assert delivery["latency_ms"] >= 0
    assert delivery["next_attempt_at"] is None


async def test_after_the_schedule_the_delivery_is_failed(api, sandbox):
    async def always_500(_n: int) -> int:
        return 500

    async with serve(Receiver(always_500)) as receiver, running(sandbox) as dispatcher:
        await subscribe(api, receiver.url)
        emit(sandbox)
        hits = await receiver.take(3)  # the first try and the schedule's two retries
        await dispatcher.idle()
    delivery = (await api.get(f"/v1/webhook_deliveries/{hits[0].webhook_id}")).json()
    assert delivery["status"] == "failed"
    assert delivery["attempts"] == 3
    assert delivery["last_status_code"] == 500
    assert delivery["last_error"] == "receiver answered 500"
    assert receiver.hits.empty()


async def test_a_receiver_that_hangs_past_the_timeout_is_retried(api, sandbox):
    receiver = Receiver()

    async def hang_first(n: int) -> int:
        return await receiver.hang() if n == 1 else 200

    receiver.answer = hang_first
    async with serve(receiver), running(sandbox, timeout=0.3) as dispatcher:
        await subscribe(api, receiver.url)
        emit(sandbox)
        first, second = await receiver.take(2)
        await dispatcher.idle()
    assert first.webhook_id == second.webhook_id
    delivery = (await api.get(f"/v1/webhook_deliveries/{first.webhook_id}")).json()
    assert (delivery["status"], delivery["attempts"]) == ("succeeded", 2)


async def test_a_timeout_is_logged_without_a_status(api, sandbox):
    receiver = Receiver()
    receiver.answer = receiver.hang
    async with serve(receiver), running(sandbox, timeout=0.2, schedule=()) as dispatcher:
        await subscribe(api, receiver.url)
        emit(sandbox)
        [hit] = await receiver.take(1)
        await dispatcher.idle()
    delivery = (await api.get(f"/v1/webhook_deliveries/{hit.webhook_id}")).json()
    assert delivery["status"] == "failed"
    assert delivery["last_status_code"] is None
    assert delivery["last_error"] == "no answer within 0.2 s"


async def test_a_dead_endpoint_does_not_delay_a_healthy_one_or_the_api(api, sandbox):
    """Shown by order, not by the clock: everything completes while the dead endpoint's
    attempts are still hanging (its timeout is far beyond the test)."""
    dead = Receiver()
    dead.answer = dead.hang
    async with serve(dead), serve(Receiver()) as healthy, running(sandbox, timeout=600, per_endpoint=4):
        await subscribe(api, dead.url)
        await subscribe(api, healthy.url)
        for _ in range(20):
            assert (await api.post("/v1/patients", json=patient_body())).status_code == 201
        await dead.take(4)
        assert (await api.post("/v1/patients", json=patient_body())).status_code == 201
        await healthy.take(21)
        assert dead.in_flight == dead.most_in_flight == 4  # still hanging; the cap holds the rest back
        assert dead.hits.empty()


async def test_a_refused_connection_is_retried(api, sandbox):
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]  # closed again before the dispatcher connects
    async with running(sandbox, schedule=(0.05,)) as dispatcher:
        await subscribe(api, f"http://127.0.0.1:{port}/hook")
        emit(sandbox)
        await dispatcher.idle()
        [delivery] = (await api.get("/v1/webhook_deliveries", params={"status": "failed"})).json()["data"]
    assert (delivery["attempts"], delivery["last_error"]) == (2, "could not connect")


async def test_a_disabled_endpoint_keeps_its_deliveries_until_enabled_again(api, sandbox):
    async with serve(Receiver()) as receiver:
        endpoint = await subscribe(api, receiver.url)
        path = f"/v1/webhook_endpoints/{endpoint['id']}"
        [event_id] = emit(sandbox)
        await api.patch(path, json={"status": "disabled"})
        async with running(sandbox) as dispatcher:
            await dispatcher.idle()
            assert receiver.hits.empty()
            await api.patch(path, json={"status": "enabled"})
            [hit] = await receiver.take(1)
    assert hit.event_id == event_id


async def test_pending_deliveries_are_sent_after_a_restart(tmp_path):
    path = tmp_path / "sandbox.db"
    first = create_app(path, seed="empty", limits=Limits(rate_limit=None))
    transport = httpx.ASGITransport(app=first)
    holding = Receiver()
    holding.answer = holding.hang
    async with (
        serve(holding),
        httpx.AsyncClient(transport=transport, base_url="http://sandbox", headers=DEMO_HEADERS) as api,
    ):
        await subscribe(api, holding.url)
        async with running(first.state.sandbox, per_endpoint=2):
            ids = emit(first.state.sandbox, 5)
            await holding.take(2)  # two in flight, three waiting, when the process goes away
    first.state.sandbox.db.close()

    second = create_app(path, seed="empty", limits=Limits(rate_limit=None))
    async with serve(Receiver()) as receiver:
        # The receiver moved: point the endpoint at it without touching the queue.
        db = second.state.sandbox.db
        db.conn.execute(
            "UPDATE records SET data = json_set(data, '$.url', ?) WHERE kind = 'webhook_endpoint'", (receiver.url,)
        )
        async with running(second.state.sandbox):
            hits = await receiver.take(5)
    assert sorted(h.event_id for h in hits) == sorted(ids)


SANDBOX_SCRIPT = textwrap.dedent(
    """
    import socket, sys, uvicorn
    from talkya_console.sandbox.app import create_app
    from talkya_console.sandbox.context import Limits
    from talkya_console.sandbox.dispatcher import dispatcher_hook_with
    hook = dispatcher_hook_with(schedule=[0.05] * 20, timeout=5.0)
    app = create_app(sys.argv[1], seed="empty", limits=Limits(rate_limit=None), on_startup=[hook])
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    server.run(sockets=[socket.socket(fileno=int(sys.argv[2]))])
    """
)


def start_sandbox(db: Path, listener: socket.socket) -> subprocess.Popen[bytes]:
    fd = listener.fileno()
    return subprocess.Popen([sys.executable, "-c", SANDBOX_SCRIPT, str(db), str(fd)], pass_fds=[fd])


async def until_healthy(base: str, proc: subprocess.Popen[bytes]) -> None:
    async with httpx.AsyncClient(base_url=base) as client:
        while True:
            assert proc.poll() is None, "the sandbox exited"
            try:
                if (await client.get("/healthz")).status_code == 200:
                    return
            except httpx.TransportError:
                await asyncio.sleep(0.05)  # another process: nothing to await but its port


async def test_sigkill_mid_delivery_loses_no_event(tmp_path):
    """A sandbox killed while its receiver holds requests; restarted, it delivers every event."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)
    base = f"http://127.0.0.1:{listener.getsockname()[1]}"
    receiver = Receiver()
    receiver.answer = receiver.hang
    procs: list[subprocess.Popen[bytes]] = []
    try:
        async with asyncio.timeout(60), serve(receiver):  # a guard against a hang; it takes ~5 s
            procs.append(start_sandbox(tmp_path / "sandbox.db", listener))
            await until_healthy(base, procs[-1])
            async with httpx.AsyncClient(base_url=base, headers=DEMO_HEADERS) as api:
                await subscribe(api, receiver.url)
                patients = [(await api.post("/v1/patients", json=patient_body())).json()["id"] for _ in range(30)]
            await receiver.take(8)  # the per-endpoint cap is in flight, the rest is queued
            procs[-1].send_signal(signal.SIGKILL)
            procs[-1].wait()

            receiver.answer = None  # from now on every request is answered 200 at once
            receiver.release.set()
            procs.append(start_sandbox(tmp_path / "sandbox.db", listener))
            while {json.loads(h.body)["data"]["patient_id"] for h in receiver.answered} != set(patients):
                await receiver.hits.get()
            async with httpx.AsyncClient(base_url=base, headers=DEMO_HEADERS) as api:
                while True:  # the log is written just after the 200 arrives, in the other process
                    page = (await api.get("/v1/webhook_deliveries", params={"status": "pending", "limit": 1})).json()
                    if not page["data"]:
                        break
                    await asyncio.sleep(0.05)
                failed = (await api.get("/v1/webhook_deliveries", params={"status": "failed"})).json()["data"]
                assert failed == []
    finally:
        for proc in procs:
            if proc.poll() is None:
                os.kill(proc.pid, signal.SIGTERM)
                proc.wait(10)
        listener.close()

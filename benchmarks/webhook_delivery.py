"""Webhook delivery figures over loopback:

1. throughput: deliveries/s the dispatcher achieves when `--events` events are emitted at once
   (the dispatcher in this process, the receiver in its own process on the other core);
2. latency: from sending `POST /v1/patients` to a sandbox process (with its dispatcher) to the
   receiver answering 200 for that patient's event, p50/p99, at `--rate` events/s.

Budget on a 2-core machine: >= 500 deliveries/s, p99 <= 50 ms.

    python benchmarks/webhook_delivery.py [--events 5000] [--rate 100] [--seconds 20] [--per-endpoint 8]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import uvicorn

try:
    import uvloop
except ImportError:
    uvloop = None

# The repository, not benchmarks/: its queue.py is not the standard library's.
sys.path[0] = str(Path(__file__).resolve().parents[1])

from benchmarks._harness import DEMO_HEADERS, percentile, pinned, summary_ms
from talkya_console.sandbox import records
from talkya_console.sandbox.app import create_app
from talkya_console.sandbox.context import Limits
from talkya_console.sandbox.dispatcher import Dispatcher

PATIENT = {
    "first_name": "Bench",
    "last_name": "Patient",
    "dob": "1980-03-14",
    "phones": [{"type": "mobile", "number": "+13055550177"}],
    "consent": {"intake": True, "captured_at": "2026-05-18T13:55:00Z"},
}

# A counting receiver: answers 200 to every POST, and its count to GET.
RECEIVER_SCRIPT = textwrap.dedent(
    """
    import socket, sys, uvicorn
    count = 0
    async def app(scope, receive, send):
        global count
        if scope["type"] != "http":
            return
        more = True
        while more:
            more = (await receive()).get("more_body", False)
        if scope["method"] == "POST":
            count += 1
        body = str(count).encode()
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})
    # socket(fileno=) keeps the TCP family, so asyncio sets TCP_NODELAY (uvicorn's fd= does not)
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
    uvicorn.Server(config).run(sockets=[socket.socket(fileno=int(sys.argv[1]))])
    """
)

SANDBOX_SCRIPT = textwrap.dedent(
    """
    import socket, sys, uvicorn
    from talkya_console.sandbox.app import create_app
    from talkya_console.sandbox.context import Limits
    from talkya_console.sandbox.dispatcher import dispatcher_hook
    app = create_app(sys.argv[1], seed="empty", limits=Limits(rate_limit=None), on_startup=[dispatcher_hook])
    config = uvicorn.Config(app, log_level="warning", access_log=False)
    uvicorn.Server(config).run(sockets=[socket.socket(fileno=int(sys.argv[2]))])
    """
)


def listening_socket() -> socket.socket:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(1024)
    return sock


async def wait_healthy(url: str, proc: subprocess.Popen[bytes]) -> None:
    async with httpx.AsyncClient() as client:
        while True:
            if proc.poll() is not None:
                raise RuntimeError("the child process exited")
            try:
                await client.get(url)
                return
            except httpx.TransportError:
                await asyncio.sleep(0.05)  # another process: nothing to await but its port


def child(script: str, cpu: int, *args: str, fds: list[int]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(pinned(cpu, [sys.executable, "-c", script, *args]), pass_fds=fds)


async def client_ceiling(url: str, requests: int, concurrency: int = 8) -> float:
    """POSTs/s from one bare httpx client to the same receiver: what the machine allows at all."""
    body = json.dumps({"id": "evt_x", "type": "patient.created", "data": {"patient_id": "pat_x"}}).encode()
    async with httpx.AsyncClient(trust_env=False) as client:

        async def worker(n: int) -> None:
            for _ in range(n):
                await client.post(url, content=body, headers={"Content-Type": "application/json"})

        await worker(20)
        started = time.perf_counter()
        await asyncio.gather(*[worker(requests // concurrency) for _ in range(concurrency)])
        return requests // concurrency * concurrency / (time.perf_counter() - started)


async def throughput(events: int, tmp: Path, per_endpoint: int) -> float:
    """Deliveries/s for `events` events emitted in one transaction to one endpoint, from the commit."""
    sock = listening_socket()
    url = f"http://127.0.0.1:{sock.getsockname()[1]}/hook"
    proc = child(RECEIVER_SCRIPT, 1, str(sock.fileno()), fds=[sock.fileno()])
    if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > 1:
        os.sched_setaffinity(0, {0})
    try:
        await wait_healthy(url, proc)
        print(f"bare httpx client, 8 concurrent, to this receiver: {await client_ceiling(url, 2000):,.0f} POSTs/s")
        app = create_app(tmp / "throughput.db", seed="empty", limits=Limits(rate_limit=None))
        sandbox = app.state.sandbox
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://sandbox", headers=DEMO_HEADERS) as api:
            created = await api.post("/v1/webhook_endpoints", json={"url": url, "events": ["*"]})
            created.raise_for_status()
        dispatcher = Dispatcher(sandbox, per_endpoint=per_endpoint)
        await dispatcher.start()
        try:
            started = time.perf_counter()
            with sandbox.db.tx():  # the dispatcher hears of them all at the commit
                for i in range(events):
                    records.emit(sandbox, "ws_truebliss", "patient.created", {"patient_id": f"pat_{i}"})
            committed = time.perf_counter()
            cpu = time.process_time()
            await dispatcher.idle()
            elapsed = time.perf_counter() - committed
            cpu = time.process_time() - cpu
        finally:
            await dispatcher.stop()
        async with httpx.AsyncClient() as client:
            received = int((await client.get(url)).text)
        succeeded = sandbox.db.conn.execute(
            "SELECT count(*) FROM records WHERE kind = 'webhook_delivery' AND json_extract(data, '$.status') = 'succeeded'"
        ).fetchone()[0]
        print(
            f"emitted {events:,} events in {committed - started:.2f} s; all delivered {elapsed:.2f} s after the commit"
        )
        print(f"receiver got {received:,} (with the bare client's); delivery log: {succeeded:,} succeeded")
        print(f"dispatcher CPU: {cpu / events * 1000:.2f} ms per delivery")
        return events / elapsed
    finally:
        proc.terminate()
        proc.wait(10)
        sock.close()


class LatencyReceiver:
    """Raw ASGI, in this process: notes when it answers 200 for each patient's event."""

    def __init__(self) -> None:
        self.answered: dict[str, float] = {}

    async def __call__(self, scope: dict[str, Any], receive: Callable[[], Awaitable[Any]], send: Any) -> None:
        if scope["type"] != "http":
            return
        chunks, more = [], True
        while more:
            message = await receive()
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        patient_id = json.loads(b"".join(chunks))["data"]["patient_id"]
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"0")]})
        await send({"type": "http.response.body", "body": b""})
        self.answered.setdefault(patient_id, time.perf_counter())


async def latency(rate: float, seconds: float, tmp: Path) -> list[float]:
    """Seconds from sending each POST to the receiver's 200 for its event."""
    receiver = LatencyReceiver()
    server = uvicorn.Server(uvicorn.Config(receiver, host="127.0.0.1", port=0, log_level="warning", lifespan="off"))
    serving = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    hook_url = f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}/hook"
    sock = listening_socket()
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    proc = child(SANDBOX_SCRIPT, 0, str(tmp / "latency.db"), str(sock.fileno()), fds=[sock.fileno()])
    if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > 1:
        os.sched_setaffinity(0, {1})
    sent: dict[str, float] = {}
    api_times: list[float] = []
    try:
        await wait_healthy(f"{base}/healthz", proc)
        # Idle connections expire before uvicorn's 5 s keep-alive does, so none is reused as it closes.
        limits = httpx.Limits(max_connections=64, keepalive_expiry=2)
        async with httpx.AsyncClient(base_url=base, headers=DEMO_HEADERS, limits=limits) as api:
            (
                await api.post("/v1/webhook_endpoints", json={"url": hook_url, "events": ["patient.created"]})
            ).raise_for_status()

            async def write() -> None:
                start = time.perf_counter()
                response = await api.post("/v1/patients", json=PATIENT)
                api_times.append(time.perf_counter() - start)
                sent[response.json()["id"]] = start

            for _ in range(20):  # warm the connections and the server
                await write()
            sent.clear()
            api_times.clear()
            tasks = []
            begin = time.perf_counter()
            for i in range(int(rate * seconds)):
                await asyncio.sleep(max(0.0, begin + i / rate - time.perf_counter()))
                tasks.append(asyncio.create_task(write()))
            await asyncio.gather(*tasks)
            deadline = time.perf_counter() + 15
            while any(p not in receiver.answered for p in sent) and time.perf_counter() < deadline:
                await asyncio.sleep(0.05)
        missing = [p for p in sent if p not in receiver.answered]
        print(f"sent {len(sent):,} writes at {rate:g}/s; API {summary_ms(api_times)}; not delivered: {len(missing)}")
        return [receiver.answered[p] - t for p, t in sent.items() if p in receiver.answered]
    finally:
        proc.terminate()
        proc.wait(10)
        sock.close()
        server.should_exit = True
        await serving


async def run(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        rate = await throughput(args.events, Path(tmp), args.per_endpoint)
        print(f"throughput: {rate:,.0f} deliveries/s (budget >= 500)\n")
        times = await latency(args.rate, args.seconds, Path(tmp))
        p99 = percentile(times, 99) * 1000
        print(f"write to receiver's 200: {summary_ms(times)} (budget p99 <= 50 ms)")
        verdict = "within" if rate >= 500 and p99 <= 50 else "OVER"
        print(f"{verdict} budget: {rate:,.0f} deliveries/s, p99 {p99:.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--per-endpoint", type=int, default=8, help="deliveries in flight per endpoint")
    # uvicorn runs the sandbox on uvloop when it is installed; measure the dispatcher on the same loop
    runner = uvloop.run if uvloop is not None else asyncio.run
    runner(run(parser.parse_args()))


if __name__ == "__main__":
    main()

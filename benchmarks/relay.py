"""The relay's figures: signed webhooks ingested per second, and webhook POST to subscriber latency.

Budget on a 2-core machine: ingest >= 2,000 events/s; at 200 events/s with 50 subscribers, p99 <= 25 ms.

    python benchmarks/relay.py [--seconds 8] [--connections 32] [--subscribers 50] [--rate 200]

The relay runs in its own process pinned to the first core; wrk (Debian package `wrk`), the paced
poster and the subscribers share the second. Latency is measured twice: with lean subscribers (a
websockets client that stamps each frame on arrival and parses it after the run: this is the relay's
figure) and with RelaySubscriber, the console's own client, whose JSON and pydantic work for 50
consoles then competes with the poster on one core.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import multiprocessing
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

# The repository, not benchmarks/: its queue.py is not the standard library's.
sys.path[0] = str(Path(__file__).resolve().parents[1])

from benchmarks._harness import free_port, percentile, pinned, summary_ms
from talkya_console.relay.subscriber import RelaySubscriber
from talkya_console.relay.tokens import create_token
from talkya_console.wire.signing import sign

WS = "ws_bench"
SECRET = "whsec_bench_" + secrets.token_hex(8)
RELAY = """
import socket, sys, uvicorn
from talkya_console.relay.app import UVICORN_OPTIONS, create_relay_app
from talkya_console.relay.settings import RelaySettings
db, port, secret, sync = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
sock.bind(("127.0.0.1", port))
sock.listen(1024)
print("listening", flush=True)
app = create_relay_app(db, {"ws_bench": [secret]}, settings=RelaySettings(synchronous=sync))
uvicorn.Server(uvicorn.Config(app, log_level="error", **UVICORN_OPTIONS)).run(sockets=[sock])
"""
WRK_SCRIPT = """
local items = {}
local i = 0
init = function(args)
  for line in io.lines(args[1]) do
    local wh, sig, body = line:match("([^\\t]*)\\t([^\\t]*)\\t(.*)")
    items[#items + 1] = wrk.format("POST", "/webhooks/ws_bench",
      {["Content-Type"] = "application/json", ["Talkya-Signature"] = sig, ["Talkya-Webhook-Id"] = wh}, body)
  end
end
request = function()
  i = i % #items + 1
  return items[i]
end
"""


def event_body(n: int) -> bytes:
    event = {
        "id": f"evt_{secrets.token_hex(10)}",
        "type": "receptionist.call.transcript.updated",
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "workspace_id": WS,
        "data": {
            "call_id": f"call_{n:08d}",
            "segments": [{"speaker": "caller", "text": "I'd like to book a consult."}],
        },
    }
    return json.dumps(event, separators=(",", ":")).encode()


@contextmanager
def relay_process(db: Path, synchronous: str = "FULL") -> Iterator[int]:
    port = free_port()
    argv = [sys.executable, "-c", RELAY, str(db), str(port), SECRET, synchronous]
    proc = subprocess.Popen(pinned(0, argv), stdout=subprocess.PIPE, cwd=Path(__file__).resolve().parents[1])
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == b"listening"
        yield port
    finally:
        proc.terminate()
        proc.wait(10)


def stored(port: int) -> int:
    """Events the relay has stored, from its own counter."""
    import httpx

    text = httpx.get(f"http://127.0.0.1:{port}/metrics").text
    match = re.search(r'talkya_relay_events_in_total\{workspace="ws_bench"\} (\d+)', text)
    return int(match.group(1)) if match else 0


def ingest(tmp: Path, synchronous: str, seconds: int, connections: int) -> tuple[float, float]:
    """wrk replays distinct pre-signed deliveries; returns (requests/s, events stored/s)."""
    data = tmp / f"deliveries-{synchronous}.tsv"
    with data.open("w") as out:
        for n in range(60_000):
            body = event_body(n)
            out.write(f"wh_{n:08d}\t{sign([SECRET], body)}\t{body.decode()}\n")
    script = tmp / "ingest.lua"
    script.write_text(WRK_SCRIPT)
    with relay_process(tmp / f"ingest-{synchronous}.db", synchronous) as port:
        before = stored(port)
        argv = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "-s", str(script), f"http://127.0.0.1:{port}/"]
        out = subprocess.run(pinned(1, [*argv, "--", str(data)]), capture_output=True, text=True, check=True).stdout
        rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
        duration = float(re.search(r"requests in ([\d.]+)s", out).group(1))  # type: ignore[union-attr]
        refused = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
        if refused:
            print(f"  warning: {refused.group(1)} non-2xx answers")
        return rps, (stored(port) - before) / duration


def _subscribe(
    url: str,
    token: str,
    count: int,
    expected: int,
    lean: bool,
    deadline: float,
    ready: multiprocessing.Queue,
    results: multiprocessing.Queue,
) -> None:
    """A worker process holding `count` subscribers; reports (event id, receive time) per subscriber.

    `lean` subscribers stamp the raw frame on arrival and parse it afterwards, so what is measured is
    the relay and the network path, not 25 consoles' worth of JSON and pydantic on the core they share."""

    async def one(received: list[tuple[str, float]], connected: asyncio.Event) -> None:
        subscriber = RelaySubscriber(url, token, on_state_change=lambda s: s.status == "connected" and connected.set())
        async for item in subscriber:
            received.append((getattr(item, "id", ""), time.perf_counter()))
            if len(received) >= expected:
                break
        await subscriber.aclose()

    async def one_lean(received: list[tuple[str, float]], connected: asyncio.Event) -> None:
        from websockets.asyncio.client import connect

        raw: list[tuple[str, float]] = []
        try:
            async with connect(url, additional_headers={"Authorization": f"Bearer {token}"}, compression=None) as ws:
                await ws.recv()  # hello
                connected.set()
                while len(raw) < expected:
                    frame = await ws.recv()
                    if '"event":' in frame:  # not a ping
                        raw.append((frame, time.perf_counter()))  # type: ignore[arg-type]
        finally:
            for frame, at in raw:
                event = json.loads(frame).get("event")
                if event:
                    received.append((event["id"], at))

    async def main() -> None:
        lists: list[list[tuple[str, float]]] = [[] for _ in range(count)]
        flags = [asyncio.Event() for _ in range(count)]
        run = one_lean if lean else one
        tasks = [asyncio.create_task(run(lst, flag)) for lst, flag in zip(lists, flags, strict=True)]
        await asyncio.gather(*(flag.wait() for flag in flags))
        ready.put(count)
        # Report what arrived even if a subscriber hangs, rather than hang the benchmark with it.
        _, pending = await asyncio.wait(tasks, timeout=deadline)
        for task in pending:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        results.put(lists)

    # The received lists grow to tens of thousands of items; a full collection while a frame waits would be
    # charged to the relay. The measuring side holds no cycles worth collecting.
    gc.disable()
    asyncio.run(main())


async def paced_post(port: int, rate: int, total: int) -> dict[str, float]:
    """POST `total` signed deliveries at `rate`/s over a few kept-alive connections; event id -> send time."""
    sent: dict[str, float] = {}
    conns = [await asyncio.open_connection("127.0.0.1", port) for _ in range(8)]
    locks = [asyncio.Lock() for _ in conns]

    async def post(n: int) -> None:
        body = event_body(n)
        head = (
            f"POST /webhooks/{WS} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nTalkya-Signature: {sign([SECRET], body)}\r\nTalkya-Webhook-Id: wh_{n:08d}\r\n\r\n"
        ).encode()
        async with locks[n % len(conns)]:
            reader, writer = conns[n % len(conns)]
            sent[json.loads(body)["id"]] = time.perf_counter()
            writer.write(head + body)
            response = await reader.readuntil(b"\r\n\r\n")
            length = int(response.lower().split(b"content-length:")[1].split(b"\r\n")[0])
            await reader.readexactly(length)

    start = time.perf_counter()
    tasks = []
    for n in range(total):
        delay = start + n / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)  # pacing: the schedule is the point
        tasks.append(asyncio.create_task(post(n)))
    await asyncio.gather(*tasks)
    for _, writer in conns:
        writer.close()
    return sent


def latency(tmp: Path, synchronous: str, subscribers: int, rate: int, seconds: int, lean: bool) -> list[float]:
    db = tmp / f"latency-{synchronous}.db"
    token = create_token(db, WS)
    total = rate * seconds
    with relay_process(db, synchronous) as port:
        url = f"ws://127.0.0.1:{port}/v1/stream"
        ctx = multiprocessing.get_context("spawn")
        ready, results = ctx.Queue(), ctx.Queue()
        per = [subscribers // 2, subscribers - subscribers // 2]
        workers = [
            ctx.Process(target=_subscribe, args=(url, token, n, total, lean, seconds + 60, ready, results)) for n in per
        ]
        for worker in workers:
            worker.start()  # inherits the second-core affinity set in main()
        for _ in workers:
            ready.get(timeout=120)
        sent = asyncio.run(paced_post(port, rate, total))
        samples: list[float] = []
        short = 0
        for _ in workers:
            for received in results.get(timeout=seconds + 120):
                samples += [t - sent[event_id] for event_id, t in received if event_id in sent]
                short += len(received) < total
        if short:
            print(f"  warning: {short} subscribers did not receive every event within the deadline")
        for worker in workers:
            worker.join(10)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--subscribers", type=int, default=50)
    parser.add_argument("--rate", type=int, default=200)
    parser.add_argument(
        "--client",
        choices=["lean", "subscriber", "both"],
        default="both",
        help="lean: raw websockets clients that parse after the run; subscriber: RelaySubscriber, the console's own",
    )
    parser.add_argument("--skip-ingest", action="store_true")
    parser.add_argument("--synchronous", choices=["full", "normal", "both"], default="both")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed: apt-get install wrk")
    if (os.cpu_count() or 1) > 1:
        os.sched_setaffinity(0, {1})
    modes = ("FULL", "NORMAL") if args.synchronous == "both" else (args.synchronous.upper(),)
    with tempfile.TemporaryDirectory() as tmp:
        if not args.skip_ingest:
            print(f"{'ingest (wrk, ' + str(args.connections) + ' connections)':44} {'req/s':>9} {'stored/s':>9}")
            for synchronous in modes:
                rps, per_s = ingest(Path(tmp), synchronous, args.seconds, args.connections)
                print(f"  synchronous={synchronous:34} {rps:9.0f} {per_s:9.0f}")
        clients = ["lean", "subscriber"] if args.client == "both" else [args.client]
        for client in clients:
            print(f"POST -> subscriber at {args.rate}/s, {args.subscribers} subscribers ({client} clients)")
            for synchronous in modes:
                samples = latency(Path(tmp), synchronous, args.subscribers, args.rate, args.seconds, client == "lean")
                print(
                    f"  synchronous={synchronous:6} {summary_ms(samples)}, "
                    f"p99.9 {percentile(samples, 99.9) * 1000:.2f} ms"
                )


if __name__ == "__main__":
    main()

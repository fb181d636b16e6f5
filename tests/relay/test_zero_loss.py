"""Zero loss, zero duplicates: 5,000 deliveries while the relay is SIGKILLed and restarted twice."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
from pathlib import Path
from typing import Any

from talkya_console.relay.subscriber import RelaySubscriber
from talkya_console.relay.tokens import create_token
from talkya_console.wire.events import Event

from .conftest import SECRET_A1, listening_socket, make_event, signed

TOTAL = 5_000
KILL_AT = (1_500, 3_300)
CHILD = """
import socket, sys, uvicorn
from talkya_console.relay.app import UVICORN_OPTIONS, create_relay_app
from talkya_console.relay.settings import RelaySettings
db, port, secret = sys.argv[1], int(sys.argv[2]), sys.argv[3]
sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
sock.bind(("127.0.0.1", port))
sock.listen(512)
print("listening", flush=True)  # the backlog holds connections until uvicorn accepts them
app = create_relay_app(db, {"ws_alpha": [secret]}, settings=RelaySettings(ping_interval=1.0))
uvicorn.Server(uvicorn.Config(app, log_level="error", **UVICORN_OPTIONS)).run(sockets=[sock])
"""


class Relay:
    """The relay as a separate process, so SIGKILL is a real crash."""

    def __init__(self, db: Path, port: int) -> None:
        self.db, self.port = db, port
        self.proc: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            CHILD,
            str(self.db),
            str(self.port),
            SECRET_A1,
            stdout=asyncio.subprocess.PIPE,
            cwd=Path(__file__).resolve().parents[2],
        )
        assert self.proc.stdout is not None
        assert (await self.proc.stdout.readline()).strip() == b"listening"

    async def kill(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGKILL)
        await self.proc.wait()


async def _deliver(port: int, body: bytes, webhook_id: str, conn: list[Any]) -> bool:
    """One attempt over a kept-alive connection; False on a non-2xx or a broken link."""
    headers = signed(body, [SECRET_A1], webhook_id=webhook_id)
    request = (
        f"POST /webhooks/ws_alpha HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {len(body)}\r\n"
        + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        + "\r\n"
    ).encode() + body
    try:
        if not conn:
            conn.extend(await asyncio.open_connection("127.0.0.1", port))
        reader, writer = conn
        writer.write(request)
        async with asyncio.timeout(5):
            head = await reader.readuntil(b"\r\n\r\n")
            length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
            await reader.readexactly(length)
        return head.startswith(b"HTTP/1.1 2")
    except (OSError, TimeoutError, asyncio.IncompleteReadError, IndexError, ValueError):
        if conn:
            conn[1].close()
        conn.clear()
        return False


async def post_all(
    port: int, events: list[dict[str, Any]], acked: list[int], milestones: dict[int, asyncio.Event]
) -> None:
    """Talkya's dispatcher, compressed: 16 deliveries in flight, each retried until a 2xx.

    A minimal HTTP/1.1 client rather than httpx: on a loaded two-core box httpx managed ~150 requests/s,
    which would make this test take a minute; the retry behaviour is the same.
    """
    queue: asyncio.Queue[tuple[dict[str, Any], str]] = asyncio.Queue()
    for i, event in enumerate(events):
        queue.put_nowait((event, f"wh_{i:05d}"))

    async def worker() -> None:
        conn: list[Any] = []
        while not queue.empty():
            event, webhook_id = queue.get_nowait()
            body = json.dumps(event).encode()
            while not await _deliver(port, body, webhook_id, conn):
                await asyncio.sleep(0.05)  # a retry schedule, not a wait for a condition
            acked[0] += 1
            if acked[0] in milestones:
                milestones[acked[0]].set()
        if conn:
            conn[1].close()

    await asyncio.gather(*(worker() for _ in range(16)))


async def collect(subscriber: RelaySubscriber, into: list[tuple[int, str]], stop_after: int | None = None) -> None:
    async for item in subscriber:
        assert isinstance(item, Event)
        into.append((subscriber.last_seq or 0, item.id))
        if len(into) == stop_after:
            return


async def test_no_event_lost_or_repeated_across_two_sigkills(tmp_path: Path) -> None:
    db = tmp_path / "relay.db"
    token = create_token(db, "ws_alpha")
    sock = listening_socket()
    port = sock.getsockname()[1]
    sock.close()
    relay = Relay(db, port)
    await relay.start()
    url = f"ws://127.0.0.1:{port}/v1/stream"
    subs: list[RelaySubscriber] = []

    def subscriber(since: int | None = 0, epoch: str | None = None) -> RelaySubscriber:
        subs.append(RelaySubscriber(url, token, since=since, epoch=epoch, backoff_base=0.05, backoff_cap=0.5))
        return subs[-1]

    async def console_that_restarts(into: list[tuple[int, str]]) -> None:
        """Quits after 1,000 events, as a console closed mid-stream, and comes back from its saved position."""
        first = subscriber()
        await collect(first, into, stop_after=1_000)
        await first.aclose()
        await collect(subscriber(first.last_seq, first.epoch), into, stop_after=TOTAL)

    events = [make_event() for _ in range(TOTAL)]
    seen: list[list[tuple[int, str]]] = [[], [], []]
    consumers = [
        asyncio.create_task(collect(subscriber(), seen[0], stop_after=TOTAL)),
        asyncio.create_task(collect(subscriber(), seen[1], stop_after=TOTAL)),
        asyncio.create_task(console_that_restarts(seen[2])),
    ]
    milestones = {n: asyncio.Event() for n in KILL_AT}
    acked = [0]
    poster = asyncio.create_task(post_all(port, events, acked, milestones))
    try:
        async with asyncio.timeout(50):
            for n in KILL_AT:
                await milestones[n].wait()
                await relay.kill()
                await relay.start()
            await poster
            await asyncio.gather(*consumers)
    finally:
        for task in [*consumers, poster]:
            task.cancel()
        for sub in subs:
            await sub.aclose()
        with contextlib.suppress(ProcessLookupError):
            await relay.kill()
    expected_ids = {e["id"] for e in events}
    for got in seen:
        assert [seq for seq, _ in got] == list(range(1, TOTAL + 1))  # seq order, no gap, no repeat
        assert {event_id for _, event_id in got} == expected_ids

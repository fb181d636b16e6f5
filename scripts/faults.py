"""Faults, full size: the sandbox (simulator at ten times its pace) and the relay as separate
processes, each SIGKILLed and restarted several times, and the console's API link cut and restored,
while a headless console follows the relay and new patients are written through it (some while
Talkya cannot be reached). Then everything is restored, the simulator stopped, and it prints what it
saw: events, faults survived, writes made and landed, and anything lost or doubled.

    .venv/bin/python scripts/faults.py --seconds 60
    .venv/bin/python scripts/faults.py --seconds 300 --rate 10 --json

Exit status 0 when nothing was lost or doubled, 1 otherwise."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path[0] = str(ROOT)  # the repository, so `benchmarks` and the package import

from talkya_console.api import TalkyaClient
from talkya_console.outbox import Outbox, Write
from talkya_console.relay.log import EventLog
from talkya_console.relay.tokens import issue_token
from talkya_console.runtime import DEMO_API_KEY, DEMO_WORKSPACE

WS = DEMO_WORKSPACE
CONSENT = {"intake": True, "captured_at": "2026-05-18T13:55:00Z", "method": "electronic"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class SwitchLink(httpx.AsyncBaseTransport):
    """The console's HTTP link, behind a switch; counts the writes that reached the sandbox."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.down = False
        self.writes: Counter[str] = Counter()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.down:
            raise httpx.ConnectError("link down", request=request)
        response = await self.inner.handle_async_request(request)
        if request.method != "GET":
            self.writes[f"{request.method} {request.url.path}"] += 1
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


class Child:
    """A process (sandbox or relay) that can be SIGKILLed and started again with the same arguments."""

    def __init__(self, name: str, argv: list[str], port: int, log: Path) -> None:
        self.name, self.argv, self.port, self.log = name, argv, port, log
        self.proc: subprocess.Popen[bytes] | None = None
        self.kills = 0

    def start(self, extra: list[str] | None = None) -> None:
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                [*self.argv, *(extra or [])], stdin=subprocess.DEVNULL, stdout=log, stderr=log, cwd=ROOT
            )

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
            self.kills += 1
        self.proc = None

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    async def ready(self, path: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient(timeout=2) as http:
            while True:
                try:
                    response = await http.get(f"http://127.0.0.1:{self.port}{path}")
                    if response.status_code < 500:
                        return
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{self.name} did not come up (see {self.log})")
                await asyncio.sleep(0.1)


async def run(args: argparse.Namespace) -> dict[str, Any]:
    from textual.message import Message

    from talkya_console.relay.subscriber import RelaySubscriber
    from talkya_console.tui.app import TalkyaConsole
    from talkya_console.tui.messages import LiveEvent, LiveStatus
    from talkya_console.tui.widgets.calls import PAGE, CallsPane
    from talkya_console.tui.widgets.tasks import TasksPane

    rng = random.Random(args.seed)
    data = Path(args.data_dir or tempfile.mkdtemp(prefix="talkya-faults-"))
    data.mkdir(parents=True, exist_ok=True)
    api_port, relay_port = free_port(), free_port()
    api_base = f"http://127.0.0.1:{api_port}"
    python = [sys.executable, "-m", "talkya_console"]
    sandbox_options = ["--patients", "200", "--rate-limit", "0", "--log-level", "warning"]
    sandbox = Child(
        "sandbox",
        [*python, "sandbox", "--port", str(api_port), "--db", str(data / "sandbox.db"), *sandbox_options],
        api_port,
        data / "sandbox.log",
    )
    simulate = ["--simulate", "--rate", str(args.rate)]
    sandbox.start(simulate)
    await sandbox.ready("/v1/patients")
    began = time.time()
    api = TalkyaClient(api_base, WS, api_key=DEMO_API_KEY, timeout=10)
    relay_url = f"http://127.0.0.1:{relay_port}/webhooks/{WS}"
    endpoint = await api.webhook_endpoints.create({"url": relay_url, "events": ["*"], "description": "faults relay"})
    assert endpoint.secret is not None
    log = EventLog(data / "relay.db")
    token = issue_token(log, WS)
    log.close()
    relay_options = ["--secret", f"{WS}={endpoint.secret}", "--ping-interval", "2", "--log-level", "warning"]
    relay = Child(
        "relay",
        [*python, "relay", "--port", str(relay_port), "--db", str(data / "relay.db"), *relay_options],
        relay_port,
        data / "relay.log",
    )
    relay.start()
    await relay.ready("/healthz")

    link = SwitchLink()
    statuses: list[str] = []
    seen: Counter[str] = Counter()
    app: TalkyaConsole

    def report(state: Any) -> None:
        app.post_message(LiveStatus(state.status, state.retry_in, state.offline_since))

    def subscribe(since: int | None, epoch: str | None) -> Any:
        url = f"ws://127.0.0.1:{relay_port}/v1/stream"
        return RelaySubscriber(url, token, on_state_change=report, backoff_base=0.1, backoff_cap=2).__aiter__()

    def hook(message: Message) -> None:
        if isinstance(message, LiveStatus) and (not statuses or statuses[-1] != message.status):
            statuses.append(message.status)
        elif isinstance(message, LiveEvent):
            seen[message.event.id] += 1

    app = TalkyaConsole(
        client_factory=lambda: TalkyaClient(api_base, WS, api_key=DEMO_API_KEY, transport=link, max_retries=0),
        subscribe=subscribe,
        workspace=WS,
        idle_lock_minutes=0,
        outbox=Outbox(data / "outbox.sqlite3", WS),
    )
    faults: Counter[str] = Counter()
    written: list[str] = []  # last names of the patients written through the console
    queued = 0
    report_: dict[str, Any] = {"data_dir": str(data)}

    async def write_patient() -> None:
        nonlocal queued
        last = f"Fault{len(written):04d}x{rng.randrange(10**6):06d}"
        body = {"first_name": "Iva", "last_name": last, "sex": "female", "consent": CONSENT}
        written.append(last)
        result = await app.submit(Write("patients.create", (body,), label="New patient"))
        queued += type(result).__name__ == "Queued"

    try:
        async with app.run_test(size=(160, 48), message_hook=hook) as pilot:
            await asyncio.wait_for(app.booted.wait(), 60)
            deadline = time.monotonic() + args.seconds
            while time.monotonic() < deadline:
                await pilot.pause(rng.uniform(1.0, 3.0))
                fault = rng.choice(["relay", "sandbox", "link", "write"])
                if fault == "relay":
                    relay.kill()
                    await pilot.pause(rng.uniform(0.5, 3.0))
                    if rng.random() < 0.5:
                        await write_patient()
                    relay.start()
                    await relay.ready("/healthz")
                elif fault == "sandbox":
                    sandbox.kill()
                    await write_patient()  # Talkya is down: it waits in the outbox
                    await pilot.pause(rng.uniform(0.5, 2.0))
                    sandbox.start(simulate)
                    await sandbox.ready("/v1/patients")
                elif fault == "link":
                    link.down = True
                    await write_patient()
                    await pilot.pause(rng.uniform(1.0, 4.0))
                    link.down = False
                else:
                    await write_patient()
                    continue
                faults[fault] += 1
            # Everything back; the simulator stops (the sandbox restarts without it) so the lists can settle.
            link.down = False
            sandbox.stop()
            sandbox.start(["--no-simulate"])
            await sandbox.ready("/v1/patients")
            settle_until = time.monotonic() + args.settle
            assert app.outbox is not None
            while app.outbox.count() and time.monotonic() < settle_until:
                await pilot.pause(0.5)
            quiet_since, last = time.monotonic(), sum(seen.values())
            while time.monotonic() < settle_until and time.monotonic() - quiet_since < 8:
                await pilot.pause(0.5)
                if sum(seen.values()) != last:
                    quiet_since, last = time.monotonic(), sum(seen.values())
            # What the API holds against what the console saw and shows.
            emitted = {e.id async for e in api.events.list(limit=100) if e.created_at.timestamp() >= began}
            calls_pane = app.query_one(CallsPane)
            newest = (await api.calls.list().page(limit=PAGE)).data
            shown = {cid: call.status for cid, call in calls_pane.calls.items()}
            table_keys = [row.value for row in calls_pane.query_one("#calls-table").rows]  # type: ignore[attr-defined]
            tasks_pane = app.query_one(TasksPane)
            queue_ids = [item.id for item in tasks_pane.shown]
            landed = Counter()
            for name in written:
                found = (await api.patients.search(query=name).page(limit=10)).data
                landed[name] = sum(1 for p in found if p.last_name == name)
            report_.update(
                seconds=args.seconds,
                rate=args.rate,
                faults_survived=dict(faults),
                sigkills={"relay": relay.kills, "sandbox": sandbox.kills},
                live_status_changes=len(statuses),
                events_emitted=len(emitted),
                events_seen=len(seen),
                events_lost=sorted(emitted - set(seen))[:20],
                events_lost_count=len(emitted - set(seen)),
                events_doubled=sorted(e for e, n in seen.items() if n > 1)[:20],
                writes_made=len(written),
                writes_queued=queued,
                writes_landed=sum(1 for n in landed.values() if n == 1),
                writes_lost=[n for n in written if landed[n] == 0],
                writes_doubled=[n for n in written if landed[n] > 1],
                writes_pending=app.outbox.count(),
                patient_posts_reaching_api=link.writes["POST /v1/patients"],
                calls_missing=[c.id for c in newest if c.id not in shown],
                calls_stale=[c.id for c in newest if c.id in shown and shown[c.id] != c.status],
                calls_doubled=len(table_keys) - len(set(table_keys)),
                tasks_doubled=len(queue_ids) - len(set(queue_ids)),
                console_exception=repr(app._exception) if app._exception else None,
            )
    finally:
        await api.aclose()
        await link.aclose()
        relay.stop()
        sandbox.stop()
    return report_


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=120, help="how long to inject faults (default 120)")
    parser.add_argument("--rate", type=float, default=10, help="simulator pace (default 10: ten times normal)")
    parser.add_argument("--settle", type=float, default=60, help="seconds allowed to settle afterwards")
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--data-dir", help="where the sandbox, relay and outbox keep their files (default: a temp dir)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args()
    report = asyncio.run(run(args))
    bad = any(
        report.get(key)
        for key in (
            "events_lost_count",
            "events_doubled",
            "writes_lost",
            "writes_doubled",
            "writes_pending",
            "calls_missing",
            "calls_stale",
            "calls_doubled",
            "tasks_doubled",
            "console_exception",
        )
    )
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        for key, value in report.items():
            print(f"{key:28} {value}")
        print("RESULT", "FAIL: something was lost or doubled" if bad else "OK: nothing lost, nothing doubled")
    with contextlib.suppress(Exception):
        sys.stdout.flush()
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

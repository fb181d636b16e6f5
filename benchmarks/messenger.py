"""Issue 10's messenger figures: opening a 10,000-message channel, the console's memory with it open,
and a live `message.created` to painted.

    .venv/bin/python -m benchmarks.messenger [--messages 10000] [--events 200] [--opens 20]

The demo sandbox runs in its own process, its file seeded beforehand (straight into its storage)
with `#bench`, 10,000 messages over 60 days, and `#empty`. The console runs headless
(`App.run_test`, 160x44) in this process, talking HTTP over loopback. Every time is taken up to the
first screen update composed once the change holds, rendered to terminal output.
- open to painted: from asking the messenger to open `#bench` (from `#empty`) to the painted
  newest page, the API's answer included. p50/max (budget <= 150 ms).
- memory: VmRSS with `#empty` open, then with `#bench` open, then after scrolling up 10 pages
  (budget: `#bench` open < 50 MB more than `#empty`).
- event to painted: a message is sent through the API (not timed), then its `message.created` is
  posted to the app as the relay follower posts it; from the post to the update that shows it.
  p50/p99/max.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[0] = str(ROOT)  # the repository, not benchmarks/ (its queue.py is not the standard library's)

from benchmarks._harness import percentile, pinned, sandbox_process
from benchmarks._painted import PaintClock  # before Textual: it sets the console's frame pacing

WORKSPACE = "ws_truebliss"
KEY = "tk_test_truebliss"
WORDS = (
    "the laser room is stocked for tomorrow can someone confirm the 4:30 consult botox filler glp1 "
    "refill billing question patient called back insurance card missing please check the schedule"
).split()


def ms_summary(values: list[float]) -> str:
    ms = [v * 1000 for v in values]
    return f"p50 {statistics.median(ms):.1f} ms, p99 {percentile(ms, 99):.1f} ms, max {max(ms):.1f} ms, n={len(ms)}"


def rss_mb() -> float:
    """This process's resident set, in MiB (Linux)."""
    gc.collect()
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def prepare(db: Path, count: int) -> None:
    """Seed `#bench` with `count` messages and an `#empty` channel, straight into the sandbox's file."""
    from talkya_console.sandbox.app import create_app
    from talkya_console.wire import Author, Channel, Message

    store = create_app(str(db), seed="demo", patients=60).state.sandbox.db
    rng = random.Random(10)
    now = datetime.now(UTC)
    since = now - timedelta(days=61)
    for channel_id, name in (("ch_bench", "bench"), ("ch_empty", "empty")):
        channel = Channel(id=channel_id, name=name, purpose="front_desk", created_at=since, updated_at=since)
        store.insert("channel", WORKSPACE, channel, ts=int(since.timestamp() * 1e6))
    authors = [
        Author(type="user", id=f"usr_10{n}", name=name) for n, name in ((4, "Dana Whitfield"), (6, "Tessa Moreau"))
    ]
    rows = []
    for n in range(count):
        at = since + timedelta(seconds=(60 * 86400) * n / count)
        text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(4, 40))).capitalize() + "."
        message = Message(
            id=f"msg_bench{n:06d}", channel_id="ch_bench", author=rng.choice(authors), text=text, created_at=at
        )
        rows.append((message.id, "message", WORKSPACE, int(at.timestamp() * 1e6), message.model_dump_json()))
    with store.tx():
        store.conn.executemany("INSERT INTO records (id, kind, workspace_id, ts, data) VALUES (?, ?, ?, ?, ?)", rows)


async def measure(base: str, events_count: int, opens: int) -> dict[str, Any]:
    from talkya_console.api import TalkyaClient
    from talkya_console.tui.app import TalkyaConsole
    from talkya_console.tui.messages import LiveEvent
    from talkya_console.tui.widgets.messenger import MessengerPane
    from talkya_console.wire import Event

    app = TalkyaConsole(
        client_factory=lambda: TalkyaClient(base, WORKSPACE, api_key=KEY),
        subscribe=None,
        workspace=WORKSPACE,
        idle_lock_minutes=0,
    )
    painted = PaintClock(app)
    figures: dict[str, Any] = {}
    async with app.run_test(size=(160, 44)) as pilot:
        await asyncio.wait_for(app.booted.wait(), 60)
        await app.workers.wait_for_complete()
        pane = app.query_one(MessengerPane)
        view = pane.view

        async def open_channel(channel_id: str) -> float:
            started = time.perf_counter()
            app.open_channel(channel_id)
            done = await painted.once(lambda: pane.shown == channel_id)
            await app.workers.wait_for_complete()
            await pilot.pause()
            return done - started

        await open_channel("ch_empty")
        timings = []
        for _ in range(opens):
            await open_channel("ch_empty")
            timings.append(await open_channel("ch_bench"))
        figures["open"] = timings
        await open_channel("ch_empty")
        figures["rss_empty"] = rss_mb()
        await open_channel("ch_bench")
        figures["rss_bench"] = rss_mb()
        figures["loaded"] = len(view.messages)
        for _ in range(10):
            before = len(view.messages)
            view.want_older()
            await app.workers.wait_for_complete()
            await pilot.pause()
            if len(view.messages) == before:
                break
        figures["rss_scrolled"] = rss_mb()
        figures["scrolled"] = len(view.messages)

        await open_channel("ch_bench")
        assert app.client is not None
        latencies = []
        for n in range(events_count):
            message = await app.client.messages.create({"channel_id": "ch_bench", "text": f"live message {n}"})
            event = Event(
                id=f"evt_bench{n:06d}",
                type="message.created",
                created_at=message.created_at,
                workspace_id=WORKSPACE,
                data={"message_id": message.id, "channel_id": "ch_bench", "kind": "text", "mentions": []},
            )
            started = time.perf_counter()
            app.post_message(LiveEvent(event))
            done = await painted.once(lambda id=message.id: id in view.ids)
            latencies.append(done - started)
            await app.workers.wait_for_complete()
            await pilot.pause()
        figures["event"] = latencies
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--opens", type=int, default=20)
    parser.add_argument("--prepare", type=Path, help=argparse.SUPPRESS)  # the child's part
    args = parser.parse_args()
    if args.prepare:
        prepare(args.prepare, args.messages)
        return
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "sandbox.db"
        subprocess.run(
            [sys.executable, "-m", "benchmarks.messenger", "--prepare", str(db), "--messages", str(args.messages)],
            cwd=ROOT,
            check=True,
        )
        with sandbox_process(db, extra=["--no-simulate"], cpu=1) as base:
            if pinned(0, ["x"])[0] == "taskset":
                import os

                os.sched_setaffinity(0, {0})
            figures = asyncio.run(measure(base, args.events, args.opens))
    print(f"open a {args.messages:,}-message channel to painted: {ms_summary(figures['open'])} (budget <= 150 ms)")
    more = figures["rss_bench"] - figures["rss_empty"]
    print(
        f"VmRSS: {figures['rss_empty']:.1f} MB with #empty open, {figures['rss_bench']:.1f} MB with #bench open "
        f"({figures['loaded']} messages loaded): {more:+.1f} MB (budget < 50 MB more); "
        f"{figures['rss_scrolled']:.1f} MB after scrolling up to {figures['scrolled']} messages"
    )
    print(f"message.created to painted: {ms_summary(figures['event'])}")
    print(json.dumps({k: v for k, v in figures.items() if not isinstance(v, list)}))


if __name__ == "__main__":
    main()

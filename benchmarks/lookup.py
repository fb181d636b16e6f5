"""Issue 8's figures: patient lookup on a 100,000-patient workspace, a chart with 200 encounters,
and the console's memory with both open.

    .venv/bin/python benchmarks/lookup.py [--patients 100000] [--db PATH]

The sandbox runs in its own process on one core (seeded once; `--db` keeps the file for the next
run), the console headless (`App.run_test`) in this process on the other, talking HTTP over
loopback as it would to a real Talkya. Measured:
- keystroke to results painted: each key of a set of searches people type (names, a DOB as
  typed, an MRN, a phone), typed one at a time as a person reading the list would: from the key
  event reaching the app (sent through the driver, as a terminal's would be) until the first
  screen update composed after the lookup holds that query's results, rendered to terminal
  output as a real terminal would get it. p50/p95/max (budget p95 <= 50 ms). (Pilot.press is
  not used for timing: it waits for the whole process to go idle, which adds its own polling.)
- a chart with 200 encounters: from `open_chart` to the first frame showing the chart with the
  patient read into its first section (budget <= 150 ms), median of 5 opens. The opening's audit
  entry is written after that, in the background: it changes nothing on screen. The encounters
  are fetched a page at a time when their section is shown, so the count does not slow the open.
- the console's resident memory (VmRSS) with the lookup and that chart open.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[0] = str(ROOT)  # the repository, not benchmarks/ (its queue.py is not the standard library's)

from benchmarks._harness import percentile, pinned, sandbox_process
from benchmarks._painted import PaintClock  # before Textual: it sets the console's frame pacing

WORKSPACE = "ws_truebliss"
KEY = "tk_test_truebliss"
QUERIES = ["maria lopez", "lopez m", "03/14/1980", "TB100042", "(305) 555", "emma", "rivera", "3/14/80"]


def rss_mb() -> float:
    """This process's resident set, from /proc (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def patient_with_encounters(base: str, count: int) -> str:
    """A patient with `count` encounters, made through the API."""
    from talkya_console.api import TalkyaClient

    async with TalkyaClient(base, WORKSPACE, api_key=KEY) as client:
        page = await client.patients.search(query="bench encounters").page(limit=1)
        if page.data:
            patient_id = page.data[0].id
            have = await client.encounters.list(patient_id=patient_id).page(limit=100)
            if len(have.data) >= 100:
                return patient_id
        body = {
            "first_name": "Bench",
            "last_name": "Encounters",
            "dob": "1980-03-14",
            "consent": {"intake": True, "captured_at": "2026-01-05T15:00:00Z", "method": "written"},
        }
        patient = await client.patients.create(body)
        providers = await client.users.list(role="provider").page(limit=10)
        locations = await client.locations.list().page(limit=10)
        for index in range(count):
            await client.encounters.create(
                {
                    "patient_id": patient.id,
                    "provider_id": providers.data[index % len(providers.data)].id,
                    "location_id": locations.data[index % len(locations.data)].id,
                    "type": "follow_up",
                    "reason": f"Follow-up visit {index + 1}",
                }
            )
        return patient.id


async def measure(base: str, chart_patient: str) -> tuple[list[float], list[float], float]:
    from textual import events

    from talkya_console.api import TalkyaClient
    from talkya_console.tui.app import TalkyaConsole
    from talkya_console.tui.screens.chart import ChartScreen
    from talkya_console.tui.screens.lookup import LookupScreen

    app = TalkyaConsole(
        client_factory=lambda: TalkyaClient(base, WORKSPACE, api_key=KEY),
        subscribe=None,
        workspace=WORKSPACE,
        idle_lock_minutes=0,
    )
    keystrokes: list[float] = []
    charts: list[float] = []
    painted = PaintClock(app)
    async with app.run_test(size=(120, 40)) as pilot:
        await asyncio.wait_for(app.booted.wait(), 60)
        await app.workers.wait_for_complete()
        driver = app._driver
        assert driver is not None
        for query in QUERIES:
            await pilot.press("slash")
            screen = app.screen
            assert isinstance(screen, LookupScreen)
            typed = ""
            for char in query:
                typed += char
                wanted = typed.strip()
                started = time.perf_counter()
                cpu = time.process_time()
                driver.send_message(events.Key("space" if char == " " else char, char))
                done = await painted.once(lambda screen=screen, wanted=wanted: screen.shown == wanted)
                keystrokes.append(done - started)
                if os.environ.get("LOOKUP_TRACE"):
                    print(f"{typed!r}: {keystrokes[-1] * 1000:.1f} ms, cpu {(time.process_time() - cpu) * 1000:.1f} ms")
                await pilot.pause()
            await pilot.press("escape")
            await pilot.pause()
        for _ in range(5):
            started = time.perf_counter()
            app.open_chart(chart_patient)

            def chart_loaded() -> bool:
                chart = app.screen
                return isinstance(chart, ChartScreen) and chart.patient is not None

            charts.append(await painted.once(chart_loaded) - started)
            await pilot.pause()
            await pilot.press("escape")
            await pilot.pause()
        app.open_chart(chart_patient)
        await pilot.pause()
        app.action_lookup()  # over the chart: both open for the memory figure
        await pilot.press(*"lopez")
        await pilot.pause(0.5)
        memory = rss_mb()
    return keystrokes, charts, memory


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--db", type=Path, help="the sandbox's file, kept for the next run (default: a temp dir)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = args.db or Path(tmp) / "sandbox.db"
        started = time.perf_counter()
        with sandbox_process(db, patients=args.patients, extra=["--no-simulate"], cpu=1) as base:
            print(f"sandbox up with {args.patients:,} patients in {time.perf_counter() - started:.1f} s")
            chart_patient = asyncio.run(patient_with_encounters(base, 200))
            if (os.cpu_count() or 1) > 1 and pinned(0, ["x"])[0] == "taskset":
                os.sched_setaffinity(0, {0})
            keystrokes, charts, memory = asyncio.run(measure(base, chart_patient))
    ms = [k * 1000 for k in keystrokes]
    print(
        f"keystroke to results painted ({len(ms)} keys): p50 {statistics.median(ms):.1f} ms, "
        f"p95 {percentile(ms, 95):.1f} ms, max {max(ms):.1f} ms (budget p95 <= 50 ms)"
    )
    chart_ms = [c * 1000 for c in charts]
    print(
        f"chart with 200 encounters to painted: median {statistics.median(chart_ms):.1f} ms, "
        f"max {max(chart_ms):.1f} ms (budget <= 150 ms)"
    )
    print(f"console memory (VmRSS) with the lookup and that chart open: {memory:.0f} MB")


if __name__ == "__main__":
    main()

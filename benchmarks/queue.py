"""Issue 11's figures: the tasks queue with 5,000 open tasks, and triage's next handoff.

    .venv/bin/python benchmarks/queue.py [--tasks 5000] [--handoffs 60] [--runs 5]

The demo sandbox runs in this process (ASGI, no sockets), with `--tasks` open tasks and
`--handoffs` open handoffs written straight into its storage; the console runs headless
(`App.run_test`, 160x50). Each figure runs until the first screen update composed after the
change, rendered to terminal output as a real terminal would get it (no polling). Measured:
- the queue opens to painted (budget <= 150 ms): from the pane holding the 5,000 tasks it fetched
  to the first frame showing them, sorted and filtered (the table holds the first 60 rows; more
  are added as the cursor reaches the end), median of `--runs` (and the same after a filter key,
  `o`). The fetch itself (50 pages of 100 over the API) is reported on its own: it
  runs in a worker while the previous queue stays on screen.
- a triage action to the next handoff shown (budget <= 100 ms): Enter on a typed wrap-up note
  (resolve) until the next handoff, with its patient and context, is painted; p50/max over
  `--handoffs - 1` actions.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[0] = str(ROOT)  # the repository, not benchmarks/ (its queue.py is not the standard library's)

import argparse
import asyncio
import random
import statistics
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from benchmarks._harness import percentile
from benchmarks._painted import PaintClock  # before Textual: it sets the console's frame pacing

WORKSPACE = "ws_truebliss"
KEY = "tk_test_truebliss"
TODAY = datetime(2026, 11, 20, tzinfo=UTC)
NOW = datetime(2026, 11, 20, 15, 30, tzinfo=UTC)


def seeded(tasks: int, handoffs: int) -> Any:
    """The demo sandbox plus `tasks` open tasks and `handoffs` open handoffs (copies of the demo's
    own, so each links a patient, call or agent run as theirs do)."""
    from talkya_console.sandbox.app import create_app
    from talkya_console.sandbox.ids import new_id
    from talkya_console.wire import Handoff, Task

    app = create_app(":memory:", seed="demo", patients=60, today=TODAY)
    db = app.state.sandbox.db
    rng = random.Random(11)
    users = [("usr_102", "front_desk"), ("usr_105", "va"), ("usr_114", "provider"), ("usr_107", "billing")]
    models = db.all("handoff", WORKSPACE, Handoff)
    with db.tx():
        for index in range(tasks):
            user, role = rng.choice(users)
            created = NOW - timedelta(minutes=rng.randrange(10, 60 * 24 * 14))
            task = Task(
                id=new_id("task"),
                title=f"Bench follow-up {index}",
                assignee_user_id=user if rng.random() < 0.5 else None,
                assignee_role=role,  # type: ignore[arg-type]
                due_at=NOW + timedelta(minutes=rng.randrange(-60 * 24 * 7, 60 * 24 * 7)),
                priority=rng.choice(["low", "normal", "high", "urgent"]),  # type: ignore[arg-type]
                created_at=created,
                updated_at=created,
            )
            db.insert("task", WORKSPACE, task)
        for index in range(handoffs):
            base = models[index % len(models)]
            copy = base.model_copy(
                update={
                    "id": new_id("ho"),
                    "status": "open",
                    "assignee_user_id": None,
                    "resolution": None,
                    "claimed_at": None,
                    "resolved_at": None,
                    "task_id": None,
                    "created_at": NOW - timedelta(minutes=index + 1),
                    "priority": "urgent",  # first in triage's order, ahead of the demo's own
                }
            )
            db.insert("handoff", WORKSPACE, Handoff.model_validate(copy.model_dump()))
    return app


async def measure(sandbox: Any, runs: int) -> dict[str, list[float]]:
    import httpx
    from textual import events
    from textual.widgets import Input

    from talkya_console.api import TalkyaClient
    from talkya_console.tui.app import TalkyaConsole
    from talkya_console.tui.screens.triage import TriageScreen
    from talkya_console.tui.widgets.tasks import TasksPane

    app = TalkyaConsole(
        client_factory=lambda: TalkyaClient(
            "http://sandbox", WORKSPACE, api_key=KEY, transport=httpx.ASGITransport(app=sandbox)
        ),
        subscribe=None,
        workspace=WORKSPACE,
        clock=lambda: NOW,
        idle_lock_minutes=0,
    )
    figures: dict[str, list[float]] = {"fetch": [], "open": [], "filter": [], "triage": []}
    painted = PaintClock(app)
    async with app.run_test(size=(160, 50)) as pilot:
        await asyncio.wait_for(app.booted.wait(), 120)
        await app.workers.wait_for_complete()
        pane = app.query_one(TasksPane)
        assert app.client is not None
        me = await app.client.users.get("usr_102")
        app.me = me
        pane.signed_in(me)
        await pilot.press("4", "z")
        await pilot.pause()
        table = pane.query_one("#tasks-table")
        for _ in range(runs):
            started = time.perf_counter()
            pane.load()
            await app.workers.wait_for_complete()
            figures["fetch"].append(time.perf_counter() - started)
        print(f"queue holds {len(pane.tasks):,} tasks and {len(pane.handoffs)} handoffs")
        for _ in range(runs):
            pane.tasks = dict(pane.tasks)  # as a fresh fetch leaves it
            started = time.perf_counter()
            pane.render_rows()
            rows = min(pane.window, len(pane.shown))
            figures["open"].append(await painted.once(lambda rows=rows: table.row_count == rows, timeout=60) - started)
            await pilot.pause()
        driver = app._driver
        assert driver is not None
        for _ in range(runs):
            for _flip in range(2):
                before = len(pane.shown)
                started = time.perf_counter()
                driver.send_message(events.Key("o", "o"))
                done = await painted.once(lambda before=before: len(pane.shown) != before, timeout=60)
                figures["filter"].append(done - started)
                await pilot.pause()
        await pilot.press("T")
        await app.workers.wait_for_complete()
        screen = app.screen
        assert isinstance(screen, TriageScreen)
        while len(screen.queue) > 1:
            await app.workers.wait_for_complete()  # the next one's context loads while this one is read
            current = screen.current
            assert current is not None
            note = screen.query_one("#triage-note", Input)
            note.value = "Called the patient back."
            note.focus()
            await pilot.pause()
            started = time.perf_counter()
            driver.send_message(events.Key("enter", "\r"))
            done = await painted.once(
                lambda current=current: (
                    screen.current is not None
                    and screen.current.id != current.id
                    and screen.current.id in screen.contexts
                )
            )
            figures["triage"].append(done - started)
        await app.workers.wait_for_complete()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", type=int, default=5000)
    parser.add_argument("--handoffs", type=int, default=60)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    started = time.perf_counter()
    sandbox = seeded(args.tasks, args.handoffs)
    print(f"sandbox seeded with {args.tasks:,} extra tasks in {time.perf_counter() - started:.1f} s")
    figures = asyncio.run(measure(sandbox, args.runs))
    ms = {name: [v * 1000 for v in values] for name, values in figures.items()}
    print(
        f"fetch of the queue over the API (worker; old queue stays on screen): median {statistics.median(ms['fetch']):.0f} ms"
    )
    print(
        f"queue of {args.tasks:,} tasks opens to painted: median {statistics.median(ms['open']):.1f} ms, "
        f"max {max(ms['open']):.1f} ms (budget <= 150 ms)"
    )
    print(
        f"filter key (o) to the queue repainted: median {statistics.median(ms['filter']):.1f} ms, "
        f"max {max(ms['filter']):.1f} ms"
    )
    print(
        f"triage resolve to the next handoff shown ({len(ms['triage'])} actions): "
        f"p50 {statistics.median(ms['triage']):.1f} ms, p95 {percentile(ms['triage'], 95):.1f} ms, "
        f"max {max(ms['triage']):.1f} ms (budget <= 100 ms)"
    )


if __name__ == "__main__":
    main()

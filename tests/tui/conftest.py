"""Fixtures for the console: a demo sandbox in-process, a fixed clock, and a queue as the relay."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime

import httpx
import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable

from talkya_console.api import TalkyaClient
from talkya_console.relay.subscriber import Reset
from talkya_console.sandbox.app import create_app
from talkya_console.tui.app import TalkyaConsole
from talkya_console.tui.screens.signin import SignInScreen
from talkya_console.wire import Event

# Workers that wait on the outside world for as long as it takes: the relay follower, a sign-in
# waiting for its approval, and a file picker's folder loader (Textual's DirectoryTree).
WAITING_GROUPS = frozenset({"live", "sign-in", "_loader"})
DEMO_TODAY = datetime(2026, 11, 20, tzinfo=UTC)
FIXED_NOW = datetime(2026, 11, 20, 15, 30, tzinfo=UTC)


def fixed_clock() -> datetime:
    """Always 15:30 UTC on the demo day."""
    return FIXED_NOW


def client_factory_for(app: object) -> Callable[[], TalkyaClient]:
    """A factory of clients that talk to a sandbox app in-process."""
    return lambda: TalkyaClient(
        "http://sandbox", "ws_truebliss", api_key="tk_test_truebliss", transport=httpx.ASGITransport(app=app)
    )


@pytest.fixture
def sandbox() -> object:
    """The demo clinic with 60 patients on a fixed day."""
    return create_app(":memory:", seed="demo", patients=60, today=DEMO_TODAY)


@pytest.fixture
def feed() -> asyncio.Queue[Event | Reset]:
    """What the fake relay will deliver."""
    return asyncio.Queue()


@pytest.fixture
def console(sandbox: object, feed: asyncio.Queue[Event | Reset]) -> TalkyaConsole:
    """The console on the sandbox, fed by the queue."""

    async def subscribe(after: int | None, epoch: str | None) -> AsyncIterator[Event | Reset]:
        while True:
            yield await feed.get()

    return TalkyaConsole(
        client_factory=client_factory_for(sandbox), subscribe=subscribe, workspace="ws_truebliss", clock=fixed_clock
    )


@pytest.fixture
def quiet_console(sandbox: object) -> TalkyaConsole:
    """The console with no live feed (snapshots)."""
    return TalkyaConsole(
        client_factory=client_factory_for(sandbox), subscribe=None, workspace="ws_truebliss", clock=fixed_clock
    )


def _measuring(table: DataTable[object]) -> bool:
    """Whether a table still owes its column widths (it measures new rows when idle, which a table
    under a pushed screen never gets to be: a snapshot would then show label-width columns)."""
    return bool(table._require_update_dimensions or table._updated_cells)


async def settle(pilot: Pilot[None]) -> None:
    """Wait until the app has booted, every worker but the relay follower is done and the screen has caught up."""
    booted = getattr(pilot.app, "booted", None)
    if booted is not None:
        # Boot ends when the panes have loaded, or waits on a person at the sign-in screen.
        deadline = asyncio.get_running_loop().time() + 30
        while not booted.is_set() and not isinstance(pilot.app.screen, SignInScreen):
            assert asyncio.get_running_loop().time() < deadline, "the console never booted"
            await asyncio.wait({asyncio.ensure_future(booted.wait())}, timeout=0.05)
    for _ in range(50):
        await pilot.pause()
        waiting = WAITING_GROUPS | ({"boot"} if isinstance(pilot.app.screen, SignInScreen) else set())
        busy = [w for w in pilot.app.workers if w.group not in waiting and not w.is_finished]
        if not busy and not any(_measuring(table) for table in pilot.app.query(DataTable)):
            await pilot.pause()
            return
        if not busy:
            continue
        await pilot.app.workers.wait_for_complete(busy)
    raise AssertionError(f"workers kept running: {[(w.group, w.name) for w in busy]}")


async def until(pilot: Pilot[None], condition: Callable[[], bool]) -> None:
    """Let the app run until `condition` holds (the palette debounces its search), up to two seconds."""
    for _ in range(40):
        await settle(pilot)
        if condition():
            return
        await pilot.pause(0.05)
    raise AssertionError("condition never held")

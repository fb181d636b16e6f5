"""Snapshots of the tasks queue (zoomed) and of triage."""

from __future__ import annotations

from textual.widgets import Input

from talkya_console.tui.app import TalkyaConsole
from tests.tui.conftest import settle


def test_queue_zoomed(snap_compare, quiet_console: TalkyaConsole) -> None:  # type: ignore[no-untyped-def]
    async def zoom(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot)
        await pilot.press("4", "z")
        await settle(pilot)

    assert snap_compare(quiet_console, terminal_size=(120, 40), run_before=zoom)


def test_triage(snap_compare, quiet_console: TalkyaConsole) -> None:  # type: ignore[no-untyped-def]
    async def triage(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot)
        await pilot.press("4", "T")
        await settle(pilot)
        pilot.app.screen.query_one(Input).cursor_blink = False
        await settle(pilot)

    assert snap_compare(quiet_console, terminal_size=(120, 40), run_before=triage)

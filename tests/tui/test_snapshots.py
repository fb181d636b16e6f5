"""Snapshots of the desk at a small, a medium and a very wide terminal."""

from __future__ import annotations

import pytest
from textual.widgets import Input

from talkya_console.tui.app import TalkyaConsole
from tests.tui.conftest import settle


@pytest.mark.parametrize("size", [(80, 24), (120, 40), (200, 60)], ids=["80x24", "120x40", "200x60"])
def test_desk(snap_compare, quiet_console: TalkyaConsole, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(quiet_console, terminal_size=size, run_before=settle)


def test_lookup_with_results(snap_compare, quiet_console: TalkyaConsole) -> None:  # type: ignore[no-untyped-def]
    async def search(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot)
        await pilot.press("slash")
        pilot.app.screen.query_one(Input).cursor_blink = False
        await pilot.press(*"lopez")
        await settle(pilot)

    assert snap_compare(quiet_console, terminal_size=(120, 40), run_before=search)


def test_lock_screen(snap_compare, sandbox: object) -> None:  # type: ignore[no-untyped-def]
    from tests.tui.test_identity import FakeIdentity, Ticker, staff_console

    app = staff_console(FakeIdentity(sandbox, pins={"usr_102": "2468"}), Ticker())

    async def lock(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot)
        await pilot.press("ctrl+l")
        pilot.app.screen.query_one(Input).cursor_blink = False
        await pilot.press(*"11", "enter")  # a wrong PIN: the message shows
        await pilot.pause()

    assert snap_compare(app, terminal_size=(80, 24), run_before=lock)

"""Snapshots of the deals board and of an agent run inspected."""

from __future__ import annotations

from talkya_console.tui.app import TalkyaConsole
from talkya_console.tui.screens.agents import RunDetailScreen
from talkya_console.tui.screens.deals import DealsBoard
from tests.tui.conftest import settle, until


def test_the_deals_board(snap_compare, quiet_console: TalkyaConsole) -> None:  # type: ignore[no-untyped-def]
    async def opened(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot)
        board = DealsBoard()
        pilot.app.push_screen(board)
        await until(pilot, lambda: bool(board.deals))
        await pilot.press("right")
        await settle(pilot)

    assert snap_compare(quiet_console, terminal_size=(160, 36), run_before=opened)


def test_an_agent_run_inspected(snap_compare, quiet_console: TalkyaConsole) -> None:  # type: ignore[no-untyped-def]
    async def opened(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot)
        client = pilot.app.client
        runs = await client.agent_runs.list().collect(100)
        run = min((r for r in runs if len(r.tool_calls) >= 2), key=lambda r: (r.created_at, r.id))
        screen = RunDetailScreen(run.id)
        pilot.app.push_screen(screen)
        await until(pilot, lambda: screen.run is not None)

    assert snap_compare(quiet_console, terminal_size=(130, 50), run_before=opened)

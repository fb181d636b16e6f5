"""Snapshots of the calls list (zoomed, with its counts), its filter screen, and a call's transcript
with a search under way."""

from __future__ import annotations

from textual.widgets import DataTable, Input

from talkya_console.tui.app import TalkyaConsole
from talkya_console.tui.widgets.calls import CallsPane
from tests.tui.conftest import settle


def test_calls_list(snap_compare, quiet_console: TalkyaConsole) -> None:  # type: ignore[no-untyped-def]
    async def zoom(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot)
        await pilot.press("z")
        await settle(pilot)

    assert snap_compare(quiet_console, terminal_size=(140, 30), run_before=zoom)


def test_calls_filter_screen(snap_compare, quiet_console: TalkyaConsole) -> None:  # type: ignore[no-untyped-def]
    async def filters(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot)
        await pilot.press("f")
        await settle(pilot)
        for field in pilot.app.screen.query(Input):
            field.cursor_blink = False

    assert snap_compare(quiet_console, terminal_size=(120, 40), run_before=filters)


def test_call_transcript_with_a_search(snap_compare, quiet_console: TalkyaConsole) -> None:  # type: ignore[no-untyped-def]
    async def transcript(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot)
        pane = pilot.app.query_one(CallsPane)
        # The newest completed call with a booked appointment: a transcript, a summary and next steps.
        call = next(c for c in pane.ordered() if c.outcome == "appointment_booked")
        table = pane.query_one(DataTable)
        table.move_cursor(row=table.get_row_index(call.id))
        await pilot.press("enter")
        await settle(pilot)
        pilot.app.screen.query_one("#call-search", Input).cursor_blink = False
        await pilot.press("slash", *"you")
        await settle(pilot)

    assert snap_compare(quiet_console, terminal_size=(120, 40), run_before=transcript)

"""A snapshot of the new-patient form refusing to save: the errors under their fields."""

from __future__ import annotations

from textual.widgets import Input

from talkya_console.tui.app import TalkyaConsole
from tests.tui.conftest import settle


def test_new_patient_form_with_inline_errors(snap_compare, quiet_console: TalkyaConsole) -> None:  # type: ignore[no-untyped-def]
    async def fill_in_badly(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot)
        await pilot.press("3", "n")
        await settle(pilot)
        for field in pilot.app.screen.query(Input):
            field.cursor_blink = False
        # Consent left uncaptured; a first name; a date of birth read as typed; a number too short.
        await pilot.press("tab", "tab", "tab", "tab", *"Ana", "tab", "tab", "tab", *"3/14/80")
        await pilot.press("tab", "tab", "tab", *"555-12", "ctrl+s")
        await settle(pilot)

    assert snap_compare(quiet_console, terminal_size=(120, 40), run_before=fill_in_badly)

"""A snapshot of the note form opened from a chart's Notes section (`a`): the SOAP template's sections,
two of them written."""

from __future__ import annotations

from textual.widgets import Input, TextArea

from talkya_console.tui.app import TalkyaConsole
from tests.tui.conftest import settle


def test_new_note_form_from_a_template(snap_compare, quiet_console: TalkyaConsole) -> None:  # type: ignore[no-untyped-def]
    async def attach_note(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot)
        client = pilot.app.client
        patient = (await client.patients.search(query="Valentina Clark", limit=1).page()).data[0]
        # Scheduled, so the encounter's label does not depend on the day the test runs.
        await client.encounters.create(
            {
                "patient_id": patient.id,
                "provider_id": "usr_114",
                "type": "botox_consult",
                "scheduled_at": "2026-11-20T16:00:00Z",
            }
        )
        pilot.app.open_chart(patient.id)
        await settle(pilot)
        await pilot.press("3")
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        for widget in pilot.app.screen.query("Input, TextArea"):
            assert isinstance(widget, Input | TextArea)
            widget.cursor_blink = False
        pilot.app.screen.query_one("#field-sections-subjective TextArea").focus()
        await pilot.press(*"Frown lines, wants a natural look")
        pilot.app.screen.query_one("#field-sections-plan TextArea").focus()
        await pilot.press(*"Botox 20 units glabella", "enter", *"Review in 2 weeks")
        await settle(pilot)

    assert snap_compare(quiet_console, terminal_size=(120, 44), run_before=attach_note)

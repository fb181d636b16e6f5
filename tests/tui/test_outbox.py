"""Writes made while Talkya cannot be reached: kept in the outbox on disk, shown as pending, sent
once when the link is back, also after the console was quit and started again."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Static

from talkya_console.api import TalkyaClient
from talkya_console.outbox import Outbox
from talkya_console.tui.app import TalkyaConsole
from talkya_console.tui.forms import NewEncounterScreen, NewPatientScreen
from talkya_console.tui.messages import LiveStatus
from talkya_console.tui.outgoing import Queued
from talkya_console.tui.screens.chart import ChartScreen
from talkya_console.tui.screens.outbox import OutboxScreen
from talkya_console.wire import Patient
from tests.test_outbox import Link
from tests.tui.conftest import fixed_clock, settle, until
from tests.tui.test_forms import capture_consent, open_form, type_into


@pytest.fixture
def link(sandbox: object) -> Link:
    return Link(sandbox)


def desk_with(link: Link, path: Path) -> TalkyaConsole:
    """A console whose client goes through the switchable link, with its outbox at `path`."""
    return TalkyaConsole(
        client_factory=lambda: TalkyaClient(
            "http://sandbox", "ws_truebliss", api_key="tk_test_truebliss", transport=link, max_retries=0
        ),
        subscribe=None,
        workspace="ws_truebliss",
        clock=fixed_clock,
        outbox=Outbox(path, "ws_truebliss", clock=fixed_clock),
    )


def pending_text(app: TalkyaConsole) -> str:
    widget = app.query_one("#pending", Static)
    return str(widget.render()) if widget.display else ""


async def patients_named(app: TalkyaConsole, last_name: str) -> list[Patient]:
    assert app.client is not None
    page = await app.client.patients.search(query=last_name).page(limit=50)
    return [patient for patient in page.data if patient.last_name == last_name]


async def new_patient_offline(pilot: Pilot[None], link: Link, last_name: str) -> list[object]:
    """Fill the new-patient form and save it with the link down."""
    results = await open_form(pilot, NewPatientScreen)
    await capture_consent(pilot)
    await type_into(pilot, "first_name", "Ines")
    await type_into(pilot, "last_name", last_name)
    link.down = True
    await pilot.press("ctrl+s")
    await settle(pilot)
    return results


async def test_a_patient_typed_offline_is_created_once_after_a_restart(sandbox, link, tmp_path) -> None:
    path = tmp_path / "outbox.sqlite3"
    first = desk_with(link, path)
    async with first.run_test(size=(140, 44)) as pilot:
        [result] = await new_patient_offline(pilot, link, "Offlinetyped")
        assert isinstance(result, Queued)
        assert pending_text(first) == "⇡ 1 pending"
        await pilot.press("ctrl+o")
        await settle(pilot)
        assert isinstance(first.screen, OutboxScreen)
        table = first.screen.query_one(DataTable)
        assert [str(cell) for cell in table.get_row_at(0)][1:] == ["New patient", "—", "pending"]
    assert link.writes == 0  # nothing reached Talkya

    link.down = False
    second = desk_with(link, path)
    async with second.run_test(size=(140, 44)) as pilot:
        await settle(pilot)  # boot sends what waited
        assert [p.first_name for p in await patients_named(second, "Offlinetyped")] == ["Ines"]
        assert pending_text(second) == ""
        assert second.outbox is not None and second.outbox.count() == 0
        assert any("Sent: New patient" in str(n.message) for n in second._notifications)
    assert link.writes == 1


async def test_the_link_coming_back_sends_what_waits_and_a_lost_answer_lands_once(sandbox, link, tmp_path) -> None:
    app = desk_with(link, tmp_path / "outbox.sqlite3")
    async with app.run_test(size=(140, 44)) as pilot:
        [result] = await new_patient_offline(pilot, link, "Cameback")
        assert isinstance(result, Queued)
        # The link returns, but the first answer is lost on the way back.
        link.down, link.lose_answers = False, True
        app.post_message(LiveStatus("connected"))
        await settle(pilot)
        assert pending_text(app) == "⇡ 1 pending" and link.writes == 1
        link.lose_answers = False
        app.post_message(LiveStatus("connected"))
        await settle(pilot)
        assert pending_text(app) == ""
        assert len(await patients_named(app, "Cameback")) == 1


async def test_a_chart_shows_its_pending_encounter_until_it_lands(sandbox, link, tmp_path) -> None:
    app = desk_with(link, tmp_path / "outbox.sqlite3")
    async with app.run_test(size=(140, 44)) as pilot:
        await settle(pilot)
        assert app.client is not None
        patient = (await app.client.patients.search().page(limit=1)).data[0]
        before = len(await app.client.encounters.list(patient_id=patient.id).collect())
        app.open_chart(patient.id)
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, NewEncounterScreen)
        app.screen.query_one("#field-provider_id Select").focus()
        await pilot.press("enter", "down", "enter", "tab", "enter", "down", "enter")
        await type_into(pilot, "type", "follow up")
        link.down = True
        await pilot.press("ctrl+s")
        await settle(pilot)
        chart = app.screen
        assert isinstance(chart, ChartScreen)
        line = chart.query_one("#chart-pending", Static)
        assert line.display and "New encounter" in str(line.render())
        link.down = False
        app.post_message(LiveStatus("connected"))
        await until(pilot, lambda: not line.display)
        assert len(await app.client.encounters.list(patient_id=patient.id).collect()) == before + 1


async def test_a_refused_pending_write_stays_with_its_reason_until_discarded(sandbox, link, tmp_path) -> None:
    from talkya_console.outbox import Write

    app = desk_with(link, tmp_path / "outbox.sqlite3")
    async with app.run_test(size=(140, 44)) as pilot:
        await settle(pilot)
        assert app.outbox is not None
        app.outbox.add(Write("encounters.close", ("enc_missing",), label="Close encounter"), None)
        app.flush_outbox()
        await settle(pilot)
        [entry] = app.outbox.entries()
        assert entry.refused
        await pilot.press("ctrl+o")
        await settle(pilot)
        table = app.screen.query_one(DataTable)
        assert str(table.get_row_at(0)[3]).startswith("refused: ")
        await pilot.press("d", "y")
        await settle(pilot)
        assert app.outbox.count() == 0
        assert str(app.screen.query_one("#outbox-empty", Static).render()).startswith("Nothing waits")

"""PHI masking in lists and the chart, the audited reveal, and the audit of opens and searches."""

from __future__ import annotations

import re

from textual.widgets import DataTable, OptionList

from talkya_console.sandbox.db import Where
from talkya_console.tui.screens.chart import ChartScreen
from talkya_console.wire import AuditEntry
from tests.tui.conftest import settle, until
from tests.tui.test_identity import FRONT_DESK, FakeIdentity, Ticker, staff_console

DOB = re.compile(r"\d{4}-\d\d-\d\d")


def audit_of(sandbox: object, **where: str) -> list[AuditEntry]:
    query = Where()
    for key, value in where.items():
        query = query.eq(key, value)
    return sandbox.state.sandbox.db.all("audit_entry", "ws_truebliss", AuditEntry, query)  # type: ignore[attr-defined]


async def test_lists_and_lookup_mask_the_date_of_birth(sandbox: object) -> None:
    app = staff_console(FakeIdentity(sandbox, pins={FRONT_DESK: "2468"}), Ticker())
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        table = app.query_one("#patients-table", DataTable)
        assert all(str(table.get_row_at(i)[2]) == "••••-••-••" for i in range(table.row_count))
        await pilot.press("slash", *"lopez")
        await until(pilot, lambda: app.screen.query_one(OptionList).option_count > 0)
        options = app.screen.query_one(OptionList)
        shown = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        assert shown and not any(DOB.search(text) for text in shown)
        # The searches are on the trail as the staff member's, with the filter used and not the terms.
        searches = audit_of(sandbox, record_type="patient_search")
        assert searches and {(e.actor.id, tuple(e.fields)) for e in searches} == {(FRONT_DESK, ("query",))}
        assert not any("lopez" in e.model_dump_json().lower() for e in searches)


async def test_the_chart_masks_until_v_and_both_the_open_and_the_reveal_are_audited(sandbox: object) -> None:
    app = staff_console(FakeIdentity(sandbox, pins={FRONT_DESK: "2468"}), Ticker())
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("3", "enter")
        await settle(pilot)
        assert isinstance(app.screen, ChartScreen)
        patient = app.screen.patient
        assert patient is not None and patient.dob is not None and patient.phones
        body = app.export_screenshot()
        assert patient.dob.isoformat() not in body and patient.phones[0].number not in body
        assert "••••-••-••" in body
        assert [(e.action, e.actor.id) for e in audit_of(sandbox, record_id=patient.id)] == [("viewed", FRONT_DESK)]

        await pilot.press("v")
        await settle(pilot)
        body = app.export_screenshot()
        assert patient.dob.isoformat() in body and patient.phones[0].number in body
        actions = [(e.action, e.actor.id) for e in audit_of(sandbox, record_id=patient.id)]
        assert sorted(actions) == [("revealed", FRONT_DESK), ("viewed", FRONT_DESK)]

        # The reveal was for that chart only: open it again and it is masked.
        await pilot.press("escape", "enter")
        await settle(pilot)
        body = app.export_screenshot()
        assert patient.dob.isoformat() not in body

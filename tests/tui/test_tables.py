"""A table drawn between new rows and their measuring is drawn again at the measured widths
(tables.py): the desk's patients pane once kept label-wide columns ("Ivan  TB1  •••")."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from textual.app import App, ComposeResult
from textual.widgets import DataTable

from talkya_console.tui import tables


class OneTable(App[None]):
    """A table of a fixed size, as a pane's is: measuring its rows does not resize it."""

    CSS = "DataTable { width: 50; height: 6; }"

    def compose(self) -> ComposeResult:
        table: DataTable[str] = DataTable()
        table.add_columns("Name", "MRN")
        yield table


@pytest.fixture
def unpatched() -> Iterator[None]:
    """Textual's own measuring, for the test that shows why the patch is there."""
    patched = DataTable._update_dimensions
    DataTable._update_dimensions = tables._update_dimensions  # type: ignore[method-assign]
    try:
        yield
    finally:
        DataTable._update_dimensions = patched  # type: ignore[method-assign]


async def drawn_after_a_frame_between_rows_and_measuring() -> list[str]:
    app = OneTable()
    async with app.run_test(size=(60, 8)) as pilot:
        table = app.query_one(DataTable)
        await pilot.pause()
        table.add_row("Valentina Clark", "TB100050")
        for y in range(3):
            table.render_line(y)  # a frame comes before the table is idle and measures the row
        await pilot.pause()  # idle: the row is measured
        return [table.render_line(y).text for y in range(2)]


async def test_the_table_is_drawn_again_at_its_measured_widths() -> None:
    tables.patch()
    header, row = await drawn_after_a_frame_between_rows_and_measuring()
    assert row.startswith(" Valentina Clark  TB100050 ")
    assert header.startswith(" Name             MRN ")


async def test_without_the_patch_the_frame_before_measuring_stays(unpatched: None) -> None:
    # If a Textual upgrade fixes the race, this fails and tables.py can go.
    _header, row = await drawn_after_a_frame_between_rows_and_measuring()
    assert row.startswith(" Vale")
    assert "Valentina Clark" not in row

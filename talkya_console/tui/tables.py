"""Tables drawn at their measured widths, however soon a frame comes after new rows.

Textual 8.2.8's `DataTable` measures new rows when it is next idle, and caches the lines it draws
under a count of its updates. Measuring changes the columns' widths but not that count, so a frame
drawn between `add_row` and the measuring (likelier at 120 frames a second) stays cached with the
old widths: on the desk, the patients pane kept its columns as wide as their labels ("Ivan  TB1
•••") until something else changed the table. `patch()` counts a change of width as an update, so
the next frame draws the table again at its measured widths."""

from __future__ import annotations

from collections.abc import Iterable

from textual.widgets import DataTable
from textual.widgets.data_table import RowKey

_update_dimensions = DataTable._update_dimensions


def widths(table: DataTable[object]) -> list[int]:
    """Each column's drawn width."""
    return [column.get_render_width(table) for column in table.ordered_columns]


def update_dimensions(self: DataTable[object], new_rows: Iterable[RowKey]) -> None:
    """`DataTable._update_dimensions`, and the drawn lines forgotten when a column's width changed."""
    before = widths(self)
    _update_dimensions(self, new_rows)
    if widths(self) != before:
        self._update_count += 1
        self.refresh()


def patch() -> None:
    """Put the wrapper on `DataTable` (once; the console does this at import)."""
    DataTable._update_dimensions = update_dimensions  # type: ignore[method-assign]

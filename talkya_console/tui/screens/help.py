"""Help: every key binding, as currently mapped."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable


class HelpScreen(ModalScreen[None]):
    """A table of (where, key, what, id); Escape or ? closes."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss", "Close", id="help.close"),
        Binding("question_mark", "dismiss", "Close", show=False, id="help.close_again"),
    ]

    def __init__(self, rows: list[tuple[str, str, str, str]]) -> None:
        super().__init__()
        self.rows = rows

    def compose(self) -> ComposeResult:
        """The table in a box."""
        with Vertical(id="help-box"):
            table: DataTable[str] = DataTable(cursor_type="row", id="help-table")
            table.add_columns("Where", "Key", "What", "Keymap id")
            for row in self.rows:
                table.add_row(*row)
            yield table

    def on_mount(self) -> None:
        """Title the box."""
        self.query_one("#help-box").border_title = "Keys (remap by id in the config keymap)"

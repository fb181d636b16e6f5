"""The frame of a full list screen over the desk (agent runs, leads, Hermes routes): a titled box
with a line for failures, a table of fixed-width columns, a count line, and the footer."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import DataTable, Static

from talkya_console.tui.node import ConsoleNode
from talkya_console.tui.widgets.keyline import KeyLine


class TableScreen(ConsoleNode, ModalScreen[None]):
    """Subclasses set `PREFIX` (the widgets are `#PREFIX-box`, `-problem`, `-table`, `-count`),
    `BOX_TITLE` and `COLUMNS` of (key, title, width), and define `load()`."""

    DEFAULT_CSS = """
    TableScreen { align: center middle; }
    TableScreen .table-box { border: round $accent; background: $surface; width: 96%; max-width: 150;
        height: 90%; padding: 0 1; }
    TableScreen .table-problem { display: none; color: $text-error; padding: 0 1; }
    TableScreen .table-problem.-shown { display: block; }
    TableScreen .table-box DataTable { height: 1fr; }
    TableScreen .table-count { color: $text-muted; padding: 0 1; }
    """
    PREFIX: ClassVar[str]
    BOX_TITLE: ClassVar[str]
    COLUMNS: ClassVar[tuple[tuple[str, str, int], ...]]

    def compose(self) -> ComposeResult:
        """The box: a problem line, the table, anything the screen adds, the count; the footer."""
        with Vertical(id=f"{self.PREFIX}-box", classes="table-box"):
            yield Static("", id=f"{self.PREFIX}-problem", classes="table-problem")
            table: DataTable[str] = DataTable(id=f"{self.PREFIX}-table", cursor_type="row", zebra_stripes=True)
            for key, title, width in self.COLUMNS:
                table.add_column(title, key=key, width=width)
            yield table
            yield from self.compose_extra()
            yield Static("Loading…", id=f"{self.PREFIX}-count", classes="table-count")
        yield KeyLine()

    def compose_extra(self) -> list[Widget]:
        """Widgets between the table and the count (none by default)."""
        return []

    def on_mount(self) -> None:
        """Title the box, focus the table, fetch."""
        self.query_one(f"#{self.PREFIX}-box").border_title = self.BOX_TITLE
        self.query_one(DataTable).focus()
        self.load()

    def load(self) -> object:
        """Fetch and show the records (a worker in each subclass)."""
        raise NotImplementedError

    def now(self) -> datetime:
        """The app's clock."""
        return self.console.clock()

    def show_problem(self, text: str | None) -> None:
        """A failure, inline; None hides it."""
        line = self.query_one(f"#{self.PREFIX}-problem", Static)
        line.update(text or "")
        line.set_class(bool(text), "-shown")

"""A bare Textual app with the console's widgets (header, four bordered tables, footer) and no
data, networking or styles: the floor `startup.py` compares the console's first frame with."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.containers import Grid
from textual.widgets import DataTable, Footer, Header

TITLES = ("1 Live calls", "2 Messenger", "3 Patients and charts", "4 Tasks and handoffs")


class BareDesk(App[None]):
    CSS = "Grid { grid-size: 2 2; } DataTable { border: round $primary; }"

    def compose(self) -> ComposeResult:
        yield Header()
        with Grid():
            for title in TITLES:
                table: DataTable[str] = DataTable()
                table.border_title = title
                table.add_columns("A", "B", "C")
                yield table
        yield Footer()


if __name__ == "__main__":
    BareDesk().run()

"""The outbox: every write waiting to be sent, why it waits, and what can be done about it."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from talkya_console.tui.node import ConsoleNode
from talkya_console.tui.outgoing import OutboxChanged
from talkya_console.tui.screens.confirm import ConfirmScreen
from talkya_console.tui.widgets.keyline import KeyLine
from talkya_console.tui.widgets.pane import ago

if TYPE_CHECKING:
    from talkya_console.outbox import Entry

EMPTY = "Nothing waits: every write has reached Talkya."


def entry_status(entry: Entry, author: str | None) -> str:
    """Why the write waits."""
    if entry.refused:
        return f"refused: {entry.error or 'no reason given'}"
    if entry.author is not None and author is not None and entry.author != author:
        return f"waits for {entry.author} to sign in"
    if entry.attempts:
        return f"pending · tried {entry.attempts}x"
    return "pending"


class OutboxScreen(ConsoleNode, ModalScreen[None]):
    """The waiting writes, oldest first; `s` sends now, `r` retries a refused one, `d` discards."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss", "Close", id="outbox.close"),
        Binding("s", "send", "Send now", id="outbox.send"),
        Binding("r", "retry", "Retry refused", id="outbox.retry"),
        Binding("d", "discard", "Discard", id="outbox.discard"),
    ]

    def compose(self) -> ComposeResult:
        """The table in a box, a line for when it is empty."""
        with Vertical(id="outbox-box"):
            yield Static(EMPTY, id="outbox-empty")
            table: DataTable[str] = DataTable(cursor_type="row", id="outbox-table")
            table.add_columns("Made", "What", "For", "Status")
            yield table
        yield KeyLine()

    def on_mount(self) -> None:
        """Title the box and list the writes."""
        self.query_one("#outbox-box").border_title = "Outbox: writes waiting for Talkya"
        self.show_entries()
        self.query_one(DataTable).focus()

    @on(OutboxChanged)
    def show_entries(self) -> None:
        """List what waits now, keeping the cursor where it was."""
        table: DataTable[str] = self.query_one(DataTable)
        keep = table.cursor_row
        table.clear()
        outbox = self.console.outbox
        entries = outbox.entries() if outbox is not None else []
        now = self.console.clock()
        author = self.console.author()
        for entry in entries:
            made = ago(entry.created_at, now)
            status = entry_status(entry, author)
            table.add_row(
                made, entry.write.label or entry.write.op, entry.write.subject or "—", status, key=str(entry.id)
            )
        if table.row_count:
            table.move_cursor(row=min(keep, table.row_count - 1))
        self.query_one("#outbox-empty").display = not entries
        table.display = bool(entries)

    def current(self) -> int | None:
        """The id of the entry under the cursor."""
        table: DataTable[str] = self.query_one(DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return int(key) if key is not None else None

    def action_send(self) -> None:
        """Try the link now rather than at the next retry."""
        self.console.outbox_retry_index = 0
        self.console.flush_outbox()
        self.notify("Sending what waits…", timeout=2)

    def action_retry(self) -> None:
        """Send the refused write under the cursor again."""
        entry_id = self.current()
        if entry_id is not None:
            self.console.retry_pending(entry_id)

    def action_discard(self) -> None:
        """Give up the write under the cursor, after a `y`."""
        entry_id = self.current()
        if entry_id is None:
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.console.discard_pending(entry_id)

        question = "Discard this write? It will never be sent, and what it held is lost."
        self.app.push_screen(ConfirmScreen("Discard write", question), answered)

"""Live calls: the AI receptionist's calls, newest first, updated as transcripts stream."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import work
from textual.widget import Widget
from textual.widgets import DataTable

from talkya_console.tui.widgets.pane import Pane, ago, api_failures

if TYPE_CHECKING:  # imported for annotations only: the first frame does not wait for them
    from talkya_console.wire import Call, Event


COLUMNS = (
    ("time", "Time"),
    ("status", "Status"),
    ("caller", "Caller"),
    ("dur", "Dur"),
    ("intent", "Intent"),
    ("outcome", "Outcome"),
)
STATUS_MARK = {
    "ringing": "◌ ring",
    "in_progress": "● live",
    "completed": "✓ done",
    "missed": "✗ missed",
    "voicemail": "✉ vm",
}


def duration(seconds: int) -> str:
    """`m:ss`."""
    return f"{seconds // 60}:{seconds % 60:02d}"


def label(text: str | None) -> str:
    """`price_shopping` as `price shopping`."""
    return text.replace("_", " ") if text else "—"


class CallsPane(Pane):
    """Calls, newest first: status, caller, intent, outcome, duration."""

    PANE_ID = "calls"
    TITLE = "Live calls"
    EVENT_TYPES: ClassVar[frozenset[str]] = frozenset(
        {"receptionist.call.started", "receptionist.call.transcript.updated", "receptionist.call.completed"}
    )

    def __init__(self, number: int) -> None:
        super().__init__(number)
        self.calls: dict[str, Call] = {}

    def compose_body(self) -> list[Widget]:
        """One table."""
        table: DataTable[str] = DataTable(cursor_type="row", zebra_stripes=True, id="calls-table")
        for key, title in COLUMNS:
            table.add_column(title, key=key)
        return [table]

    def main_widget(self) -> Widget:
        """The table."""
        return self.query_one(DataTable)

    def row(self, call: Call) -> tuple[str, ...]:
        """The cells of one call."""
        caller = call.caller.name or call.caller.phone
        status = STATUS_MARK.get(call.status, call.status)
        return (
            ago(call.started_at, self.now()),
            status,
            caller,
            duration(call.duration_seconds),
            label(call.intent),
            label(call.outcome),
        )

    def render_rows(self) -> None:
        """Lay out every known call, newest first, keeping the cursor on the same call."""
        table = self.query_one(DataTable)
        keep = table.cursor_row
        table.clear()
        for call in sorted(self.calls.values(), key=lambda c: c.started_at, reverse=True):
            table.add_row(*self.row(call), key=call.id)
        if table.row_count:
            table.move_cursor(row=min(keep, table.row_count - 1))

    def put(self, call: Call) -> None:
        """Update a known call's cells in place, or add a new call at its place in time."""
        table = self.query_one(DataTable)
        known = call.id in self.calls
        self.calls[call.id] = call
        if not known:
            self.render_rows()
            return
        for (column, _), value in zip(COLUMNS, self.row(call), strict=True):
            table.update_cell(call.id, column, value)

    @work(exclusive=True, group="load")
    async def load(self) -> None:
        """The 50 newest calls."""
        if self.client is None:
            return
        try:
            page = await self.client.calls.list().page(limit=50)
        except api_failures() as error:
            self.show_problem(error)
            return
        self.show_problem(None)
        self.calls = {call.id: call for call in page.data}
        self.render_rows()

    def apply_event(self, event: Event) -> None:
        """Refetch the one call the event names."""
        call_id = event.data.get("call_id")
        if isinstance(call_id, str):
            self.fetch_call(call_id)

    @work(group="event", exit_on_error=False)  # a live refresh that fails (say, mid-shutdown) is dropped
    async def fetch_call(self, call_id: str) -> None:
        """Get one call and show it."""
        if self.client is None:
            return
        try:
            call = await self.client.calls.get(call_id)
        except api_failures() as error:
            self.show_problem(error)
            return
        self.put(call)

"""Live calls: ringing and live calls first, then the rest newest first, with filters the API applies
and a count per status; Enter opens a call's transcript."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.binding import Binding, BindingType
from textual.widget import Widget
from textual.widgets import DataTable

from talkya_console.tui.screens.call_actions import CALL_BINDINGS, CallActions, call_seconds, caller_text, clock_text
from talkya_console.tui.widgets.calls_filter import CallFilters, FilterScreen, label
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
    ("campaign", "Campaign"),
    ("source", "Source"),
)
STATUS_MARK = {
    "ringing": ("◌ ring", "bold yellow"),
    "in_progress": ("● live", "bold green"),
    "completed": ("✓ done", ""),
    "missed": ("✗ missed", "red"),
    "voicemail": ("✉ vm", "dim"),
}
LIVE = ("ringing", "in_progress")
# How each status is counted under the pane, in this order; statuses with none are left out
# except the two a receptionist desk watches.
COUNTED = (("ringing", "ringing"), ("in_progress", "live"), ("completed", "done"), ("missed", "missed"))
COUNTED += (("voicemail", "voicemail"),)
PAGE = 100
SEEN_FIELDS = ("source", "intent", "campaign", "outcome")


def duration(seconds: int) -> str:
    """`m:ss`."""
    return clock_text(seconds)


def status_counts(calls: list[Call]) -> str:
    """`2 ringing · 1 live · 37 done · 1 missed`."""
    counts = {status: 0 for status, _ in COUNTED}
    for call in calls:
        counts[call.status] = counts.get(call.status, 0) + 1
    return " · ".join(f"{counts[s]} {word}" for s, word in COUNTED if counts[s] or s in LIVE)


class CallsPane(CallActions, Pane):
    """Calls: status, caller, duration, intent, outcome, campaign, source."""

    PANE_ID = "calls"
    TITLE = "Live calls"
    EVENT_TYPES: ClassVar[frozenset[str]] = frozenset(
        {"receptionist.call.started", "receptionist.call.transcript.updated", "receptionist.call.completed"}
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f", "filter", "Filter", id="calls.filter"),
        Binding("x", "clear_filters", "Clear filters", show=False, id="calls.clear"),
        *CALL_BINDINGS,
    ]

    def __init__(self, number: int) -> None:
        super().__init__(number)
        self.number = number
        self.calls: dict[str, Call] = {}
        self.filters = CallFilters()
        self.has_more = False
        # Codes seen in any load, so the filter lists offer them even while a filter hides them.
        self.seen: dict[str, set[str]] = {name: set() for name in SEEN_FIELDS}

    def compose_body(self) -> list[Widget]:
        """One table."""
        table: DataTable[str | Text] = DataTable(cursor_type="row", zebra_stripes=True, id="calls-table")
        for key, title in COLUMNS:
            table.add_column(title, key=key)
        return [table]

    def on_mount(self) -> None:
        """Tick the live calls' durations."""
        self.set_interval(1.0, self.tick, name="calls-tick")
        self.show_counts()

    def main_widget(self) -> Widget:
        """The table."""
        return self.query_one(DataTable)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """A key the person's keymap gave to a desk-wide binding goes to that binding, not to the pane."""
        keymap = self.console.keymap
        taken = {
            key.strip() for name, keys in keymap.items() if not name.startswith("calls.") for key in keys.split(",")
        }
        for binding in self.BINDINGS:
            if isinstance(binding, Binding) and binding.action == action:
                return keymap.get(binding.id or "", binding.key) not in taken
        return True

    def row(self, call: Call) -> tuple[str | Text, ...]:
        """The cells of one call."""
        mark, style = STATUS_MARK.get(call.status, (call.status, ""))
        live = call.status in LIVE
        return (
            ago(call.started_at, self.now()),
            Text(mark, style=style),
            caller_text(call),
            Text(duration(call_seconds(call, self.now())), style="bold" if live else ""),
            label(call.intent),
            label(call.outcome),
            call.campaign or "—",
            label(call.source),
        )

    def ordered(self) -> list[Call]:
        """Ringing and live calls first, then newest first."""
        return sorted(self.calls.values(), key=lambda c: (c.status in LIVE, c.started_at), reverse=True)

    def render_rows(self) -> None:
        """Lay out every known call, keeping the cursor on the same call."""
        table = self.query_one(DataTable)
        keep = self.current_call()
        table.clear()
        for call in self.ordered():
            table.add_row(*self.row(call), key=call.id)
        if keep is not None and keep.id in self.calls:
            table.move_cursor(row=table.get_row_index(keep.id))
        self.show_counts()

    def show_counts(self) -> None:
        """The count per status under the pane; the filters in its title."""
        counts = status_counts(list(self.calls.values()))
        self.border_subtitle = counts + (f" · newest {PAGE}" if self.has_more else "")
        described = self.filters.describe()
        self.border_title = f"{self.number} {self.TITLE}" + (f" · {described}" if described else "")

    def current_call(self) -> Call | None:
        """The call under the cursor."""
        table = self.query_one(DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return self.calls.get(key) if key is not None else None

    def put(self, call: Call) -> None:
        """Update a known call in place, add a new one at its place, or drop one the filters no longer let in."""
        table = self.query_one(DataTable)
        self.remember(call)
        known = call.id in self.calls
        if self.filters.active and not self.filters.matches(call, self.now().tzinfo):
            if known:
                del self.calls[call.id]
                table.remove_row(call.id)
                self.show_counts()
            return
        was = self.calls.get(call.id)
        self.calls[call.id] = call
        if was is None or (was.status in LIVE) != (call.status in LIVE):
            self.render_rows()  # a new call, or one that moves between the live and the ended
            return
        for (column, _), value in zip(COLUMNS, self.row(call), strict=True):
            table.update_cell(call.id, column, value)
        self.show_counts()

    def remember(self, call: Call) -> None:
        """Keep the call's codes for the filter lists."""
        for name in SEEN_FIELDS:
            value = getattr(call, name)
            if value:
                self.seen[name].add(value)

    def tick(self) -> None:
        """Advance the durations of the ringing and live calls with the clock."""
        table = self.query_one(DataTable)
        now = self.now()
        for call in self.calls.values():
            if call.status in LIVE:
                table.update_cell(call.id, "dur", Text(duration(call_seconds(call, now)), style="bold"))

    @work(exclusive=True, group="load")
    async def load(self) -> None:
        """The newest calls the filters let in."""
        if self.client is None:
            return
        try:
            page = await self.client.calls.list(**self.filters.params(self.now().tzinfo)).page(limit=PAGE)
        except api_failures() as error:
            self.show_problem(error)
            return
        self.show_problem(None)
        self.calls = {call.id: call for call in page.data}
        self.has_more = page.has_more
        for call in page.data:
            self.remember(call)
        self.render_rows()

    def action_filter(self) -> None:
        """Choose the filters; the list is fetched again through them."""

        def chosen(filters: CallFilters | None) -> None:
            if filters is not None and filters != self.filters:
                self.set_filters(filters)

        self.console.push_screen(FilterScreen(self.filters, self.seen, self.now().date()), chosen)

    def action_clear_filters(self) -> None:
        """Show every call again."""
        if self.filters.active:
            self.set_filters(CallFilters())

    def set_filters(self, filters: CallFilters) -> None:
        """Filter through the API."""
        self.filters = filters
        self.show_counts()
        self.load()

    @on(DataTable.RowSelected)
    def open_call(self, event: DataTable.RowSelected) -> None:
        """Enter: the call's screen, its transcript streaming while the call is live."""
        from talkya_console.tui.screens.call import CallScreen

        call_id = event.row_key.value
        if call_id in self.calls:
            self.console.push_screen(CallScreen(call_id, self.calls[call_id]))

    def apply_event(self, event: Event) -> None:
        """Refetch the one call the event names (new segments change nothing shown of a known call)."""
        call_id = event.data.get("call_id")
        if not isinstance(call_id, str):
            return
        if event.type != "receptionist.call.transcript.updated" or call_id not in self.calls:
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

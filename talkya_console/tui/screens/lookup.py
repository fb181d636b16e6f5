"""Patient lookup: search as you type; Enter opens the chart."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from talkya_console.tui.masking import mask_dob
from talkya_console.tui.node import ConsoleNode
from talkya_console.tui.widgets.pane import api_failures

if TYPE_CHECKING:
    from talkya_console.wire import ListPage, Patient

PAGE = 20
# Longer than any name, MRN, phone or date of birth; a longer query (a huge paste) would not fit a URL.
MAX_QUERY = 200


class LookupScreen(ConsoleNode, ModalScreen[str | None]):
    """A search box over a result list; dismisses with the chosen patient id."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss(None)", "Close", id="lookup.close"),
        Binding("down", "move(1)", "Next", show=False, id="lookup.next"),
        Binding("up", "move(-1)", "Previous", show=False, id="lookup.previous"),
    ]

    def compose(self) -> ComposeResult:
        """Box, status line, results."""
        with Vertical(id="lookup-box"):
            yield Input(placeholder="Name, MRN, phone, date of birth…", id="lookup-input", max_length=MAX_QUERY)
            yield Static("Type to search patients.", id="lookup-status")
            yield OptionList(id="lookup-results")

    # The query whose results are on screen (benchmarks and tests wait on it).
    shown: str | None = None
    # Where the shown results continue (None: there are no more), and how many are shown.
    next_cursor: str | None = None
    found = 0

    def on_mount(self) -> None:
        """Title the box; list the recent charts."""
        self.query_one("#lookup-box").border_title = "Patient lookup"
        self.search("")

    @on(Input.Changed)
    def changed(self, event: Input.Changed) -> None:
        """Search for what is typed."""
        self.search(event.value.strip()[:MAX_QUERY])

    @work(exclusive=True, group="lookup")
    async def search(self, query: str) -> None:
        """The first 20 matches, newest first; more as the highlight reaches the end."""
        results = self.query_one(OptionList)
        status = self.query_one("#lookup-status", Static)
        client = self.console.client
        self.next_cursor = None
        if not query or client is None:
            results.clear_options()
            recent = list(reversed(self.console.recent_charts.items()))
            if client is None:
                status.update("Waiting for the API…")
            elif recent:
                results.add_options(Option(label, id=patient_id) for patient_id, label in recent)
                results.highlighted = 0
                status.update("Recent charts; type to search patients.")
            else:
                status.update("Type to search patients.")
            return
        try:
            page = await client.patients.search(query=query).page(limit=PAGE)
        except api_failures() as error:
            status.update(f"Search failed: {type(error).__name__}.")
            return
        results.clear_options()
        self.found = 0
        self.show_page(page)
        if page.data:
            results.highlighted = 0
        self.shown = query

    def show_page(self, page: ListPage[Patient]) -> None:
        """Add a page of results under those shown, and say how many there are."""
        results = self.query_one(OptionList)
        results.add_options(Option(f"{p.name}  ·  {p.mrn}  ·  {mask_dob(p.dob)}", id=p.id) for p in page.data)
        self.found += len(page.data)
        self.next_cursor = page.next_cursor if page.has_more else None
        more = "+ (more below)" if self.next_cursor else ""
        self.query_one("#lookup-status", Static).update(f"{self.found}{more} found; ↑↓ to choose, Enter to open.")

    @on(OptionList.OptionHighlighted)
    def highlighted(self, event: OptionList.OptionHighlighted) -> None:
        """Near the end of what is shown, fetch the next page (once)."""
        if self.next_cursor and self.shown and event.option_index >= self.found - 3:
            self.more(self.shown, self.next_cursor)

    @work(exclusive=True, group="lookup-more")
    async def more(self, query: str, cursor: str) -> None:
        """The next page of the same search."""
        client = self.console.client
        if client is None or cursor != self.next_cursor:
            return
        self.next_cursor = None  # one fetch per page
        try:
            page = await client.patients.search(query=query).page(cursor, limit=PAGE)
        except api_failures() as error:
            self.next_cursor = cursor
            self.query_one("#lookup-status", Static).update(f"More results failed: {type(error).__name__}.")
            return
        if query == self.shown:
            self.show_page(page)

    def action_move(self, step: int) -> None:
        """Move the highlight while typing."""
        results = self.query_one(OptionList)
        if results.option_count:
            current = results.highlighted if results.highlighted is not None else -1
            results.highlighted = max(0, min(results.option_count - 1, current + step))

    @on(Input.Submitted)
    def submitted(self) -> None:
        """Enter opens the highlighted patient."""
        results = self.query_one(OptionList)
        if results.highlighted is not None:
            self.dismiss(results.get_option_at_index(results.highlighted).id)

    @on(OptionList.OptionSelected)
    def chosen(self, event: OptionList.OptionSelected) -> None:
        """A click or Enter on the list opens that patient."""
        self.dismiss(event.option.id)

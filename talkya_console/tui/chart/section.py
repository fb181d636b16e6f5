"""What every chart section shares: fetched the first time it is shown, problems inline, and lists
fetched a page at a time (the next page when the user reaches the end of the list or presses `m`)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

from rich.console import RenderableType
from textual import on, work
from textual.widget import AwaitMount, Widget
from textual.widgets import DataTable, Static, TabPane

from talkya_console.tui.node import ConsoleNode
from talkya_console.tui.screens.confirm import ConfirmScreen
from talkya_console.tui.widgets.pane import api_failures, problem_text

if TYPE_CHECKING:  # imported for annotations only: the first frame does not wait for them
    from talkya_console.api import TalkyaClient
    from talkya_console.api._pagination import AsyncPager
    from talkya_console.outbox import Write
    from talkya_console.wire import Encounter

T = TypeVar("T")

PAGE_SIZE = 25


def when(stamp: datetime | None, now: datetime) -> str:
    """`2026-11-20 10:30` in the zone of `now`, or `—`."""
    return f"{stamp.astimezone(now.tzinfo):%Y-%m-%d %H:%M}" if stamp else "—"


def label(text: str | None) -> str:
    """`follow_up` as `follow up`."""
    return text.replace("_", " ") if text else "—"


def duration(seconds: int) -> str:
    """`m:ss`."""
    return f"{seconds // 60}:{seconds % 60:02d}"


class Directory:
    """Names for the ids a chart shows (staff, locations, encounters), fetched once per chart and only
    when a section that shows them is first opened."""

    def __init__(self) -> None:
        self.users: dict[str, str] = {}
        self.locations: dict[str, str] | None = None
        self.encounters: dict[str, Encounter] = {}

    def user(self, user_id: str | None) -> str:
        """The staff member's name, or the id when it could not be looked up."""
        return self.users.get(user_id, user_id) if user_id else "—"

    def location(self, location_id: str | None) -> str:
        """The location's name, or the id."""
        return (self.locations or {}).get(location_id, location_id) if location_id else "—"

    def encounter(self, encounter_id: str | None, now: datetime) -> str:
        """`2026-11-17 consult`, or the id."""
        found = self.encounters.get(encounter_id or "")
        if found is None:
            return encounter_id or "—"
        return f"{when(found.scheduled_at or found.created_at, now)[:10]} {label(found.type)}"

    async def fetch_users(self, client: TalkyaClient, ids: Iterable[str | None]) -> None:
        """Look up the staff not yet known (one that cannot be found keeps showing as its id)."""
        missing = sorted({i for i in ids if i and i not in self.users})
        found = await _each(client.users.get, missing)
        self.users.update(
            {key: user.name if user is not None else key for key, user in zip(missing, found, strict=True)}
        )

    async def fetch_locations(self, client: TalkyaClient) -> None:
        """The workspace's locations, once."""
        if self.locations is None:
            page = await client.locations.list(limit=100).page()
            self.locations = {location.id: location.name for location in page.data}

    async def fetch_encounters(self, client: TalkyaClient, ids: Iterable[str | None]) -> None:
        """The encounters not yet known, for their dates and visit types."""
        missing = sorted({i for i in ids if i and i not in self.encounters})
        found = await _each(client.encounters.get, missing)
        self.encounters.update({e.id: e for e in found if e is not None})


async def _each(get: Callable[[str], Any], ids: list[str]) -> list[Any]:
    """`get` for each id at once; None for an id the API could not give (not found, or a failure)."""
    results = await asyncio.gather(*(get(i) for i in ids), return_exceptions=True)
    failures = api_failures()
    for result in results:
        if isinstance(result, BaseException) and not isinstance(result, failures):
            raise result
    return [None if isinstance(result, BaseException) else result for result in results]


class Section(ConsoleNode, TabPane):
    """One tab of the chart; `load` runs the first time the tab is shown, and again when shown after
    a failed load."""

    def __init__(self, title: str, *, id: str, patient_id: str, directory: Directory) -> None:
        super().__init__(title, id=id, classes="chart-section")
        self.patient_id = patient_id
        self.directory = directory
        self.loaded = False
        self.fetching = False

    def now(self) -> datetime:
        """The app's clock."""
        return self.console.clock()

    def shown(self) -> None:
        """The tab was shown: fetch, unless already fetched or fetching."""
        if not self.loaded and not self.fetching:
            self.fetching = True
            self.load()

    def load(self) -> None:
        """Fetch the section's data in a worker that sets `loaded` and clears `fetching`."""
        raise NotImplementedError

    def main_widget(self) -> Any:
        """What takes the focus when the section is chosen."""
        return self

    def show_problem(self, error: BaseException | str | None) -> None:
        """An API failure (or a sentence) inline, or nothing."""
        line = self.query_one(".problem", Static)
        text = error if isinstance(error, str) or error is None else problem_text(error, self.now())
        line.update(text or "")
        line.set_class(bool(text), "-shown")


class ListSection(Section, Generic[T]):
    """A section that is one table of records, newest first, a page at a time."""

    COLUMNS: ClassVar[tuple[tuple[str, str], ...]] = ()
    NOUN: ClassVar[tuple[str, str]] = ("record", "records")  # one, many
    HINT: ClassVar[str] = ""  # what Enter on a row shows, if anything

    def __init__(self, title: str, *, id: str, patient_id: str, directory: Directory) -> None:
        super().__init__(title, id=id, patient_id=patient_id, directory=directory)
        self.items: dict[str, T] = {}
        self.next_cursor: str | None = None
        self.exhausted = False
        self.built = False
        self.building: AwaitMount | None = None
        self.focus_when_built = False

    def body(self) -> list[Widget]:
        """The problem line, the table, and how much of the list is shown."""
        table: DataTable[RenderableType] = DataTable(cursor_type="row", zebra_stripes=True)
        for key, title in self.COLUMNS:
            table.add_column(title, key=key)
        return [Static("", classes="problem"), table, Static("Loading…", classes="more")]

    def shown(self) -> None:
        """Built the first time it is shown, not when the chart opens: seven tabs of widgets cost
        the chart's first paint more than its data (benchmarks/lookup.py). The fetch starts at
        once and waits for the build."""
        if not self.built:
            self.built = True
            self.building = self.mount_all(self.body())
        super().shown()

    async def ready(self) -> None:
        """Once built: fetch the next page when the list is scrolled to its end."""
        if self.building is None:
            return
        building, self.building = self.building, None
        await building
        table = self.query_one(DataTable)
        self.watch(table, "scroll_y", self.scrolled, init=False)
        if self.focus_when_built:
            table.focus()

    def main_widget(self) -> Any:
        """The table (once built; until then the section, which hands the focus on when built)."""
        tables = self.query(DataTable)
        if tables:
            return tables.first()
        self.focus_when_built = True
        return self

    def pager(self, client: TalkyaClient) -> AsyncPager[T]:
        """The query for this patient's records."""
        raise NotImplementedError

    async def prepare(self, client: TalkyaClient, items: list[T]) -> None:
        """Fetch what the rows show besides the records (names for ids); nothing by default."""

    def cells(self, item: T) -> tuple[RenderableType, ...]:
        """One record's cells, in `COLUMNS` order."""
        raise NotImplementedError

    def open(self, item: T) -> None:
        """Enter on a record; most sections have nothing more to show."""

    def load(self) -> None:
        """The first page."""
        self.fetch_page()

    def load_more(self) -> None:
        """The next page, unless one is on its way or the list is complete (the first, if it failed)."""
        if not self.loaded:
            self.shown()
        elif not self.fetching and not self.exhausted:
            self.fetching = True
            self.fetch_page()

    def reload(self) -> None:
        """From the first page again (a record was added)."""
        if self.fetching:
            return
        self.items.clear()
        self.next_cursor = None
        self.exhausted = False
        self.main_widget().clear()
        self.fetching = True
        self.fetch_page()

    @work(group="chart-page")
    async def fetch_page(self) -> None:
        """Fetch a page after the last one shown and add its rows."""
        try:
            await self._fetch_page()
        finally:
            self.fetching = False

    async def _fetch_page(self) -> None:
        await self.ready()
        client = self.client
        if client is None:
            self.show_problem("The API is not ready yet.")
            return
        try:
            page = await self.pager(client).page(self.next_cursor, limit=PAGE_SIZE)
            await self.prepare(client, page.data)
        except api_failures() as error:
            self.show_problem(error)
            return
        self.show_problem(None)
        table = self.main_widget()
        for item in page.data:
            key = str(item.id)  # type: ignore[attr-defined]
            if key not in self.items:
                self.items[key] = item
                table.add_row(*self.cells(item), key=key)
        self.next_cursor = page.next_cursor
        self.exhausted = not (page.has_more and page.next_cursor)
        self.loaded = True
        self.query_one(".more", Static).update(self.count_text())
        self.screen.refresh_bindings()

    def count_text(self) -> str:
        """`25 encounters so far: m or the end of the list for more`, or the whole count."""
        shown = len(self.items)
        noun = self.NOUN[0] if shown == 1 else self.NOUN[1]
        if not shown:
            return f"No {noun}."
        hint = f" {self.HINT}" if self.HINT else ""
        if self.exhausted:
            return f"{shown} {noun}.{hint}"
        return f"{shown} {noun} so far: m, or the end of the list, for more.{hint}"

    def scrolled(self, scroll_y: float) -> None:
        """The list scrolled: the next page when at the end."""
        table = self.main_widget()
        if table.max_scroll_y > 0 and scroll_y >= table.max_scroll_y:
            self.load_more()

    @on(DataTable.RowHighlighted)
    def highlighted(self, event: DataTable.RowHighlighted) -> None:
        """The cursor reached the last row: the next page."""
        if event.cursor_row >= event.data_table.row_count - 1:
            self.load_more()

    def current(self) -> T | None:
        """The record under the cursor, if any."""
        table = self.main_widget()
        if not isinstance(table, DataTable) or not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
        return self.items.get(str(key.value))

    def replace(self, item: T) -> None:
        """Show a record as the API now has it (after a write)."""
        key = str(item.id)  # type: ignore[attr-defined]
        self.items[key] = item
        table = self.main_widget()
        for (column, _), value in zip(self.COLUMNS, self.cells(item), strict=True):
            table.update_cell(key, column, value)

    def confirm_then(self, title: str, question: str, write: Write) -> None:
        """Ask first; then make the write and show its result, or say inline why it failed. When
        Talkya cannot be reached the write waits in the outbox, and the chart says so."""
        from talkya_console.tui.outgoing import Queued

        async def answered(yes: bool | None) -> None:
            if not yes:
                return
            try:
                result = await self.console.submit(write)
            except api_failures() as error:
                self.show_problem(error)
                return
            self.show_problem(None)
            if isinstance(result, Queued):
                self.notify("Talkya did not answer: it waits in the outbox and is sent when the link is back.")
            else:
                self.replace(result)  # type: ignore[arg-type]

        self.app.push_screen(ConfirmScreen(title, question), answered)

    @on(DataTable.RowSelected)
    def selected(self, event: DataTable.RowSelected) -> None:
        """Enter on a row."""
        item = self.items.get(str(event.row_key.value))
        if item is not None:
            self.open(item)

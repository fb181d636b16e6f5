"""The deals board: a column per stage, each deal with its value and probability; `[`/`]` move
a deal a stage back or on (which fires `deal.stage_changed`). `deal.*` events refetch the deal
they name."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from talkya_console.tui.node import ConsoleNode
from talkya_console.tui.outgoing import OFFLINE_SAVED
from talkya_console.tui.widgets.keyline import KeyLine
from talkya_console.tui.widgets.pane import api_failures, problem_text
from talkya_console.wire.common import MAX_LIMIT

if TYPE_CHECKING:  # imported for annotations only: the first frame does not wait for them
    from rich.text import Text

    from talkya_console.wire import Deal, Event

DEAL_LIMIT = 500
#: The stages in the order a deal moves through them (the API's `DealStage`).
STAGES = ("new", "consult_scheduled", "consult_done", "proposal", "won", "lost")
STAGE_TITLES = {
    "new": "New",
    "consult_scheduled": "Consult scheduled",
    "consult_done": "Consult done",
    "proposal": "Proposal",
    "won": "Won",
    "lost": "Lost",
}
BOARD_KEYS = "←/→ column · ↑/↓ deal · [ previous stage · ] next stage · r refresh · Esc close"


def money(cents: int, currency: str = "usd") -> str:
    """`$1,250` (whole dollars when there are no cents)."""
    symbol = "$" if currency == "usd" else currency.upper() + " "
    whole, part = divmod(cents, 100)
    return f"{symbol}{whole:,}" + (f".{part:02d}" if part else "")


def card(deal: Deal) -> Text:
    """A deal on the board: its name in bold, then value and probability, then a gap."""
    from rich.text import Text

    return Text.assemble(
        (deal.name, "bold"), "\n", (f"{money(deal.value, deal.currency)} · {deal.probability}%", "dim")
    )


class StageColumn(Vertical):
    """One stage of the board: its title (count and value) and its deals."""

    def __init__(self, stage: str) -> None:
        super().__init__(id=f"stage-{stage}", classes="stage-column")
        self.stage = stage
        self.deals: list[Deal] = []

    def compose(self) -> ComposeResult:
        """Title, list."""
        yield Static(STAGE_TITLES[self.stage], classes="stage-title")
        yield OptionList(id=f"stage-list-{self.stage}", classes="stage-list", compact=True)

    @property
    def options(self) -> OptionList:
        """The deals' list."""
        return self.query_one(OptionList)

    def show(self, deals: list[Deal], select: str | None = None) -> None:
        """Replace the deals, keeping the highlight on the deal it was on (or on `select`)."""
        options = self.options
        current = self.current()
        self.deals = deals
        options.clear_options()
        options.add_options(Option(card(deal), id=deal.id) for deal in deals)
        target = select or (current.id if current is not None else None)
        ids = [deal.id for deal in deals]
        if deals:
            options.highlighted = ids.index(target) if target in ids else min(options.highlighted or 0, len(ids) - 1)
        total = sum(deal.value for deal in deals)
        title = f"{STAGE_TITLES[self.stage]}\n{len(deals)} deal{'s' if len(deals) != 1 else ''} · {money(total)}"
        self.query_one(".stage-title", Static).update(title)

    def current(self) -> Deal | None:
        """The highlighted deal."""
        index = self.options.highlighted
        if index is None or not 0 <= index < len(self.deals):
            return None
        return self.deals[index]


class DealsBoard(ConsoleNode, ModalScreen[None]):
    """Deals in a column per stage; move a deal a stage back or on with `[` and `]`."""

    DEFAULT_CSS = """
    DealsBoard { align: center middle; }
    #deals-box { border: round $accent; background: $surface; width: 98%; height: 92%; padding: 0 1; }
    #deals-problem { display: none; color: $text-error; padding: 0 1; }
    #deals-problem.-shown { display: block; }
    #deals-columns { height: 1fr; }
    .stage-column { width: 1fr; height: 1fr; margin-right: 1; }
    .stage-column:last-of-type { margin-right: 0; }
    .stage-title { height: 2; color: $text-muted; text-style: bold; padding: 0 1; background: $boost; }
    .stage-column:focus-within > .stage-title { color: $text; background: $accent 40%; }
    .stage-list { height: 1fr; border: none; }
    #deals-count { color: $text-muted; padding: 0 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss", "Close", id="deals.close"),
        Binding("left", "column(-1)", "Previous column", id="deals.left"),
        Binding("right", "column(1)", "Next column", id="deals.right"),
        Binding("left_square_bracket", "move(-1)", "Previous stage", id="deals.stage_back"),
        Binding("right_square_bracket", "move(1)", "Next stage", id="deals.stage_on"),
        Binding("r", "refresh", "Refresh", id="deals.refresh"),
    ]
    #: The live events about deals: every `deal.*` type Talkya emits (the page names one).
    EVENT_TYPES: ClassVar[frozenset[str]] = frozenset({"deal.stage_changed"})

    def __init__(self) -> None:
        super().__init__()
        self.deals: dict[str, Deal] = {}
        self.moving: set[str] = set()

    def compose(self) -> ComposeResult:
        """The box: a problem line, the columns, the count and keys; the footer."""
        with Vertical(id="deals-box"):
            yield Static("", id="deals-problem")
            with Horizontal(id="deals-columns"):
                for stage in STAGES:
                    yield StageColumn(stage)
            yield Static("Loading…", id="deals-count")
        yield KeyLine()

    def on_mount(self) -> None:
        """Title the box, focus the first column and fetch the deals."""
        self.query_one("#deals-box").border_title = "CRM · deals"
        self.columns()[0].options.focus()
        self.load()

    def columns(self) -> list[StageColumn]:
        """The stage columns, in stage order."""
        return list(self.query(StageColumn))

    def column(self, stage: str) -> StageColumn:
        """The column of a stage."""
        return self.query_one(f"#stage-{stage}", StageColumn)

    def focused_column(self) -> StageColumn:
        """The column that has the focus (the first when none has)."""
        focused = self.focused
        for column in self.columns():
            if focused is not None and focused in column.walk_children():
                return column
        return self.columns()[0]

    @work(exclusive=True, group="deals-load", exit_on_error=False)
    async def load(self) -> None:
        """Fetch every deal and lay out the board."""
        client = self.client
        if client is None:
            self.show_problem("The API is not ready yet.")
            return
        try:
            deals = await client.deals.list(limit=MAX_LIMIT).collect(DEAL_LIMIT)
        except api_failures() as error:
            self.show_problem(problem_text(error, self.console.clock()))
            return
        self.show_problem(None)
        self.deals = {deal.id: deal for deal in deals}
        self.render_board()

    def render_board(self, select: Deal | None = None) -> None:
        """Each column's deals, most recently changed first; `select` highlights and focuses that deal."""
        by_stage: dict[str, list[Deal]] = {stage: [] for stage in STAGES}
        for deal in self.deals.values():
            by_stage.setdefault(deal.stage, []).append(deal)
        for stage in STAGES:
            deals = sorted(by_stage[stage], key=lambda deal: (deal.updated_at, deal.id), reverse=True)
            self.column(stage).show(deals, select.id if select is not None and select.stage == stage else None)
        if select is not None and select.stage in STAGES:
            self.column(select.stage).options.focus()
        count = len(self.deals)
        open_value = sum(deal.value for deal in self.deals.values() if deal.stage not in ("won", "lost"))
        what = f"{count} deal{'s' if count != 1 else ''}, {money(open_value)} open."
        self.query_one("#deals-count", Static).update(f"{what}  {BOARD_KEYS}")

    def show_problem(self, text: str | None) -> None:
        """A failure, inline; None hides it."""
        line = self.query_one("#deals-problem", Static)
        line.update(text or "")
        line.set_class(bool(text), "-shown")

    def current(self) -> Deal | None:
        """The highlighted deal of the focused column."""
        return self.focused_column().current()

    def action_column(self, step: int) -> None:
        """Focus the column to the left or right (stopping at the ends)."""
        columns = self.columns()
        index = columns.index(self.focused_column()) + step
        if 0 <= index < len(columns):
            columns[index].options.focus()

    def action_move(self, step: int) -> None:
        """Move the highlighted deal to the previous or next stage."""
        deal = self.current()
        if deal is None or deal.id in self.moving:
            return
        index = STAGES.index(deal.stage) + step if deal.stage in STAGES else -1
        if not 0 <= index < len(STAGES):
            self.notify(f"{STAGE_TITLES.get(deal.stage, deal.stage)} is the {'first' if step < 0 else 'last'} stage.")
            return
        self.move(deal, STAGES[index])

    @work(group="deals-move", exit_on_error=False)
    async def move(self, deal: Deal, stage: str) -> None:
        """Ask Talkya to change the deal's stage; the board shows the deal where Talkya says it is."""
        from talkya_console.api import APIError
        from talkya_console.outbox import Write
        from talkya_console.tui.outgoing import Queued

        write = Write("deals.update", (deal.id, {"stage": stage}), label="Move deal", subject=deal.patient_id)
        self.moving.add(deal.id)
        try:
            updated = await self.console.submit(write)
        except (*api_failures(), APIError) as error:
            why = error.message if isinstance(error, APIError) else problem_text(error, self.console.clock())
            self.notify(f"Not moved: {why}", severity="error", timeout=6)
            return
        finally:
            self.moving.discard(deal.id)
        if isinstance(updated, Queued):
            self.notify(OFFLINE_SAVED, timeout=5)
            return
        self.replace(updated, follow=True)  # type: ignore[arg-type]
        self.notify(f"Moved to {STAGE_TITLES.get(stage, stage)}.", timeout=3)

    def replace(self, deal: Deal, *, follow: bool = False) -> None:
        """Show a deal as it now is; `follow` moves the focus with it."""
        self.deals[deal.id] = deal
        self.render_board(select=deal if follow else None)

    @work(group="deals-event", exit_on_error=False)
    async def fetch_deal(self, deal_id: str) -> None:
        """Fetch one deal a live event named."""
        client = self.client
        if client is None:
            return
        try:
            deal = await client.deals.get(deal_id)
        except api_failures():
            self.load()
            return
        self.replace(deal)

    def action_refresh(self) -> None:
        """Fetch the deals again."""
        self.load()

    def apply_event(self, event: Event) -> None:
        """A deal changed (maybe by someone else): fetch it, or the whole board when the event names none."""
        deal_id = event.data.get("deal_id")
        if isinstance(deal_id, str):
            self.fetch_deal(deal_id)
        else:
            self.load()


def open_deals(app: App[object]) -> None:
    """Show the deals board."""
    if getattr(app, "client", None) is None:
        app.notify("Waiting for the API…", severity="warning", timeout=3)
        return
    app.push_screen(DealsBoard())

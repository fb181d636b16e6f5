"""The calls pane's filters: what the API's `/calls` list narrows by, and the modal that sets them."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from datetime import date, datetime, time, timedelta, tzinfo
from typing import TYPE_CHECKING, Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Select, Static

if TYPE_CHECKING:  # imported for annotations only: the first frame does not wait for them
    from talkya_console.wire import Call

STATUSES = ("ringing", "in_progress", "completed", "missed", "voicemail")
CODE_FIELDS = ("status", "source", "intent", "campaign", "outcome")
KEYS_TEXT = "Tab next · Enter or Ctrl+S apply · Ctrl+X clear all · Esc cancel"


def label(text: str | None) -> str:
    """`price_shopping` as `price shopping`."""
    return text.replace("_", " ") if text else "—"


def parse_day(text: str, today: date) -> date | None:
    """`2026-11-18`, `today` or `yesterday`; blank is no bound. Raises ValueError otherwise."""
    text = text.strip().lower()
    if not text:
        return None
    if text == "today":
        return today
    if text == "yesterday":
        return today - timedelta(days=1)
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a date: write YYYY-MM-DD, today or yesterday.") from None


@dataclass(frozen=True)
class CallFilters:
    """Each given filter must hold; the days are whole local days, both ends included."""

    status: str | None = None
    source: str | None = None
    intent: str | None = None
    campaign: str | None = None
    outcome: str | None = None
    since: date | None = None
    until: date | None = None

    @property
    def active(self) -> bool:
        """Whether anything is filtered."""
        return any(getattr(self, f.name) is not None for f in fields(self))

    def bounds(self, zone: tzinfo | None) -> tuple[datetime | None, datetime | None]:
        """`created_after` (at or after) and `created_before` (before) for the days, in `zone`."""
        after = datetime.combine(self.since, time(), zone) if self.since else None
        before = datetime.combine(self.until + timedelta(days=1), time(), zone) if self.until else None
        return after, before

    def params(self, zone: tzinfo | None) -> dict[str, Any]:
        """The keyword arguments of `client.calls.list`."""
        after, before = self.bounds(zone)
        codes = {name: getattr(self, name) for name in CODE_FIELDS if getattr(self, name) is not None}
        times = {"created_after": after, "created_before": before}
        return codes | {name: value for name, value in times.items() if value is not None}

    def matches(self, call: Call, zone: tzinfo | None) -> bool:
        """Whether a call (from a live event) belongs in the filtered list, as the API would say."""
        if any(getattr(self, name) not in (None, getattr(call, name)) for name in CODE_FIELDS):
            return False
        after, before = self.bounds(zone)
        return (after is None or call.created_at >= after) and (before is None or call.created_at < before)

    def describe(self) -> str:
        """`intent new consult · Nov 18 to Nov 20`, or empty."""
        parts = [f"{name} {label(getattr(self, name))}" for name in CODE_FIELDS if getattr(self, name)]
        if self.since or self.until:
            since = f"{self.since:%b %d}" if self.since else "…"
            until = f"{self.until:%b %d}" if self.until else "…"
            parts.append(since if self.since == self.until else f"{since} to {until}")
        return " · ".join(parts)


class FilterScreen(ModalScreen[CallFilters | None]):
    """Pick the filters: one list per code (the values seen so far) and a day range."""

    DEFAULT_CSS = """
    FilterScreen { align: center middle; }
    #filter-box { border: round $accent; background: $surface; width: 72; max-width: 95%; height: auto; padding: 0 2; }
    #filter-box .filter-row { height: auto; margin-top: 1; }
    #filter-box .filter-row Label { width: 10; color: $text-muted; }
    #filter-box .filter-row Select, #filter-box .filter-row Input { width: 1fr; }
    #filter-box .filter-row Input { background: $boost; }
    #filter-problem { color: $text-error; height: auto; margin-top: 1; }
    #filter-keys { color: $text-muted; margin: 1 0; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "apply", "Apply", priority=True, id="calls.filter.apply"),
        Binding("ctrl+x", "clear", "Clear all", priority=True, id="calls.filter.clear"),
        Binding("escape", "dismiss(None)", "Cancel", id="calls.filter.cancel"),
    ]

    def __init__(self, current: CallFilters, choices: dict[str, set[str]], today: date) -> None:
        super().__init__()
        self.current = current
        self.choices = choices
        self.today = today

    def compose(self) -> ComposeResult:
        """A row per filter, then the keys."""
        with Vertical(id="filter-box") as box:
            box.border_title = "Filter calls"
            for name in CODE_FIELDS:
                values = set(STATUSES) if name == "status" else set(self.choices.get(name, ()))
                chosen = getattr(self.current, name)
                if chosen:
                    values.add(chosen)
                options = [(label(value), value) for value in sorted(values)]
                with Horizontal(classes="filter-row"):
                    yield Label(name.capitalize())
                    yield Select(options, prompt="any", value=chosen if chosen else Select.NULL, id=f"filter-{name}")
            for name, bound, hint in (("since", self.current.since, "From"), ("until", self.current.until, "To")):
                with Horizontal(classes="filter-row"):
                    yield Label(hint)
                    yield Input(
                        bound.isoformat() if bound else "",
                        placeholder="YYYY-MM-DD, today or yesterday",
                        compact=True,
                        id=f"filter-{name}",
                    )
            yield Static("", id="filter-problem")
            yield Static(KEYS_TEXT, id="filter-keys")

    def on_mount(self) -> None:
        """Start at the first list."""
        self.query_one(Select).focus()

    def chosen(self) -> CallFilters:
        """The filters as set; raises ValueError for a day that does not parse or a range backwards."""
        codes = {}
        for name in CODE_FIELDS:
            value = self.query_one(f"#filter-{name}", Select).value
            codes[name] = value if isinstance(value, str) else None
        since = parse_day(self.query_one("#filter-since", Input).value, self.today)
        until = parse_day(self.query_one("#filter-until", Input).value, self.today)
        if since and until and since > until:
            raise ValueError("The From day is after the To day.")
        return replace(CallFilters(**codes), since=since, until=until)

    @on(Input.Submitted)
    def submitted(self, event: Input.Submitted) -> None:
        """Enter in a day field applies."""
        event.stop()
        self.action_apply()

    def action_apply(self) -> None:
        """Close with the filters, or say what is wrong."""
        try:
            filters = self.chosen()
        except ValueError as error:
            self.query_one("#filter-problem", Static).update(str(error))
            return
        self.dismiss(filters)

    def action_clear(self) -> None:
        """Close with no filters."""
        self.dismiss(CallFilters())

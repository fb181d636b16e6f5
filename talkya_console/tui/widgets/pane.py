"""The base of the four desk panes: a titled box, an inline problem line, and live-event hooks."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widget import Widget
from textual.widgets import Static

from talkya_console.tui.node import ConsoleNode

if TYPE_CHECKING:  # imported for annotations only: the first frame does not wait for them
    from talkya_console.wire import Event, User


def api_failures() -> tuple[type[Exception], ...]:
    """What a failed API call raises; imported when one fails, not before the first frame."""
    import httpx

    from talkya_console.api import APIError

    # InvalidURL is not an HTTPError: free text too long for a URL (a huge paste) raises it.
    return (APIError, httpx.HTTPError, httpx.InvalidURL)


def problem_text(error: BaseException, now: datetime) -> str:
    """A one-line description of an API failure, without request details that could carry PHI."""
    import httpx

    kind = (
        "API unreachable" if isinstance(error, httpx.HTTPError) or "onnection" in type(error).__name__ else "API error"
    )
    return f"{kind} at {now:%H:%M} ({type(error).__name__}); showing what was loaded."


class Pane(ConsoleNode, Vertical):
    """A desk pane; subclasses fill `compose_body`, `load` and `apply_event`."""

    PANE_ID: ClassVar[str] = ""
    TITLE: ClassVar[str] = ""
    EVENT_TYPES: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, number: int) -> None:
        super().__init__(id=self.PANE_ID, classes="pane")
        self.border_title = f"{number} {self.TITLE}"

    def compose_body(self) -> list[Widget]:
        """The widgets under the problem line."""
        raise NotImplementedError

    def compose(self) -> ComposeResult:
        """The problem line, then the body."""
        yield Static("", classes="problem")
        yield from self.compose_body()

    @property
    def now(self) -> Callable[[], datetime]:
        """The app's clock."""
        return self.console.clock

    def main_widget(self) -> Widget:
        """The widget that takes focus when the pane is chosen."""
        raise NotImplementedError

    def show_problem(self, error: BaseException | None) -> None:
        """Show an API failure inline, or clear it."""
        line = self.query_one(".problem", Static)
        line.update(problem_text(error, self.now()) if error else "")
        line.set_class(error is not None, "-shown")

    def signed_in(self, me: User) -> None:
        """Who is at the keyboard (for "mine" and mentions); most panes do not need it."""

    def load(self) -> None:
        """Fetch the pane's data (in a worker)."""
        raise NotImplementedError

    def apply_event(self, event: Event) -> None:
        """Update in place for one live event of a type in `EVENT_TYPES`."""
        raise NotImplementedError


def ago(when: datetime | None, now: datetime) -> str:
    """`HH:MM` if on the same day as `now` (in its zone), else `Mon DD`."""
    if when is None:
        return "—"
    local = when.astimezone(now.tzinfo)
    return f"{local:%H:%M}" if local.date() == now.date() else f"{local:%b %d}"

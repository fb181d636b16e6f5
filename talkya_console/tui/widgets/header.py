"""The header: workspace, who is signed in, the live indicator, and the clock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.reactive import reactive
from textual.widgets import Static


def live_text(status: str, retry_in: float | None, offline_since: datetime | None) -> str:
    """`● live`, `◐ reconnecting in 3 s`, `○ offline since 14:05`, and so on."""
    if status == "connected":
        return "● live"
    if status == "reconnecting":
        return f"◐ reconnecting in {round(retry_in)} s" if retry_in is not None else "◐ reconnecting"
    if status == "offline":
        return f"○ offline since {offline_since.astimezone():%H:%M}" if offline_since else "○ offline"
    if status == "disabled":
        return "○ live feed off"
    if status == "closed":
        return "○ closed"
    return "◌ connecting"


class LiveIndicator(Static):
    """The relay link's state."""

    status: reactive[str] = reactive("connecting")

    def set_state(self, status: str, retry_in: float | None = None, offline_since: datetime | None = None) -> None:
        """Show a new link state."""
        self.update(live_text(status, retry_in, offline_since))
        for name in ("connected", "reconnecting", "offline"):
            self.set_class(status == name, f"-{name}")
        self.status = status


class Clock(Static):
    """HH:MM:SS from an injectable clock, ticking each second."""

    def __init__(self, now: Callable[[], datetime], **kwargs: str) -> None:
        super().__init__(**kwargs)
        self.now = now

    def on_mount(self) -> None:
        """Start ticking."""
        self.tick()
        self.set_interval(1, self.tick)

    def tick(self) -> None:
        """Show the time."""
        self.update(f"{self.now():%H:%M:%S}")


class ConsoleHeader(Horizontal):
    """One line across the top."""

    def __init__(self, workspace: str, now: Callable[[], datetime], live: str) -> None:
        super().__init__(id="header")
        self.workspace = workspace
        self.now = now
        self.live = live

    def compose(self) -> ComposeResult:
        """Title, workspace, who, live, clock."""
        yield Static("Talkya", id="brand")
        yield Static(self.workspace, id="workspace")
        yield Static("signing in…", id="who")
        indicator = LiveIndicator(id="live")
        indicator.set_state(self.live)
        yield indicator
        yield Static("", id="pending")
        yield Clock(self.now, id="clock")

    def set_who(self, text: str) -> None:
        """Show who is signed in."""
        self.query_one("#who", Static).update(text)

    def set_pending(self, count: int) -> None:
        """Show how many writes wait in the outbox (nothing when none do)."""
        pending = self.query_one("#pending", Static)
        pending.update(f"⇡ {count} pending" if count else "")
        pending.display = bool(count)

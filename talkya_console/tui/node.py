"""What every pane, screen and section of the console reaches for: the app, typed, and its client."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from talkya_console.api import TalkyaClient
    from talkya_console.tui.app import TalkyaConsole


class ConsoleNode:
    """Mixed into widgets and screens (before the Textual class) that belong to `TalkyaConsole`."""

    @property
    def console(self) -> TalkyaConsole:
        """The app, typed."""
        return self.app  # type: ignore[attr-defined, no-any-return]

    @property
    def client(self) -> TalkyaClient | None:
        """The API client, once the app has made it."""
        return self.console.client

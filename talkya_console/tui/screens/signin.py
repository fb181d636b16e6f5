"""Signing in from the console: the device grant (RFC 8628), approved in a browser anywhere.

A code and a URL are shown; the screen waits until the staff member approves (or denies) there.
It works the same on the front desk's machine and over SSH."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Static

from talkya_console.tui.node import ConsoleNode

if TYPE_CHECKING:
    pass


class SignInScreen(ConsoleNode, Screen[bool]):
    """Covers the desk until someone signs in; dismissed with True once they have."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "retry", "New code", id="signin.retry"),
        Binding("c", "copy", "Copy link", id="signin.copy"),
        Binding("escape", "cancel", "Back", id="signin.cancel"),
    ]

    def __init__(self, reason: str = "", *, can_cancel: bool = False) -> None:
        super().__init__()
        self.reason = reason
        self.can_cancel = can_cancel
        self.link = ""

    def compose(self) -> ComposeResult:
        with Vertical(id="signin-box"):
            yield Static(self.reason, id="signin-reason", classes="" if self.reason else "-empty")
            yield Static("Asking Talkya for a sign-in code…", id="signin-status")
            yield Static("", id="signin-code")
            yield Static("", id="signin-url")
            keys = "r new code · c copy the link · " + ("escape back" if self.can_cancel else "ctrl+q quit")
            yield Static(keys, id="signin-keys")

    def on_mount(self) -> None:
        self.query_one("#signin-box").border_title = f"Sign in to {self.console.workspace}"
        self.sign_in()

    def status(self, text: str) -> None:
        self.query_one("#signin-status", Static).update(text)

    @work(exclusive=True, group="sign-in", exit_on_error=False)
    async def sign_in(self) -> None:
        """Get a code, show it, wait for the approval; failures are said, never raised."""
        from talkya_console.api import SignInError
        from talkya_console.tui.widgets.pane import api_failures

        identity = self.console.identity
        if identity is None:
            self.status("This console has no way to sign in.")
            return
        self.query_one("#signin-code", Static).update("")
        self.query_one("#signin-url", Static).update("")
        try:
            device = await identity.start_sign_in()
        except (SignInError, *api_failures()) as error:
            self.status(f"Could not get a sign-in code: {error}. Press r to try again.")
            return
        self.link = device.verification_uri_complete or device.verification_uri
        self.status(f"On any device, open {device.verification_uri} and enter the code:")
        self.query_one("#signin-code", Static).update(device.user_code)
        self.query_one("#signin-url", Static).update(f"or open {self.link}")
        try:
            await identity.finish_sign_in(device)
        except (SignInError, *api_failures()) as error:
            self.status(f"Not signed in: {error} Press r for a new code.")
            self.query_one("#signin-code", Static).update("")
            return
        self.status("Signed in.")
        self.dismiss(True)

    def action_cancel(self) -> None:
        """Back to where it was opened from (not after a sign-out: someone must sign in)."""
        if self.can_cancel:
            self.dismiss(False)

    def action_retry(self) -> None:
        self.status("Asking Talkya for a sign-in code…")
        self.sign_in()

    def action_copy(self) -> None:
        """The approval link to the clipboard (OSC 52, so it works over SSH too)."""
        if self.link:
            self.app.copy_to_clipboard(self.link)
            self.query_one("#signin-url", Static).update(f"or open {self.link} (copied)")

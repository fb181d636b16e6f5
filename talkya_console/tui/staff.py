"""The console's staff identity: who is signed in, the idle lock and its PIN, signing in and out.

A mixin of `TalkyaConsole`, kept apart so the app module stays about the desk."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from textual import events, work
from textual.app import App

from talkya_console.tui.messages import ClientReady
from talkya_console.tui.screens.lock import LockScreen, SetPinScreen
from talkya_console.tui.screens.signin import SignInScreen
from talkya_console.tui.widgets.header import ConsoleHeader
from talkya_console.tui.widgets.pane import Pane, api_failures

if TYPE_CHECKING:
    from talkya_console.api import TalkyaClient
    from talkya_console.tui.identity import Identity
    from talkya_console.wire import User

# What counts as someone at the keyboard (the idle lock's clock restarts on each).
INPUT_EVENTS = (events.Key, events.MouseDown, events.MouseScrollDown, events.MouseScrollUp, events.Paste)


class StaffDesk(App[None]):
    """Who is at the keyboard, and keeping the desk hidden from anyone else."""

    client: TalkyaClient | None
    client_factory: Callable[[], TalkyaClient]
    identity: Identity | None
    me: User | None
    locked: bool
    idle_lock_seconds: float | None
    monotonic: Callable[[], float]
    last_input: float
    recent_charts: dict[str, str]

    async def load_me(self, *, remind_pin: bool = True) -> None:
        """Who the credentials belong to: the header, "mine" and mentions follow from it."""
        from talkya_console.api import NotFound

        header = self.query_one(ConsoleHeader)
        assert self.client is not None
        try:
            me = await self.client.users.me()
        except NotFound:
            self.me = None
            header.set_who("API key (no staff member)")
            return
        except api_failures() as error:
            header.set_who(f"API unreachable ({type(error).__name__})")
            return
        self.me = me
        header.set_who(self.who_text())
        for pane in self.query(Pane):
            pane.signed_in(me)
        if remind_pin and self.identity is not None and not self.identity.has_pin(me.id):
            self.notify("Set an unlock PIN for the idle lock: ctrl+p, then “Set unlock PIN”.", timeout=8)

    def who_text(self) -> str:
        """`Jordan Reyes · front desk`, or what stands in for a person."""
        if self.me is None:
            return "not signed in as a staff member"
        return f"{self.me.name} · {self.me.role.replace('_', ' ')}"

    def notify(self, message: str, **kwargs: Any) -> None:
        """A toast, unless the desk is locked (toasts may name patients)."""
        if not self.locked:
            super().notify(message, **kwargs)

    async def on_event(self, event: events.Event) -> None:
        """Note input for the idle lock, then handle the event as usual."""
        if isinstance(event, INPUT_EVENTS):
            self.last_input = self.monotonic()
        await super().on_event(event)

    def check_idle_lock(self) -> None:
        """Lock once nobody has typed or clicked for the configured minutes."""
        idle = self.monotonic() - self.last_input
        if self.idle_lock_seconds is not None and not self.locked and idle >= self.idle_lock_seconds:
            self.action_lock()

    def action_lock(self) -> None:
        """Hide the desk until the signed-in staff member unlocks it."""
        if self.locked:
            return
        self.locked = True
        has_pin = self.me is not None and self.identity is not None and self.identity.has_pin(self.me.id)
        self.push_screen(LockScreen(self.who_text(), has_pin))

    def try_unlock(self, pin: str) -> str:
        """Check a PIN typed on the lock screen; returns why it did not unlock ("" if it did)."""
        if self.me is None or self.identity is None:
            return "No PIN can unlock this console: sign in again."
        result = self.identity.check_pin(self.me.id, pin)
        if result.ok:
            self.unlock()
            return ""
        if result.signed_out:
            self.sign_out("Signed out after too many wrong PINs.")
            return "Too many wrong PINs: signing out…"
        return f"Wrong PIN. {result.attempts_left} {'try' if result.attempts_left == 1 else 'tries'} left."

    def unlock(self) -> None:
        """Back to the desk as it was."""
        while isinstance(self.screen, (LockScreen, SignInScreen, SetPinScreen)):
            self.pop_screen()
        self.locked = False
        self.last_input = self.monotonic()

    def action_sign_in(self) -> None:
        """Sign in (again, or as someone else) with a code approved in a browser."""
        if self.identity is None:
            return
        self.locked = True
        self.push_screen(SignInScreen(can_cancel=True), self.after_sign_in)

    @work(group="identity", exit_on_error=False)
    async def sign_out(self, reason: str = "Signed out.") -> None:
        """Revoke the credentials, forget who it was, and wait for a sign-in over a hidden desk."""
        if self.identity is None:
            return
        self.locked = True
        client, self.client, self.me = self.client, None, None
        self.recent_charts.clear()  # the next person at this desk does not see whose charts were open
        self.query_one(ConsoleHeader).set_who("signed out")
        try:
            await self.identity.sign_out(client)
        finally:
            if client is not None:
                await client.aclose()
        while len(self.screen_stack) > 1:
            self.pop_screen()
        self.push_screen(SignInScreen(reason), self.after_sign_in)

    def action_sign_out(self) -> None:
        self.sign_out()

    def after_sign_in(self, signed_in: bool | None) -> None:
        """A new sign-in: a new client for it, the panes reloaded, then back to the desk."""
        if not signed_in:
            # Back to the lock screen it came from, or to the desk.
            self.locked = isinstance(self.screen, LockScreen)
            return
        self.renew_client()

    @work(group="identity", exit_on_error=False)
    async def renew_client(self) -> None:
        old, self.client = self.client, self.client_factory()
        if old is not None:
            await old.aclose()
        self.unlock()
        self.post_message(ClientReady())
        await self.load_me(remind_pin=False)
        self.ask_for_pin()

    def ask_for_pin(self) -> None:
        """After a sign-in, a staff member without an unlock PIN chooses one (or leaves it for later)."""
        if self.me is not None and self.identity is not None and not self.identity.has_pin(self.me.id):
            self.push_screen(SetPinScreen(self.me.name))

    def action_set_pin(self) -> None:
        """Choose the PIN that unlocks the idle lock."""
        if self.me is None or self.identity is None:
            self.notify("Sign in as a staff member to set an unlock PIN.", severity="warning")
            return
        self.push_screen(SetPinScreen(self.me.name))

    def save_pin(self, pin: str) -> str | None:
        """Store the signed-in user's PIN; returns what is wrong with it, if anything."""
        if self.me is None or self.identity is None:
            return "Nobody is signed in."
        try:
            self.identity.set_pin(self.me.id, pin)
        except ValueError as error:
            return str(error)
        self.notify("Unlock PIN saved.", timeout=3)
        return None

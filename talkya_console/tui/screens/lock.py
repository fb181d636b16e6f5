"""The idle lock (everything hidden until the staff member unlocks) and setting the unlock PIN."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Input, Static

from talkya_console.tui.node import ConsoleNode

if TYPE_CHECKING:
    pass

PIN_INPUT = {"password": True, "max_length": 8, "restrict": r"[0-9]*"}


class LockScreen(ConsoleNode, Screen[None]):
    """Covers the desk (no PHI shows) until the right PIN, or a new sign-in, unlocks it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "sign_in", "Sign in again", id="lock.sign_in"),
    ]

    def __init__(self, who: str, has_pin: bool) -> None:
        super().__init__()
        self.who = who
        self.has_pin = has_pin

    def compose(self) -> ComposeResult:
        """Who it is locked for, the PIN box and what else can be done."""
        with Vertical(id="lock-box"):
            yield Static("Locked", id="lock-title")
            yield Static(self.who, id="lock-who")
            if self.has_pin:
                yield Input(placeholder="PIN", id="lock-pin", **PIN_INPUT)  # type: ignore[arg-type]
            else:
                yield Static("No unlock PIN is set: sign in again to unlock.", id="lock-nopin")
            yield Static("", id="lock-message")
            yield Static("ctrl+s sign in again · ctrl+q quit", id="lock-keys")

    def on_mount(self) -> None:
        self.query_one("#lock-box").border_title = "Talkya Console"
        if self.has_pin:
            self.query_one("#lock-pin", Input).focus()

    @on(Input.Submitted, "#lock-pin")
    def submitted(self, event: Input.Submitted) -> None:
        """Try the PIN; the box empties either way."""
        pin = event.value
        event.input.value = ""
        if pin:
            self.show(self.console.try_unlock(pin))

    def show(self, message: str) -> None:
        """A line under the PIN box (why it did not unlock)."""
        self.query_one("#lock-message", Static).update(message)

    def action_sign_in(self) -> None:
        self.console.action_sign_in()


class SetPinScreen(ConsoleNode, ModalScreen[bool]):
    """Choose the PIN that unlocks an idle console (typed twice); Escape leaves it for later."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "later", "Later", id="pin.later")]

    def __init__(self, who: str) -> None:
        super().__init__()
        self.who = who

    def compose(self) -> ComposeResult:
        with Vertical(id="pin-box"):
            yield Static(f"{self.who}: choose a PIN (4-8 digits) to unlock this console when it locks.")
            yield Input(placeholder="PIN", id="pin-first", **PIN_INPUT)  # type: ignore[arg-type]
            yield Input(placeholder="the same PIN again", id="pin-again", **PIN_INPUT)  # type: ignore[arg-type]
            yield Static("", id="pin-message")
            yield Static("enter save · escape later", id="pin-keys")

    def on_mount(self) -> None:
        self.query_one("#pin-box").border_title = "Unlock PIN"
        self.query_one("#pin-first", Input).focus()

    @on(Input.Submitted, "#pin-first")
    def first(self) -> None:
        self.query_one("#pin-again", Input).focus()

    @on(Input.Submitted, "#pin-again")
    def again(self) -> None:
        first = self.query_one("#pin-first", Input)
        again = self.query_one("#pin-again", Input)
        if first.value != again.value:
            self.query_one("#pin-message", Static).update("The two PINs differ: type it again.")
            again.value = ""
            return
        problem = self.console.save_pin(first.value)
        if problem:
            self.query_one("#pin-message", Static).update(problem)
            first.value = again.value = ""
            first.focus()
            return
        self.dismiss(True)

    def action_later(self) -> None:
        self.dismiss(False)

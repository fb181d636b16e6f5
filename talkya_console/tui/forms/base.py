"""The frame every form shares: a titled box, a banner, Save and Cancel, and the API's refusals
put next to the field they name."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, ClassVar, Generic, TypeVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Select, Static

from talkya_console.tui.forms.fields import FormField
from talkya_console.tui.forms.parsing import field_path

if TYPE_CHECKING:
    from talkya_console.api import TalkyaClient
    from talkya_console.outbox import Write

R = TypeVar("R")
KEYS_TEXT = "Tab next field · Enter or Ctrl+S save · Esc cancel"


def describe_failure(error: BaseException, message: str | None) -> str:
    """A refusal or failure as one sentence for the banner; API messages name no PHI by contract."""
    import httpx

    from talkya_console.api import ConnectionError

    if isinstance(error, ConnectionError | httpx.HTTPError):
        return "Not saved: the API did not answer. Nothing is lost; press Ctrl+S to try again."
    return f"Not saved: {message or type(error).__name__}"


class FormScreen(ModalScreen[R], Generic[R]):
    """A modal form; subclasses compose the fields and build the request."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", priority=True, id="form.save"),
        Binding("escape", "cancel", "Cancel", id="form.cancel"),
    ]
    FORM_TITLE: ClassVar[str] = ""
    SAVE_LABEL: ClassVar[str] = "Save"
    #: API names for which another field answers (`phones` is the first phone).
    ALIASES: ClassVar[dict[str, str]] = {}

    def __init__(self, client: TalkyaClient) -> None:
        super().__init__()
        self.client = client
        self.saving = False
        self.discard_armed = False
        self.initial: tuple[object, ...] = ()
        # One idempotency key per distinct request: pressing Save again after a lost answer
        # repeats the same request under the same key, so the API creates one record.
        self.keys: dict[str, str] = {}

    def compose(self) -> ComposeResult:
        """Banner, fields, buttons, the keys."""
        with Vertical(classes="form-box"):
            yield Static("", id="form-banner")
            with VerticalScroll(classes="form-body"):
                yield from self.compose_fields()
            with Horizontal(classes="form-buttons"):
                yield Button(self.SAVE_LABEL, id="form-save", variant="primary", compact=True)
                yield Button("Cancel", id="form-cancel", compact=True)
                yield Static(KEYS_TEXT, classes="form-keys")

    def compose_fields(self) -> ComposeResult:
        """The form's fields."""
        raise NotImplementedError

    def on_mount(self) -> None:
        """Title the box, remember what was there, focus the first field."""
        self.query_one(".form-box").border_title = self.form_title()
        self.initial = self.snapshot()
        self.focus_first()
        self.mounted()

    def form_title(self) -> str:
        """The box's title."""
        return self.FORM_TITLE

    def mounted(self) -> None:
        """Subclasses start loading here (Textual calls every class's `on_mount` itself)."""

    def focus_first(self) -> None:
        """Focus the first field that takes input (an edit's consent box is disabled)."""
        controls = self.query_one(".form-body").query("Input, Select, Checkbox")
        first = next((control for control in controls if control.focusable), None)
        if first is not None:
            first.focus()

    def now(self) -> datetime:
        """The app's clock when it has one (the console's is fixed in tests)."""
        clock = getattr(self.app, "clock", None)
        return clock() if callable(clock) else datetime.now(UTC)

    def fields(self) -> dict[str, FormField]:
        """The form's fields by name."""
        return {field.field_name: field for field in self.query(FormField)}

    def snapshot(self) -> tuple[object, ...]:
        """Every value in the form, to tell whether anything was changed."""
        widgets = self.query_one(".form-body").query("Input, Select, Checkbox")
        return tuple(getattr(widget, "value", None) for widget in widgets)

    def show_banner(self, message: str, kind: str = "error") -> None:
        """A line at the top of the form: `error`, `warning` or `info`; empty hides it."""
        banner = self.query_one("#form-banner", Static)
        banner.update(message)
        for name in ("error", "warning", "info"):
            banner.set_class(bool(message) and name == kind, f"-{name}")

    def check_all(self) -> bool:
        """Check every field (showing every error); focus the first wrong one."""
        wrong = [field for field in self.fields().values() if not field.check()]
        wrong += [field for field in self.cross_check() if field not in wrong]
        if wrong:
            self.show_banner("Not saved: fix the fields marked in red.")
            wrong[0].control.focus()
        return not wrong

    def cross_check(self) -> list[FormField]:
        """Rules over more than one field; returns the fields it marked wrong."""
        return []

    def build(self) -> Write | None:
        """The write to make (a client call as data), or None when there is nothing to send."""
        raise NotImplementedError

    def unchanged(self) -> R | None:
        """What Save returns when there is nothing to send."""
        return None

    @on(Input.Submitted)
    def submitted(self, event: Input.Submitted) -> None:
        """Enter in any field saves."""
        event.stop()
        self.action_save()

    @on(Button.Pressed, "#form-save")
    def save_pressed(self) -> None:
        """The Save button."""
        self.action_save()

    @on(Button.Pressed, "#form-cancel")
    def cancel_pressed(self) -> None:
        """The Cancel button discards at once: pressing it is the confirmation."""
        if not self.saving:
            self.dismiss(None)

    @on(Input.Changed)
    @on(Select.Changed)
    @on(Checkbox.Changed)
    def edited(self) -> None:
        """A change after a discard warning takes the warning back."""
        if self.discard_armed:
            self.discard_armed = False
            self.show_banner("")

    def action_cancel(self) -> None:
        """Escape: close, but ask once before throwing away what was typed."""
        if self.saving:
            self.show_banner("Saving… wait for the answer.", "info")
            return
        if self.snapshot() != self.initial and not self.discard_armed:
            self.discard_armed = True
            self.show_banner("Unsaved changes: Esc again discards them, Ctrl+S saves.", "warning")
            return
        self.dismiss(None)

    def action_save(self) -> None:
        """Check the fields and send; a save in flight is never sent twice."""
        if self.saving:
            return
        self.discard_armed = False
        self.show_banner("")
        if not self.check_all():
            return
        try:
            request = self.build()
        except ValueError as error:  # a value the fields let through but the wire model refused
            self.show_refusal(error)
            return
        if request is None:
            self.dismiss(self.unchanged())
            return
        self.set_saving(True)
        self.send(request)

    def set_saving(self, saving: bool) -> None:
        """Disable Save while a request is in flight."""
        self.saving = saving
        self.query_one("#form-save", Button).disabled = saving
        if saving:
            self.show_banner("Saving…", "info")

    @work(group="form-save", exit_on_error=False)
    async def send(self, write: Write) -> None:
        """Send under the request's key; dismiss with the record (or `Queued` when Talkya could not
        be reached and the write waits in the outbox), or show the refusal."""
        from dataclasses import replace

        from talkya_console.api import APIError
        from talkya_console.outbox import request_text
        from talkya_console.tui.widgets.pane import api_failures

        write = replace(write, key=self.keys.setdefault(request_text(write), write.key))
        try:
            record = await self.app.submit(write)  # type: ignore[attr-defined]
        except (*api_failures(), APIError, ValueError) as error:
            self.show_refusal(error)
            return
        except Exception as error:  # never leave the form stuck on "Saving…"
            self.show_banner(f"Not saved: {type(error).__name__}. Nothing is lost; press Ctrl+S to try again.")
            raise
        finally:
            self.set_saving(False)
        self.dismiss(record)

    def show_refusal(self, error: BaseException) -> None:
        """Put the refusal next to the field its `param` names, else at the top; nothing typed is touched."""
        param, message = refusal_param(error)
        field = self.field_for(param)
        if field is None:
            self.show_banner(describe_failure(error, message))
            return
        field.show_error(message or "Refused.")
        self.show_banner(f"Not saved: see {field.field_label}.")
        field.control.focus()

    def field_for(self, param: str | None) -> FormField | None:
        """The field a `param` names (`phones[0].number` is the first phone), if the form has it."""
        fields = self.fields()
        for name in field_path(param):
            name = self.ALIASES.get(name, name)
            if name in fields:
                return fields[name]
        return None


def refusal_param(error: BaseException) -> tuple[str | None, str | None]:
    """(param, message) of an API refusal, or of the wire model's own refusal (pydantic)."""
    from pydantic import ValidationError as ModelError

    if isinstance(error, ModelError):
        first = error.errors()[0]
        param = ".".join(str(part) for part in first.get("loc", ())) or None
        return param, str(first.get("msg", "Invalid.")).removeprefix("Value error, ")
    param = getattr(error, "param", None)
    message = getattr(error, "message", None)
    return (param if isinstance(param, str) else None), (message if isinstance(message, str) else None)

"""The intake consent block: captured (and how, and when), plus SMS and marketing consent."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widget import Widget
from textual.widgets import Checkbox, Select, Static

from talkya_console.tui.forms.fields import FormField

if TYPE_CHECKING:
    from talkya_console.wire import IntakeConsent

#: How front desk staff capture consent (the wire also knows `ai_receptionist`, which staff do not choose).
METHODS = [("Written", "written"), ("Verbal", "verbal"), ("Electronic", "electronic")]


class ConsentField(FormField):
    """Intake consent must be captured before a patient is created; `captured_at` is when it was ticked."""

    def __init__(
        self, now: Callable[[], datetime], consent: IntakeConsent | None = None, *, required: bool = True
    ) -> None:
        super().__init__("consent", "Intake consent", required=required, classes="consent-field")
        self.now = now
        self.captured = consent is not None and consent.intake and consent.captured_at is not None
        self.captured_at = consent.captured_at if consent is not None and self.captured else None
        self.intake = Checkbox("Intake consent captured", self.captured, id="consent-intake", compact=True)
        self.intake.disabled = self.captured  # consent once captured cannot be withdrawn here
        method: Any = consent.method if consent is not None and consent.method else Select.NULL
        self.method: Select[str] = Select(
            METHODS, prompt="How?", value=method, id="consent-method", compact=True, disabled=self.captured
        )
        self.sms = Checkbox("SMS OK", consent is not None and consent.sms, id="consent-sms", compact=True)
        self.marketing = Checkbox(
            "Marketing OK", consent is not None and consent.marketing, id="consent-marketing", compact=True
        )
        if consent is not None and consent.method == "ai_receptionist":
            self.method.set_options([*METHODS, ("AI receptionist", "ai_receptionist")])
            self.method.value = "ai_receptionist"

    def compose_control(self) -> ComposeResult:
        """Captured, how, when; then SMS and marketing."""
        with Horizontal(classes="form-row consent-row"):
            yield self.intake
            yield self.method
            yield Static(self.when_text(), id="consent-when", classes="consent-when")
        with Horizontal(classes="form-row consent-row"):
            yield self.sms
            yield self.marketing

    @property
    def control(self) -> Widget:
        """The intake checkbox, or SMS when intake is already on the record."""
        return self.sms if self.captured else self.intake

    def when_text(self) -> str:
        """When consent was captured, in the console's clock zone."""
        if self.captured_at is None:
            return "not captured yet"
        if self.captured:
            return f"captured {self.captured_at:%Y-%m-%d}"
        return f"captured at {self.captured_at:%H:%M}"

    @on(Checkbox.Changed, "#consent-intake")
    def ticked(self, event: Checkbox.Changed) -> None:
        """Ticking the box is the moment consent is captured."""
        self.captured_at = self.now().replace(microsecond=0) if event.value else None
        self.query_one("#consent-when", Static).update(self.when_text())
        if self.has_error:
            self.check()

    @on(Select.Changed, "#consent-method")
    def chosen(self) -> None:
        """Choosing a method may fix the complaint."""
        if self.has_error:
            self.check()

    def read(self) -> dict[str, Any] | None:
        """The consent as the API takes it. A form that requires it refuses until intake consent is
        captured; one that does not (an older record's edit) reads None until it is."""
        if not self.intake.value or self.captured_at is None:
            if not self.required:
                return None
            raise ValueError("Capture the patient's intake consent first: tick the box and say how.")
        method = None if self.method.value is Select.NULL else self.method.value
        if method is None and not self.captured:  # a record's own consent may predate the method
            raise ValueError("Choose how the intake consent was captured.")
        return {
            "intake": True,
            "captured_at": self.captured_at,
            "method": method,
            "sms": self.sms.value,
            "marketing": self.marketing.value,
        }

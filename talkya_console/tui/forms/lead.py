"""A new lead: where it came from, who, what they want, and what they consented to."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widget import Widget
from textual.widgets import Checkbox

from talkya_console.tui.forms.base import FormScreen
from talkya_console.tui.forms.fields import FormField, TextField
from talkya_console.tui.forms.parsing import e164, optional_text, required_name

if TYPE_CHECKING:
    from talkya_console.api import TalkyaClient
    from talkya_console.outbox import Write
    from talkya_console.wire import Lead  # noqa: F401  (the form's result type, named in a string)

SOURCE = re.compile(r"^[a-z][a-z0-9_]{1,39}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
SHORT_MAX = 200
CONSENTS = (("sms", "SMS"), ("marketing", "Marketing"), ("email", "Email"))


def parse_source(text: str) -> str:
    """A lead source as the API takes it: `website`, `walk_in`, `instagram`."""
    value = text.strip().lower().replace(" ", "_").replace("-", "_")
    if not value:
        raise ValueError("Required: website, phone, walk_in, referral…")
    if not SOURCE.match(value):
        raise ValueError("Letters, digits and _; starting with a letter (website, walk_in).")
    return value


def parse_short(text: str) -> str | None:
    """Short free text, or none."""
    value = optional_text(text)
    if value is not None and len(value) > SHORT_MAX:
        raise ValueError(f"At most {SHORT_MAX} characters.")
    return value


def parse_email(text: str) -> str | None:
    """One email address, or none."""
    value = text.strip()
    if not value:
        return None
    if not EMAIL.match(value) or len(value) > 254:
        raise ValueError("Not an email address (name@example.com).")
    return value


class ConsentField(FormField):
    """What the person agreed to be contacted by: three boxes."""

    def __init__(self, name: str, label: str) -> None:
        super().__init__(name, label, classes="consent-field")
        self.boxes = {key: Checkbox(text, False, compact=True, id=f"consent-{key}") for key, text in CONSENTS}

    def compose_control(self) -> ComposeResult:
        """The boxes, in a row."""
        with Horizontal(classes="consent-row"):
            yield from self.boxes.values()

    @property
    def control(self) -> Widget:
        """The first box."""
        return self.boxes["sms"]

    def read(self) -> dict[str, bool]:
        """`{"sms": …, "marketing": …, "email": …}`."""
        return {key: box.value for key, box in self.boxes.items()}


class NewLeadScreen(FormScreen["Lead"]):
    """Capture a lead; dismisses with the Lead (or `Queued`), or None when cancelled."""

    DEFAULT_CSS = "NewLeadScreen { align: center middle; }"
    FORM_TITLE = "New lead"
    SAVE_LABEL = "Create lead"

    def __init__(self, client: TalkyaClient, source: str = "front_desk") -> None:
        super().__init__(client)
        self.source = source

    def compose_fields(self) -> ComposeResult:
        """Who, how to reach them, where from, what they want, consent."""
        yield TextField("patient.name", "Name", required_name, placeholder="Maria Lopez", required=True)
        with Horizontal(classes="form-row"):
            yield TextField("patient.phone", "Phone", e164, placeholder="+1 305 555 0123", hint=str)
            yield TextField("patient.email", "Email", parse_email, placeholder="name@example.com")
        with Horizontal(classes="form-row"):
            yield TextField("source", "Source", parse_source, value=self.source, required=True)
            yield TextField("campaign", "Campaign", parse_short, placeholder="optional")
        with Horizontal(classes="form-row"):
            yield TextField("intent", "Intent", parse_short, placeholder="new_consult")
            yield TextField("service_interest", "Service interest", parse_short, placeholder="Botox consult")
        yield ConsentField("consent", "Consent")

    def build(self) -> Write:
        """A LeadCreate."""
        from talkya_console.outbox import Write
        from talkya_console.wire import LeadCreate

        fields = self.fields()
        patient = {name: fields[f"patient.{name}"].read() for name in ("name", "phone", "email")}
        optional = {name: fields[name].read() for name in ("intent", "service_interest", "campaign")}
        params = LeadCreate.model_validate(
            {
                "source": fields["source"].read(),
                **{name: value for name, value in optional.items() if value is not None},
                "patient": {name: value for name, value in patient.items() if value is not None},
                "consent": fields["consent"].read(),
            }
        )
        return Write("leads.create", (params,), label="New lead")

"""New patient and edit demographics: the same fields; a new patient needs intake consent first."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from textual.app import App, ComposeResult
from textual.containers import Horizontal
from textual.message import Message

from talkya_console.tui.forms.base import FormScreen
from talkya_console.tui.forms.consent import ConsentField
from talkya_console.tui.forms.fields import SelectField, TextField
from talkya_console.tui.forms.parsing import (
    e164,
    optional_name,
    optional_text,
    parse_dob,
    parse_emails,
    parse_state,
    parse_tags,
    parse_zip,
    required_name,
)
from talkya_console.tui.messages import OpenChart
from talkya_console.tui.outgoing import Queued

if TYPE_CHECKING:
    from talkya_console.api import TalkyaClient
    from talkya_console.outbox import Write
    from talkya_console.wire import Patient

SEXES = [("Unknown", "unknown"), ("Female", "female"), ("Male", "male"), ("Intersex", "intersex"), ("Other", "other")]
PHONE_TYPES = [("Mobile", "mobile"), ("Home", "home"), ("Work", "work"), ("Other", "other")]
PHONE_ROWS = 2
ADDRESS_PARTS = ("line1", "city", "state", "postal_code")
SIMPLE = ("first_name", "last_name", "preferred_name", "dob", "sex", "emails", "tags")


class PatientForm(FormScreen["Patient"]):
    """The demographics fields, prefilled from `patient` when there is one."""

    ALIASES: ClassVar[dict[str, str]] = {"phones": "phones.0", "address": "address.line1", "name": "first_name"}

    def __init__(self, client: TalkyaClient, patient: Patient | None = None) -> None:
        super().__init__(client)
        self.patient = patient
        self.phone_rows = max(PHONE_ROWS, len(patient.phones) if patient else 0)

    def compose_fields(self) -> ComposeResult:
        """Consent first, then names, birth, phones, emails, address, tags."""
        p = self.patient
        address = p.address if p is not None else None

        def text(name: str) -> str:
            value = getattr(address, name, None) if name in ADDRESS_PARTS else getattr(p, name, None)
            return str(value) if value is not None else ""

        yield ConsentField(self.now, p.consent if p is not None else None, required=p is None)
        with Horizontal(classes="form-row"):
            yield TextField("first_name", "First name", required_name, value=text("first_name"), required=True)
            yield TextField("last_name", "Last name", required_name, value=text("last_name"), required=True)
            yield TextField("preferred_name", "Preferred name", optional_name, value=text("preferred_name"))
        with Horizontal(classes="form-row"):
            yield TextField(
                "dob",
                "Date of birth",
                lambda typed: parse_dob(typed, self.now().date()),
                value=text("dob"),
                placeholder="1980-03-14 or 3/14/80",
                hint=lambda born: f"{born:%d %b %Y}",
            )
            yield SelectField("sex", "Sex", SEXES, value=p.sex if p is not None else "unknown", allow_blank=False)
        for row in range(self.phone_rows):
            phone = p.phones[row] if p is not None and row < len(p.phones) else None
            with Horizontal(classes="form-row"):
                yield SelectField(
                    f"phones.{row}.type",
                    "Type",
                    PHONE_TYPES,
                    value=phone.type if phone else "mobile",
                    allow_blank=False,
                    classes="phone-type",
                )
                yield TextField(
                    f"phones.{row}",
                    f"Phone {row + 1}",
                    e164,
                    value=phone.number if phone else "",
                    placeholder="(305) 555-0123",
                    hint=str,
                )
        yield TextField(
            "emails",
            "Email",
            parse_emails,
            value=", ".join(p.emails) if p is not None else "",
            placeholder="name@example.com (several: separate with commas)",
        )
        yield TextField("address.line1", "Address", optional_text, value=text("line1"))
        with Horizontal(classes="form-row"):
            yield TextField("address.city", "City", optional_text, value=text("city"))
            yield TextField("address.state", "State", parse_state, value=text("state"), classes="narrow")
            yield TextField("address.postal_code", "ZIP", parse_zip, value=text("postal_code"), classes="narrow")
        yield TextField(
            "tags", "Tags", parse_tags, value=", ".join(p.tags) if p is not None else "", placeholder="vip, glp1"
        )

    def values(self) -> dict[str, Any]:
        """Every field read as the API takes it (the fields have been checked)."""
        fields = self.fields()
        values = {name: fields[name].read() for name in SIMPLE}
        values["phones"] = [
            {"type": fields[f"phones.{row}.type"].read(), "number": number}
            for row in range(self.phone_rows)
            if (number := fields[f"phones.{row}"].read())
        ]
        address = {part: fields[f"address.{part}"].read() for part in ADDRESS_PARTS}
        values["address"] = address if any(address.values()) else None
        values["consent"] = fields["consent"].read()
        return values


class NewPatientScreen(PatientForm):
    """Create a patient; dismisses with the new Patient, or None when cancelled."""

    FORM_TITLE = "New patient"
    SAVE_LABEL = "Create patient"

    def __init__(self, client: TalkyaClient) -> None:
        super().__init__(client)

    def build(self) -> Write:
        """A PatientCreate of every field."""
        from talkya_console.outbox import Write
        from talkya_console.wire import PatientCreate

        params = PatientCreate.model_validate(self.values())
        return Write("patients.create", (params,), label="New patient")


class EditPatientScreen(PatientForm):
    """Change a patient's demographics: PATCHes only the fields changed; dismisses with the Patient."""

    FORM_TITLE = "Edit demographics"
    SAVE_LABEL = "Save changes"

    def __init__(self, client: TalkyaClient, patient: Patient) -> None:
        super().__init__(client, patient)
        self.patient: Patient = patient

    def form_title(self) -> str:
        """Name the patient in the title."""
        return f"{self.FORM_TITLE} · {self.patient.name}"

    def changes(self) -> dict[str, Any]:
        """The fields whose values differ from the record's."""
        p = self.patient
        values = self.values()
        changes = {name: values[name] for name in SIMPLE if values[name] != getattr(p, name)}
        if [(phone["type"], phone["number"]) for phone in values["phones"]] != [(x.type, x.number) for x in p.phones]:
            changes["phones"] = values["phones"]
        before = {part: getattr(p.address, part, None) for part in ADDRESS_PARTS}
        after = values["address"] or dict.fromkeys(ADDRESS_PARTS)
        if after != before:
            # The API replaces the address whole: keep the parts this form does not show.
            kept = p.address.model_dump() if p.address is not None else {}
            changes["address"] = {**kept, **after}
        consent, known = values["consent"], p.consent
        if consent is not None and (known.intake, known.method, known.sms, known.marketing) != (
            True,
            consent["method"],
            consent["sms"],
            consent["marketing"],
        ):
            changes["consent"] = consent
        return changes

    def build(self) -> Write | None:
        """A PatientUpdate of the changed fields, or None when nothing changed."""
        from talkya_console.outbox import Write
        from talkya_console.wire import PatientUpdate

        changes = self.changes()
        if not changes:
            return None
        params = PatientUpdate.model_validate(changes)
        return Write("patients.update", (self.patient.id, params), label="Edit demographics", subject=self.patient.id)

    def unchanged(self) -> Patient:
        """Nothing changed: the record as it was."""
        return self.patient


def open_new_patient(app: App[object], post: Callable[[Message], object] | None = None) -> None:
    """Open the new-patient form; a created patient's chart opens (through `post`, else the app)."""
    client = getattr(app, "client", None)
    if client is None:
        app.notify("Waiting for the API…", severity="warning", timeout=3)
        return

    def created(patient: Patient | Queued | None) -> None:
        if isinstance(patient, Queued):
            app.notify("Talkya did not answer: the new patient waits in the outbox (Ctrl+O).", timeout=6)
        elif patient is not None:
            (post or app.post_message)(OpenChart(patient.id))

    app.push_screen(NewPatientScreen(client), created)

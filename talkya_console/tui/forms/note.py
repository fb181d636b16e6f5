"""Attach a note to an encounter: a template (SOAP, progress, procedure, telehealth) lays out its
sections, each a text area with the template's prompt; saving drafts the note (`s` signs it)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widget import Widget
from textual.widgets import Select, Static, TextArea

from talkya_console.tui.forms.base import FormScreen
from talkya_console.tui.forms.fields import FormField, SelectField, TextField

if TYPE_CHECKING:
    from datetime import datetime

    from talkya_console.api import TalkyaClient
    from talkya_console.outbox import Write
    from talkya_console.wire import Encounter, Note  # noqa: F401 (the string "Note" below names it)

ENCOUNTER_LIMIT = 100
SECTION_MAX = 20_000  # the wire's limit on one section
TITLE_MAX = 200

#: Each note type's sections, in order, with the prompt an empty section shows. The keys are the
#: API's own: a note drafted without sections gets these (the sandbox's `clinical.TEMPLATES`).
TEMPLATES: dict[str, tuple[str, tuple[tuple[str, str], ...]]] = {
    "soap": (
        "SOAP",
        (
            ("subjective", "Chief complaint, history of the present concern, what the patient reports"),
            ("objective", "Vitals, examination findings, photos taken"),
            ("assessment", "Impression and diagnosis"),
            ("plan", "Treatment, prescriptions, instructions, follow-up"),
        ),
    ),
    "progress": (
        "Progress",
        (
            ("interval_history", "Since the last visit: changes, adherence, side effects"),
            ("progress", "Progress toward goals: weight, measurements, results"),
            ("plan", "Next steps, dose changes, follow-up"),
        ),
    ),
    "procedure": (
        "Procedure",
        (
            ("procedure", "Procedure performed and areas treated"),
            ("consent", "Consent obtained: form signed, risks and alternatives discussed"),
            ("technique", "Technique, injection sites, units or volume"),
            ("products_used", "Product, lot number, expiry, amount"),
            ("aftercare", "Aftercare instructions given, follow-up booked"),
        ),
    ),
    "telehealth": (
        "Telehealth",
        (
            ("chief_complaint", "Why the patient asked for the visit"),
            ("history", "History given over video, medications, allergies"),
            ("assessment", "Impression; what could not be examined remotely"),
            ("plan", "Treatment, prescriptions, in-person follow-up if needed"),
        ),
    ),
}


def heading(key: str) -> str:
    """`products_used` as `Products used`."""
    return key.replace("_", " ").capitalize()


def encounter_label(encounter: Encounter, now: datetime) -> str:
    """`2026-11-20 follow up · open`."""
    stamp = encounter.scheduled_at or encounter.created_at
    day = f"{stamp.astimezone(now.tzinfo):%Y-%m-%d}" if stamp else "—"
    return f"{day} {encounter.type.replace('_', ' ')} · {encounter.status}"


def optional_title(text: str) -> str | None:
    """A title for the note, which may be left empty."""
    value = text.strip()
    if len(value) > TITLE_MAX:
        raise ValueError(f"At most {TITLE_MAX} characters.")
    return value or None


class SectionField(FormField):
    """One section of the note: its heading, a text area showing the template's prompt when empty."""

    def __init__(self, key: str, prompt: str, text: str = "") -> None:
        super().__init__(f"sections.{key}", heading(key), classes="note-section")
        self.key = key
        self.area = TextArea(text, placeholder=prompt, soft_wrap=True, tab_behavior="focus", compact=True)

    def compose_control(self) -> ComposeResult:
        """The text area."""
        yield self.area

    @property
    def control(self) -> Widget:
        """The text area."""
        return self.area

    def read(self) -> str:
        """The section's text, trimmed."""
        text = self.area.text.strip()
        if len(text) > SECTION_MAX:
            raise ValueError(f"At most {SECTION_MAX:,} characters; this section has {len(text):,}.")
        return text

    @on(TextArea.Changed)
    def typed(self) -> None:
        """Typing clears a complaint."""
        if self.has_error:
            self.check()


class NewNoteScreen(FormScreen["Note"]):
    """Draft a note on one of `patient_id`'s encounters (`encounter_id` first, else the newest open
    one); dismisses with the Note, a `Queued` when Talkya could not be reached, or None."""

    FORM_TITLE = "Attach note"
    SAVE_LABEL = "Save draft"
    DEFAULT_CSS = """
    NewNoteScreen { align: center middle; }
    NewNoteScreen .note-section TextArea { height: 4; background: $boost; }
    NewNoteScreen .note-section TextArea.-invalid { background-tint: $error 20%; }
    NewNoteScreen #note-sections { height: auto; }
    """

    def __init__(
        self, client: TalkyaClient, patient_id: str, encounter_id: str | None = None, note_type: str = "soap"
    ) -> None:
        super().__init__(client)
        self.patient_id = patient_id
        self.encounter_id = encounter_id
        self.note_type = note_type if note_type in TEMPLATES else "soap"
        self.encounters: dict[str, Encounter] = {}
        self.texts: dict[str, str] = {}  # every section's text by heading, across template switches

    def compose_fields(self) -> ComposeResult:
        """Template and encounter, a title, then the template's sections."""
        with Horizontal(classes="form-row"):
            yield SelectField(
                "type",
                "Template",
                [(name, key) for key, (name, _) in TEMPLATES.items()],
                value=self.note_type,
                allow_blank=False,
            )
            yield SelectField("encounter_id", "Encounter", [], prompt="Loading encounters…", required=True)
        yield TextField("title", "Title", optional_title, placeholder="Optional, such as Botox follow-up")
        with Vertical(id="note-sections"):
            yield from self.section_fields(self.note_type, {})

    @staticmethod
    def section_fields(note_type: str, texts: dict[str, str]) -> list[SectionField]:
        """The template's sections, keeping what was typed under the same heading."""
        return [SectionField(key, prompt, texts.get(key, "")) for key, prompt in TEMPLATES[note_type][1]]

    def sections(self) -> list[SectionField]:
        """The section fields shown, in order."""
        return list(self.query(SectionField))

    def snapshot(self) -> tuple[object, ...]:
        """The fields' values and every section's text."""
        return (*super().snapshot(), *(section.area.text for section in self.sections()))

    def mounted(self) -> None:
        """Enter starts a new line here, so only Ctrl+S saves; load the patient's encounters."""
        self.query_one(".form-keys", Static).update("Tab next field · Ctrl+S save · Esc cancel")
        self.load_encounters()

    @work(group="form-load", exit_on_error=False)
    async def load_encounters(self) -> None:
        """The patient's encounters, newest first; the one asked for, else the newest open one, chosen."""
        from talkya_console.tui.widgets.pane import api_failures

        try:
            found = await self.client.encounters.list(patient_id=self.patient_id).collect(ENCOUNTER_LIMIT)
            if self.encounter_id and self.encounter_id not in {encounter.id for encounter in found}:
                found.insert(0, await self.client.encounters.get(self.encounter_id))
        except api_failures() as error:
            self.show_banner(f"Could not load the encounters ({type(error).__name__}); Esc and retry.")
            return
        self.encounters = {encounter.id: encounter for encounter in found}
        selector = self.encounter_field().selector
        selector.set_options((encounter_label(encounter, self.now()), encounter.id) for encounter in found)
        chosen = self.encounter_id or next((e.id for e in found if e.status == "open"), None)
        if chosen is not None:
            selector.value = chosen
            selector.prompt = "Choose an encounter"
        else:
            selector.prompt = "No open encounter: open one first (n in the chart)"
        self.initial = self.snapshot()

    def encounter_field(self) -> SelectField[str]:
        """The encounter chooser."""
        field = self.fields()["encounter_id"]
        assert isinstance(field, SelectField)
        return field

    @on(Select.Changed)
    async def choice_made(self, event: Select.Changed) -> None:
        """A template lays out its sections; a closed encounter is flagged before it is refused."""
        fields = self.fields()
        if event.select is fields["type"].control and event.value != self.note_type:
            await self.switch_template(str(event.value))
        elif event.select is fields["encounter_id"].control:
            self.flag_encounter(event.value)

    def flag_encounter(self, value: object) -> None:
        """Say under the encounter when it no longer takes notes."""
        field = self.encounter_field()
        encounter = self.encounters.get(value) if isinstance(value, str) else None
        if encounter is not None and encounter.status != "open" and not field.has_error:
            field.show_hint(f"This encounter is {encounter.status}: Talkya takes notes only on open encounters.")
        elif not field.has_error:
            field.show_hint("")

    async def switch_template(self, note_type: str) -> None:
        """Lay out another template's sections; what was typed under a heading comes back with it
        (switching SOAP to procedure and on to telehealth keeps the plan)."""
        self.texts.update({section.key: section.area.text for section in self.sections()})
        self.note_type = note_type
        box = self.query_one("#note-sections")
        await box.remove_children()
        await box.mount_all(self.section_fields(note_type, self.texts))

    @on(TextArea.Changed)
    def written(self) -> None:
        """Typing after a discard warning takes the warning back."""
        self.edited()

    def cross_check(self) -> list[FormField]:
        """A note needs something written in at least one section."""
        sections = self.sections()
        if sections and not any(section.area.text.strip() for section in sections):
            sections[0].show_error("Write something in at least one section.")
            return [sections[0]]
        return []

    def field_for(self, param: str | None) -> FormField | None:
        """`sections` (as a whole) is the first section."""
        if param == "sections" and self.sections():
            return self.sections()[0]
        return super().field_for(param)

    def show_refusal(self, error: BaseException) -> None:
        """A closed encounter is refused without a `param`: say it under the encounter."""
        if getattr(error, "code", None) == "encounter_closed":
            field = self.encounter_field()
            field.show_error(getattr(error, "message", None) or "This encounter no longer takes notes.")
            self.show_banner(f"Not saved: see {field.field_label}.")
            field.control.focus()
            return
        super().show_refusal(error)

    def build(self) -> Write:
        """A NoteCreate: every section of the template, written or not, so the note keeps its shape."""
        from talkya_console.outbox import Write
        from talkya_console.wire import NoteCreate

        fields = self.fields()
        params: dict[str, Any] = {
            "encounter_id": fields["encounter_id"].read(),
            "type": self.note_type,
            "sections": {section.key: section.read() for section in self.sections()},
        }
        if (title := fields["title"].read()) is not None:
            params["title"] = title
        return Write("notes.create", (NoteCreate.model_validate(params),), label="New note", subject=self.patient_id)

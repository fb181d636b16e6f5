"""The chart's clinical sections: encounters, notes, documents and telehealth visits."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from rich.console import RenderableType
from textual.binding import Binding, BindingType

from talkya_console.outbox import Write
from talkya_console.tui.chart.detail import NOTE_TYPE, NoteScreen
from talkya_console.tui.chart.section import Directory, ListSection, duration, label, when

if TYPE_CHECKING:  # imported for annotations only: the first frame does not wait for them
    from textual.screen import Screen

    from talkya_console.api import TalkyaClient
    from talkya_console.api._pagination import AsyncPager
    from talkya_console.wire import Document, Encounter, Note, TelehealthVisit

OFFLINE = "Saved offline: will be sent when Talkya is back."
ENCOUNTER_STATUS = {"open": "● open", "closed": "✓ closed", "cancelled": "✗ cancelled"}
CLIP = 32  # free text longer than this is cut, so the columns after it stay on screen


def clip(text: str | None) -> str:
    """The text, cut with `…` past `CLIP` characters."""
    if not text:
        return "—"
    return text if len(text) <= CLIP else text[: CLIP - 1].rstrip() + "…"


def size(count: int) -> str:
    """`512 B`, `1.2 KB`, `3.4 MB`."""
    if count < 1024:
        return f"{count} B"
    if count < 1024 * 1024:
        return f"{count / 1024:.1f} KB"
    return f"{count / (1024 * 1024):.1f} MB"


def open_form(section: ListSection[Any], form: Screen[Any], saved: str, target: str) -> None:
    """Push a chart form; once it saves, say so and reload the section (`target`) the record shows in.

    A write that waits in the outbox (Talkya could not be reached) is said to, and shows nowhere yet."""
    from talkya_console.tui.outgoing import Queued

    def done(result: object | None) -> None:
        if result is None:
            return
        if isinstance(result, Queued):
            section.notify(OFFLINE, timeout=5)
            return
        section.notify(saved, timeout=3)
        shown = section.screen.query(f"#{target}").first(ListSection)
        if shown.loaded:
            shown.reload()

    section.app.push_screen(form, done)


class Encounters(ListSection["Encounter"]):
    """The visit timeline, newest first."""

    COLUMNS = (
        ("date", "Date"),
        ("type", "Visit type"),
        ("provider", "Provider"),
        ("status", "Status"),
        ("reason", "Reason"),
        ("location", "Location"),
    )
    NOUN = ("encounter", "encounters")
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("c", "close_encounter", "Close encounter", id="chart.close_encounter"),
        Binding("a", "attach_note", "Attach note", id="chart.attach_note"),
    ]

    def __init__(self, *, patient_id: str, directory: Directory) -> None:
        super().__init__("2 Encounters", id="encounters", patient_id=patient_id, directory=directory)

    def action_attach_note(self) -> None:
        """Draft a note on the encounter under the cursor; the Notes section shows it."""
        from talkya_console.tui.forms import NewNoteScreen

        encounter, client = self.current(), self.client
        if client is None:
            return
        form = NewNoteScreen(client, self.patient_id, encounter.id if encounter is not None else None)
        open_form(self, form, "Note saved as a draft; s in Notes signs it.", "notes")

    def action_close_encounter(self) -> None:
        """Close the encounter under the cursor, once confirmed."""
        encounter, client = self.current(), self.client
        if encounter is None or client is None:
            return
        if encounter.status != "open":
            self.show_problem(f"This encounter is already {encounter.status}.")
            return
        question = f"Close the {label(encounter.type)} encounter of {when(encounter.scheduled_at or encounter.created_at, self.now())}?"
        self.confirm_then(
            "Close encounter",
            question,
            Write("encounters.close", (encounter.id,), label="Close encounter", subject=self.patient_id),
        )

    def pager(self, client: TalkyaClient) -> AsyncPager[Encounter]:
        """This patient's encounters."""
        return client.encounters.list(patient_id=self.patient_id)

    async def prepare(self, client: TalkyaClient, items: list[Encounter]) -> None:
        """Provider and location names; the encounters are kept for the notes' labels."""
        self.directory.encounters.update({encounter.id: encounter for encounter in items})
        await self.directory.fetch_users(client, [encounter.provider_id for encounter in items])
        await self.directory.fetch_locations(client)

    def cells(self, item: Encounter) -> tuple[RenderableType, ...]:
        """Date, type, provider, status, reason, location."""
        return (
            when(item.scheduled_at or item.created_at, self.now()),
            label(item.type),
            self.directory.user(item.provider_id),
            ENCOUNTER_STATUS.get(item.status, item.status),
            clip(item.reason),
            self.directory.location(item.location_id),
        )


class Notes(ListSection["Note"]):
    """Clinical notes, newest first; Enter shows one."""

    COLUMNS = (
        ("type", "Note"),
        ("encounter", "Encounter"),
        ("signed", "Signed"),
        ("addenda", "Addenda"),
    )
    NOUN = ("note", "notes")
    HINT = "Enter shows a note; s signs a draft."
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("s", "sign_note", "Sign note", id="chart.sign_note"),
        Binding("a", "attach_note", "Attach note", id="chart.attach_note"),
    ]

    def __init__(self, *, patient_id: str, directory: Directory) -> None:
        super().__init__("3 Notes", id="notes", patient_id=patient_id, directory=directory)

    def action_attach_note(self) -> None:
        """Draft a note: on the encounter of the note under the cursor while it is open, else on the
        patient's newest open encounter."""
        from talkya_console.tui.forms import NewNoteScreen

        note, client = self.current(), self.client
        if client is None:
            return
        encounter = self.directory.encounters.get(note.encounter_id) if note is not None else None
        chosen = encounter.id if encounter is not None and encounter.status == "open" else None
        open_form(self, NewNoteScreen(client, self.patient_id, chosen), "Note saved as a draft; s signs it.", "notes")

    def action_sign_note(self) -> None:
        """Sign the draft under the cursor, once confirmed; a signed note is read-only."""
        note, client = self.current(), self.client
        if note is None or client is None:
            return
        if note.status == "signed":
            self.show_problem("This note is signed and cannot change; corrections are addenda.")
            return
        question = "Sign this note? A signed note cannot be changed; corrections are made as addenda."
        self.confirm_then(
            "Sign note", question, Write("notes.sign", (note.id,), label="Sign note", subject=self.patient_id)
        )

    def pager(self, client: TalkyaClient) -> AsyncPager[Note]:
        """This patient's notes."""
        return client.notes.list(patient_id=self.patient_id)

    async def prepare(self, client: TalkyaClient, items: list[Note]) -> None:
        """Signers' names, and the encounters the notes are on."""
        await self.directory.fetch_users(client, [n.signed_by for n in items] + [n.author_id for n in items])
        await self.directory.fetch_encounters(client, [note.encounter_id for note in items])

    def cells(self, item: Note) -> tuple[RenderableType, ...]:
        """Type and title, encounter, signed state, addenda."""
        kind = NOTE_TYPE.get(item.type, item.type)
        signed = (
            f"{self.directory.user(item.signed_by)}, {when(item.signed_at, self.now())[:10]}"
            if item.status == "signed"
            else "draft"
        )
        return (
            clip(f"{kind} · {item.title}" if item.title else kind),
            self.directory.encounter(item.encounter_id, self.now()),
            signed,
            str(len(item.addenda)) if item.addenda else "—",
        )

    def open(self, item: Note) -> None:
        """The note's sections and addenda, read only."""
        self.app.push_screen(NoteScreen(item, self.directory, self.now()))


class Documents(ListSection["Document"]):
    """Documents on the chart, newest first."""

    COLUMNS = (
        ("type", "Type"),
        ("title", "Title"),
        ("filename", "File"),
        ("size", "Size"),
        ("uploaded", "Uploaded"),
    )
    NOUN = ("document", "documents")
    BINDINGS: ClassVar[list[BindingType]] = [Binding("u", "upload", "Upload", id="chart.upload_document")]

    def __init__(self, *, patient_id: str, directory: Directory) -> None:
        super().__init__("4 Documents", id="documents", patient_id=patient_id, directory=directory)

    def action_upload(self) -> None:
        """Upload a file to the chart; this section shows it."""
        from talkya_console.tui.forms import UploadDocumentScreen

        client = self.client
        if client is not None:
            open_form(self, UploadDocumentScreen(client, self.patient_id), "Document uploaded.", "documents")

    def pager(self, client: TalkyaClient) -> AsyncPager[Document]:
        """This patient's documents."""
        return client.documents.list(patient_id=self.patient_id)

    def cells(self, item: Document) -> tuple[RenderableType, ...]:
        """Type, title, filename, size, uploaded at."""
        return (
            label(item.type),
            clip(item.title),
            clip(item.filename),
            size(item.size),
            when(item.created_at, self.now()),
        )


class Telehealth(ListSection["TelehealthVisit"]):
    """Telehealth visits."""

    COLUMNS = (
        ("scheduled", "Scheduled"),
        ("status", "Status"),
        ("duration", "Duration"),
        ("recording", "Recording"),
        ("provider", "Provider"),
        ("reason", "Reason"),
    )
    NOUN = ("visit", "visits")

    def __init__(self, *, patient_id: str, directory: Directory) -> None:
        super().__init__("5 Telehealth", id="telehealth", patient_id=patient_id, directory=directory)

    def pager(self, client: TalkyaClient) -> AsyncPager[TelehealthVisit]:
        """This patient's visits."""
        return client.telehealth_visits.list(patient_id=self.patient_id)

    async def prepare(self, client: TalkyaClient, items: list[TelehealthVisit]) -> None:
        """Provider names."""
        await self.directory.fetch_users(client, [visit.provider_id for visit in items])

    def cells(self, item: TelehealthVisit) -> tuple[RenderableType, ...]:
        """Scheduled, status, duration, recording state, provider, reason."""
        recording = label(item.recording.state) if item.recording.enabled else "not recorded"
        return (
            when(item.scheduled_at, self.now()),
            label(item.status),
            duration(item.duration_seconds) if item.duration_seconds else "—",
            recording,
            self.directory.user(item.provider_id),
            clip(item.reason),
        )

"""Read-only views over the chart: one note with its sections and addenda, one call's transcript."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from talkya_console.tui.chart.section import Directory, duration, label, when
from talkya_console.tui.node import ConsoleNode
from talkya_console.tui.widgets.keyline import KeyLine
from talkya_console.tui.widgets.pane import api_failures

if TYPE_CHECKING:  # imported for annotations only: the first frame does not wait for them
    from datetime import datetime

    from talkya_console.wire import Call, Note, Transcript

SOAP_ORDER = ("subjective", "objective", "assessment", "plan")
NOTE_TYPE = {"soap": "SOAP", "progress": "Progress", "procedure": "Procedure", "telehealth": "Telehealth"}
SPEAKER = {"caller": "Caller", "ai_receptionist": "Talkya", "staff": "Staff"}


def heading(key: str) -> str:
    """`products_used` as `Products used`."""
    return key.replace("_", " ").capitalize()


def note_view(note: Note, directory: Directory, now: datetime) -> RenderableType:
    """The note's facts, its sections (SOAP order first, then the template's own), and its addenda."""
    facts = Table.grid(padding=(0, 2))
    facts.add_column(style="bold", justify="right")
    facts.add_column()
    facts.add_row("Type", NOTE_TYPE.get(note.type, note.type))
    facts.add_row("Encounter", directory.encounter(note.encounter_id, now))
    facts.add_row("Author", directory.user(note.author_id))
    signed = f"by {directory.user(note.signed_by)}, {when(note.signed_at, now)}" if note.status == "signed" else "no"
    facts.add_row("Signed", signed)
    parts: list[RenderableType] = [facts]
    keys = [key for key in SOAP_ORDER if key in note.sections]
    keys += [key for key in note.sections if key not in SOAP_ORDER]
    for key in keys:
        parts += [Text(""), Text(heading(key), style="bold underline"), Text(note.sections[key] or "—")]
    if not keys:
        parts += [Text(""), Text("No sections written.", style="italic")]
    parts += [Text(""), Text(f"Addenda ({len(note.addenda)})", style="bold underline")]
    for addendum in note.addenda:
        who = directory.user(addendum.author_id)
        parts += [Text(f"{when(addendum.created_at, now)} · {who}", style="bold"), Text(addendum.text)]
    if not note.addenda:
        parts.append(Text("None."))
    return Group(*parts)


def transcript_view(call: Call, transcript: Transcript, now: datetime) -> RenderableType:
    """The call's summary and next steps, then each segment: time into the call, speaker, text."""
    head = Text.assemble(
        (f"{when(call.started_at, now)}", "bold"),
        f" · {label(call.intent)} · {label(call.outcome)} · {duration(call.duration_seconds)}",
        f" · transcript {transcript.status}",
    )
    parts: list[RenderableType] = [head, Text(""), Text("Summary", style="bold underline")]
    parts.append(Text(transcript.summary or call.summary or "—"))
    if transcript.next_steps:
        parts += [Text(""), Text("Next steps", style="bold underline")]
        parts += [Text(f"• {step}") for step in transcript.next_steps]
    parts += [Text(""), Text("Transcript", style="bold underline")]
    segments = Table.grid(padding=(0, 1))
    segments.add_column(style="dim", justify="right", no_wrap=True)
    segments.add_column(style="bold", no_wrap=True)
    segments.add_column(ratio=1)
    for segment in transcript.segments:
        segments.add_row(
            duration(segment.start_ms // 1000), SPEAKER.get(segment.speaker, segment.speaker), segment.text
        )
    parts.append(segments if transcript.segments else Text("Nothing said yet."))
    return Group(*parts)


class DetailScreen(ConsoleNode, ModalScreen[None]):
    """A scrolling read-only box; Escape closes."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "dismiss", "Close", id="chart.detail.close")]

    def __init__(self, title: str, body: RenderableType) -> None:
        super().__init__(classes="chart-detail")
        self.title_text = title
        self.body = body

    def compose(self) -> ComposeResult:
        """The box and the footer."""
        with VerticalScroll(id="detail-box"):
            yield Static(self.body, id="detail-body")
        yield KeyLine()

    def on_mount(self) -> None:
        """Title the box and take the focus, so the arrows scroll it."""
        box = self.query_one("#detail-box")
        box.border_title = self.title_text
        box.focus()


class NoteScreen(DetailScreen):
    """One note, read only."""

    def __init__(self, note: Note, directory: Directory, now: datetime) -> None:
        title = f"Note · {NOTE_TYPE.get(note.type, note.type)}" + (f" · {note.title}" if note.title else "")
        super().__init__(title, note_view(note, directory, now))
        self.note = note


class TranscriptScreen(DetailScreen):
    """One call's transcript, fetched when shown."""

    def __init__(self, call: Call) -> None:
        super().__init__(f"Call · {when(call.started_at, call.started_at)[:10]}", Text("Loading transcript…"))
        self.call = call

    def on_mount(self) -> None:
        """Fetch the transcript."""
        super().on_mount()
        self.load()

    @work(exclusive=True)
    async def load(self) -> None:
        """Get the transcript and lay it out."""
        body = self.query_one("#detail-body", Static)
        client = self.console.client
        if client is None:
            body.update("The API is not ready yet.")
            return
        try:
            transcript = await client.calls.transcript(self.call.id)
        except api_failures() as error:
            body.update(f"Could not load the transcript: {type(error).__name__}.")
            return
        body.update(transcript_view(self.call, transcript, self.console.clock()))

"""Today's telehealth visits: who, with whom, when, and how far each has got (status, who is in the
room, how long, whether it is recorded); copy either join link, generate the draft note, open the chart.

Follows `telehealth.visit.*` events: the list is fetched again when one arrives."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from talkya_console.tui.chart.section import Directory, duration, label
from talkya_console.tui.messages import OpenChart
from talkya_console.tui.node import ConsoleNode
from talkya_console.tui.screens.confirm import ConfirmScreen
from talkya_console.tui.widgets.keyline import KeyLine
from talkya_console.tui.widgets.pane import api_failures, problem_text

if TYPE_CHECKING:  # imported for annotations only: the first frame does not wait for them
    from talkya_console.wire import Event, TelehealthVisit
    from talkya_console.wire.telehealth import Attendance

#: The live events about visits: every `telehealth.visit.*` type Talkya emits (the page names one).
EVENT_TYPES = frozenset({"telehealth.visit.completed"})
DAY_LIMIT = 100
STATUS = {
    "scheduled": "scheduled",
    "waiting": "● waiting room",
    "in_progress": "● in progress",
    "completed": "✓ completed",
    "cancelled": "✗ cancelled",
    "no_show": "✗ no show",
}
KEYS_TEXT = "p patient link · v provider link · g draft note · Enter chart · r refresh · Esc close"


def attendance_text(attendance: Attendance) -> str:
    """Who is in the room now, else who joined."""
    patient, provider = attendance.patient_present, attendance.provider_present
    if patient and provider:
        return "both in the room"
    if patient:
        return "patient waiting"
    if provider:
        return "provider waiting"
    joined = [
        who
        for who, at in (("patient", attendance.patient_joined_at), ("provider", attendance.provider_joined_at))
        if at is not None
    ]
    if len(joined) == 2:
        return "both joined"
    return f"{joined[0]} joined" if joined else "not joined"


def recording_text(visit: TelehealthVisit) -> str:
    """`off`, `recording`, `processing`, `available`, or `not recorded`."""
    return label(visit.recording.state) if visit.recording.enabled else "not recorded"


class TelehealthScreen(ConsoleNode, ModalScreen[None]):
    """Today's visits (by the app's clock), soonest first."""

    DEFAULT_CSS = """
    TelehealthScreen { align: center middle; }
    #telehealth-box { border: round $accent; background: $surface; width: 96%; max-width: 150; height: 90%;
        padding: 0 1; }
    #telehealth-problem { display: none; color: $text-error; padding: 0 1; }
    #telehealth-problem.-shown { display: block; }
    #telehealth-table { height: 1fr; }
    #telehealth-count { color: $text-muted; padding: 0 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss", "Close", id="telehealth.close"),
        Binding("p", "copy_link('patient')", "Copy patient link", id="telehealth.copy_patient"),
        Binding("v", "copy_link('provider')", "Copy provider link", id="telehealth.copy_provider"),
        Binding("g", "draft_note", "Draft note", id="telehealth.draft_note"),
        Binding("r", "refresh", "Refresh", id="telehealth.refresh"),
    ]
    EVENT_TYPES: ClassVar[frozenset[str]] = EVENT_TYPES
    #: (key, title, width): fixed widths, so the columns never jump as rows arrive.
    COLUMNS = (
        ("time", "Time", 5),
        ("patient", "Patient", 24),
        ("provider", "Provider", 22),
        ("status", "Status", 14),
        ("attendance", "Attendance", 16),
        ("duration", "Duration", 8),
        ("recording", "Recording", 12),
        ("note", "Draft note", 10),
    )

    def __init__(self) -> None:
        super().__init__()
        self.visits: dict[str, TelehealthVisit] = {}
        self.patients: dict[str, str] = {}
        self.directory = Directory()

    def compose(self) -> ComposeResult:
        """The box: a problem line, the table, the count and keys; the footer."""
        with Vertical(id="telehealth-box"):
            yield Static("", id="telehealth-problem")
            table: DataTable[str] = DataTable(id="telehealth-table", cursor_type="row", zebra_stripes=True)
            for key, title, width in self.COLUMNS:
                table.add_column(title, key=key, width=width)
            yield table
            yield Static("Loading…", id="telehealth-count")
        yield KeyLine()

    def on_mount(self) -> None:
        """Title the box and fetch the day."""
        self.query_one("#telehealth-box").border_title = f"Telehealth · {self.now():%a %d %b %Y}"
        self.query_one(DataTable).focus()
        self.load()

    def now(self) -> datetime:
        """The app's clock."""
        return self.console.clock()

    def day(self) -> tuple[datetime, datetime]:
        """Today, from midnight to midnight in the clock's zone."""
        start = self.now().replace(hour=0, minute=0, second=0, microsecond=0)
        return start, start + timedelta(days=1)

    @work(exclusive=True, group="telehealth-load", exit_on_error=False)
    async def load(self) -> None:
        """Fetch today's visits, with patient and provider names, and show them."""
        client = self.client
        if client is None:
            self.show_problem("The API is not ready yet.")
            return
        start, end = self.day()
        try:
            visits = await client.telehealth_visits.list(
                scheduled_after=start, scheduled_before=end, limit=DAY_LIMIT
            ).collect(DAY_LIMIT)
            await self.directory.fetch_users(client, [visit.provider_id for visit in visits])
            await self.fetch_patients([visit.patient_id for visit in visits])
        except api_failures() as error:
            self.show_problem(problem_text(error, self.now()))
            return
        self.show_problem(None)
        self.show(sorted(visits, key=lambda visit: (visit.scheduled_at, visit.id)))

    async def fetch_patients(self, ids: list[str]) -> None:
        """Names of the patients not yet known (one that cannot be read shows as its id)."""
        import asyncio

        client = self.client
        missing = sorted({i for i in ids if i not in self.patients})
        if client is None or not missing:
            return
        found = await asyncio.gather(*(client.patients.get(i) for i in missing), return_exceptions=True)
        for patient_id, patient in zip(missing, found, strict=True):
            if isinstance(patient, BaseException) and not isinstance(patient, api_failures()):
                raise patient
            self.patients[patient_id] = patient_id if isinstance(patient, BaseException) else patient.name

    def show(self, visits: list[TelehealthVisit]) -> None:
        """Replace the rows, keeping the cursor on the visit it was on."""
        table = self.query_one(DataTable)
        current = self.current()
        table.clear()
        self.visits = {visit.id: visit for visit in visits}
        for visit in visits:
            table.add_row(*self.cells(visit), key=visit.id)
        if current is not None and current.id in self.visits:
            table.move_cursor(row=table.get_row_index(current.id))
        count = len(visits)
        what = "No visits today." if not count else f"{count} visit{'s' if count != 1 else ''} today."
        self.query_one("#telehealth-count", Static).update(f"{what}  {KEYS_TEXT}")

    def cells(self, visit: TelehealthVisit) -> tuple[str, ...]:
        """Time, patient, provider, status, attendance, duration, recording, draft note."""
        return (
            f"{visit.scheduled_at.astimezone(self.now().tzinfo):%H:%M}",
            self.patients.get(visit.patient_id, visit.patient_id),
            self.directory.user(visit.provider_id),
            STATUS.get(visit.status, label(visit.status)),
            attendance_text(visit.attendance),
            duration(visit.duration_seconds) if visit.duration_seconds else "—",
            recording_text(visit),
            "✓ drafted" if visit.draft_note_id else "—",
        )

    def replace(self, visit: TelehealthVisit) -> None:
        """Show a visit as it now is."""
        if visit.id not in self.visits:
            return
        self.visits[visit.id] = visit
        table = self.query_one(DataTable)
        for (key, _, _), value in zip(self.COLUMNS, self.cells(visit), strict=True):
            table.update_cell(visit.id, key, value)

    def show_problem(self, text: str | None) -> None:
        """A failure, inline; None hides it."""
        line = self.query_one("#telehealth-problem", Static)
        line.update(text or "")
        line.set_class(bool(text), "-shown")

    def current(self) -> TelehealthVisit | None:
        """The visit under the cursor."""
        table = self.query_one(DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return self.visits.get(str(key))

    def action_copy_link(self, role: str) -> None:
        """The patient's or the provider's join link to the clipboard (OSC 52, so over SSH too)."""
        visit = self.current()
        if visit is None:
            return
        self.app.copy_to_clipboard(visit.join_links.patient if role == "patient" else visit.join_links.provider)
        self.notify(f"Copied the {role} join link.", timeout=3)

    def action_draft_note(self) -> None:
        """Generate the visit's draft note onto its encounter (asks first when it has one already)."""
        visit = self.current()
        if visit is None:
            return
        if visit.status in ("cancelled", "no_show"):
            self.notify(f"This visit is {label(visit.status)}: there is nothing to note.", severity="warning")
            return
        if visit.draft_note_id is None:
            self.draft_note(visit)
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.draft_note(visit)

        question = "This visit already has a draft note. Generate another one for review?"
        self.app.push_screen(ConfirmScreen("Draft note", question), answered)

    @work(group="telehealth-note", exit_on_error=False)
    async def draft_note(self, visit: TelehealthVisit) -> None:
        """Ask Talkya for the draft; the row shows it once made."""
        from talkya_console.api import APIError
        from talkya_console.outbox import Write
        from talkya_console.tui.outgoing import OFFLINE_SAVED, Queued

        write = Write(
            "telehealth_visits.create_note",
            (visit.id, {"mode": "generate"}),
            label="Telehealth draft note",
            subject=visit.patient_id,
        )
        try:
            note = await self.console.submit(write)
        except (*api_failures(), APIError) as error:
            # A refusal's message is written for people and names no PHI (the contract); else the kind.
            why = error.message if isinstance(error, APIError) else problem_text(error, self.now())
            self.notify(f"No draft note: {why}", severity="error", timeout=6)
            return
        if isinstance(note, Queued):
            self.notify(OFFLINE_SAVED, timeout=5)
            return
        self.notify("Draft note generated for review on the visit's encounter.", timeout=4)
        client = self.client
        if client is not None:
            try:
                self.replace(await client.telehealth_visits.get(visit.id))
            except api_failures():
                self.load()

    def action_refresh(self) -> None:
        """Fetch the day again."""
        self.load()

    @on(DataTable.RowSelected)
    def selected(self, event: DataTable.RowSelected) -> None:
        """Enter opens the patient's chart."""
        event.stop()
        visit = self.visits.get(str(event.row_key.value))
        if visit is not None:
            self.post_message(OpenChart(visit.patient_id))

    def apply_event(self, event: Event) -> None:
        """A visit changed: fetch the day again."""
        self.load()


def open_telehealth(app: App[object]) -> None:
    """Show today's telehealth visits."""
    if getattr(app, "client", None) is None:
        app.notify("Waiting for the API…", severity="warning", timeout=3)
        return
    app.push_screen(TelehealthScreen())

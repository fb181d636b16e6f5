"""A patient's chart, in sections (tabs): overview, encounters, notes, documents, telehealth, calls
and the audit trail (on screen only, never logged).

Only the overview is fetched on open; every other section fetches its first page the first time it
is shown, and its next page when the user reaches the end of its list (or presses `m`), so a chart
with hundreds of encounters opens as fast as one with two.

Date of birth, phones, email and address show masked until `v` reveals them for this chart; the
opening and the reveal both go on the patient's audit trail, as the signed-in staff member."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static, TabbedContent

from talkya_console.tui.chart.activity import Audit, Calls
from talkya_console.tui.chart.clinical import Documents, Encounters, Notes, Telehealth
from talkya_console.tui.chart.overview import Overview
from talkya_console.tui.chart.section import Directory, ListSection, Section
from talkya_console.tui.node import ConsoleNode
from talkya_console.tui.outgoing import OFFLINE_SAVED, OutboxChanged, Queued, WriteLanded, pending_for
from talkya_console.tui.widgets.keyline import KeyLine
from talkya_console.tui.widgets.pane import api_failures

if TYPE_CHECKING:  # imported for annotations only: the first frame does not wait for them
    from talkya_console.api import TalkyaClient
    from talkya_console.wire import Patient

SECTIONS: tuple[type[Section], ...] = (Overview, Encounters, Notes, Documents, Telehealth, Calls, Audit)
SECTION_IDS = ("overview", "encounters", "notes", "documents", "telehealth", "calls", "audit")


class ChartScreen(ConsoleNode, ModalScreen[None]):
    """One patient's chart; number keys or left/right switch sections, Escape closes."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss", "Close", id="chart.close"),
        Binding("v", "reveal", "Reveal DOB and contact", id="chart.reveal"),
        Binding("m", "more", "More", id="chart.more"),
        Binding("e", "edit", "Edit demographics", id="chart.edit"),
        Binding("n", "new_encounter", "New encounter", id="chart.new_encounter"),
        Binding("t", "new_visit", "New telehealth visit", id="chart.new_visit"),
        # Priority: the arrows switch sections even while a section's table has the focus.
        Binding("left", "step(-1)", "Previous section", show=False, priority=True, id="chart.previous"),
        Binding("right", "step(1)", "Next section", show=False, priority=True, id="chart.next"),
        *(
            Binding(str(number), f"section('{section}')", section.capitalize(), show=False, id=f"chart.{section}")
            for number, section in enumerate(SECTION_IDS, 1)
        ),
    ]

    def __init__(self, patient_id: str, *, client: TalkyaClient | None = None) -> None:
        super().__init__()
        self.patient_id = patient_id
        # Given the client, the patient is asked for now, while the chart is built, not once it is
        # mounted: the request is on its way during the compose and first layout.
        self.early: asyncio.Future[Patient] | None = None
        if client is not None:
            self.early = asyncio.ensure_future(client.patients.get(patient_id))
            self.early.add_done_callback(lambda done: done.cancelled() or done.exception())
        self.patient: Patient | None = None
        self.revealed = False
        self.directory = Directory()

    def compose(self) -> ComposeResult:
        """The chart box with one tab per section, and the footer."""
        with Vertical(id="chart-box"):
            yield Static("", id="chart-pending")
            with TabbedContent(id="chart-tabs"):
                for section in SECTIONS:
                    yield section(patient_id=self.patient_id, directory=self.directory)  # type: ignore[call-arg]
        yield KeyLine()

    def on_mount(self) -> None:
        """Fetch the patient; the overview fetches the CRM context."""
        self.query_one("#chart-box").border_title = "Chart"
        self.query_one(Overview).shown()
        self.show_pending()
        self.load()

    def on_unmount(self) -> None:
        """Closed before the patient came: the request is not waited for."""
        if self.early is not None:
            self.early.cancel()

    @on(OutboxChanged)
    def show_pending(self) -> None:
        """Say which of this chart's writes still wait for Talkya (nothing when none do)."""
        entries = pending_for(self.app, self.patient_id)
        line = self.query_one("#chart-pending", Static)
        line.display = bool(entries)
        if entries:
            refused = sum(entry.refused for entry in entries)
            what = ", ".join(entry.write.label for entry in entries)
            extra = f" ({refused} refused: Ctrl+O)" if refused else ""
            line.update(f"⇡ Waiting to be sent: {what}{extra}")

    @on(WriteLanded)
    def write_landed(self, message: WriteLanded) -> None:
        """A write of this chart that had waited went through: show what Talkya now holds."""
        if message.entry.write.subject != self.patient_id:
            return
        self.load()
        for section in self.query(ListSection):
            if section.loaded:
                section.reload()

    @property
    def overview(self) -> Overview:
        """The overview section."""
        return self.query_one(Overview)

    @work(exclusive=True)
    async def load(self) -> None:
        """Get the patient and lay out the overview."""
        client = self.console.client
        if client is None:
            self.overview.show_patient("The API is not ready yet.")
            return
        early, self.early = self.early, None
        try:
            patient = await (early if early is not None else client.patients.get(self.patient_id))
        except api_failures() as error:
            self.overview.show_patient(f"Could not load the chart: {type(error).__name__}.")
            return
        self.patient = patient
        self.console.remember_chart(patient.id, f"{patient.name}  ·  {patient.mrn}")
        self.query_one("#chart-box").border_title = f"Chart · {patient.name}"
        self.overview.show_patient(patient)
        try:
            await client.patients.record_access(self.patient_id, "viewed")
        except api_failures() as error:  # the chart stays: it was read; say the trail missed it
            self.notify(f"This chart opening could not be audited ({type(error).__name__}).", severity="warning")

    @on(TabbedContent.TabActivated)
    def section_shown(self, event: TabbedContent.TabActivated) -> None:
        """A section shown for the first time fetches its data."""
        if isinstance(event.pane, Section):
            event.pane.shown()
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """`m` only where there is more to show."""
        if action == "more":
            pane = self.query_one(TabbedContent).active_pane
            return isinstance(pane, ListSection) and not pane.exhausted
        return True

    def action_section(self, section_id: str) -> None:
        """Show one section, with the focus in it."""
        self.query_one(TabbedContent).active = section_id
        self.query_one(f"#{section_id}", Section).main_widget().focus()

    def action_step(self, step: int) -> None:
        """The previous or next section, wrapping around."""
        active = self.query_one(TabbedContent).active
        index = SECTION_IDS.index(active) if active in SECTION_IDS else 0
        self.action_section(SECTION_IDS[(index + step) % len(SECTION_IDS)])

    def action_more(self) -> None:
        """The next page of the section shown."""
        pane = self.query_one(TabbedContent).active_pane
        if isinstance(pane, ListSection):
            pane.load_more()

    def action_edit(self) -> None:
        """Edit the demographics; the overview shows what was saved."""
        from talkya_console.tui.forms import EditPatientScreen

        client = self.console.client
        if self.patient is None or client is None:
            return

        def saved(patient: Patient | Queued | None) -> None:
            if isinstance(patient, Queued):
                self.notify(OFFLINE_SAVED, timeout=5)
            elif patient is not None:
                self.patient = patient
                self.overview.show_patient(patient, revealed=self.revealed)

        self.app.push_screen(EditPatientScreen(client, self.patient), saved)

    def action_new_encounter(self) -> None:
        """Open an encounter for this patient; the Encounters section shows it."""
        from talkya_console.tui.forms import NewEncounterScreen

        client = self.console.client
        if client is None:
            return

        def created(encounter: object | None) -> None:
            if isinstance(encounter, Queued):
                self.notify(OFFLINE_SAVED, timeout=5)
            elif encounter is not None:
                self.notify("Encounter opened.", timeout=3)
                section = self.query_one("#encounters", ListSection)
                if section.loaded:
                    section.reload()

        self.app.push_screen(NewEncounterScreen(client, self.patient_id), created)

    def action_new_visit(self) -> None:
        """Create a telehealth visit for this patient; show its join links, to copy."""
        from talkya_console.tui.forms.telehealth import NewVisitScreen, VisitLinksScreen
        from talkya_console.wire import TelehealthVisit

        client = self.console.client
        if client is None:
            return

        def created(visit: object | None) -> None:
            if isinstance(visit, Queued):
                self.notify(OFFLINE_SAVED, timeout=5)
            elif isinstance(visit, TelehealthVisit):
                self.app.push_screen(VisitLinksScreen(visit, self.console.clock()))
                section = self.query_one("#telehealth", ListSection)
                if section.loaded:
                    section.reload()

        self.app.push_screen(NewVisitScreen(client, self.patient_id), created)

    def action_reveal(self) -> None:
        """Show the masked details of this chart."""
        self.reveal()

    @work(exclusive=True, group="reveal")
    async def reveal(self) -> None:
        """Show the masked details, once the reveal is on the audit trail (never before)."""
        client = self.console.client
        if self.patient is None or self.revealed or client is None:
            return
        try:
            await client.patients.record_access(self.patient_id, "revealed")
        except api_failures() as error:
            self.notify(f"Not revealed: the reveal could not be audited ({type(error).__name__}).", severity="error")
            return
        self.revealed = True
        self.overview.show_patient(self.patient, revealed=True)

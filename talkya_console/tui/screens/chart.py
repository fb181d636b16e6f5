"""A simple chart: demographics, tags and consent of one patient (on screen only, never logged).

Date of birth, phones, email and address show masked until `v` reveals them for this chart; the
opening and the reveal both go on the patient's audit trail, as the signed-in staff member."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.table import Table
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, Static

from talkya_console.tui.masking import HIDDEN, mask_dob, mask_email, mask_phone
from talkya_console.tui.widgets.pane import api_failures

if TYPE_CHECKING:  # imported for annotations only: the first frame does not wait for them
    from talkya_console.tui.app import TalkyaConsole
    from talkya_console.wire import Patient


def yes(value: bool) -> str:
    """`yes` or `no`."""
    return "yes" if value else "no"


def chart_table(patient: Patient, *, revealed: bool = False) -> Table:
    """The chart as label/value rows; contact details and date of birth masked unless `revealed`."""
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", justify="right")
    table.add_column()
    address = patient.address
    where = ", ".join(x for x in (address.line1, address.line2, address.city) if x) if address else ""
    dob = patient.dob.isoformat() if patient.dob else "—"
    phones = [f"{p.number} ({p.type})" for p in patient.phones]
    emails = list(patient.emails)
    if not revealed:
        dob = mask_dob(patient.dob)
        phones = [f"{mask_phone(p.number)} ({p.type})" for p in patient.phones]
        emails = [mask_email(e) for e in patient.emails]
        where = HIDDEN if where else ""
    consent = patient.consent
    captured = f"{consent.captured_at:%Y-%m-%d}" if consent.captured_at else "—"
    rows = [
        ("Name", patient.name + (f" ({patient.preferred_name})" if patient.preferred_name else "")),
        ("MRN", patient.mrn),
        ("Date of birth", dob),
        ("Sex", patient.sex),
        ("Phones", ", ".join(phones) or "—"),
        ("Email", ", ".join(emails) or "—"),
        ("Address", where or "—"),
        ("Tags", ", ".join(patient.tags) or "—"),
        ("", ""),
        ("Intake consent", f"{yes(consent.intake)}, {consent.method or 'no method'}, captured {captured}"),
        ("SMS", yes(consent.sms)),
        ("Marketing", yes(consent.marketing)),
    ]
    for label, value in rows:
        table.add_row(label, value)
    return table


class ChartScreen(ModalScreen[None]):
    """One patient's chart; Escape closes."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss", "Close", id="chart.close"),
        Binding("v", "reveal", "Reveal DOB and contact", id="chart.reveal"),
    ]

    def __init__(self, patient_id: str) -> None:
        super().__init__()
        self.patient_id = patient_id
        self.patient: Patient | None = None
        self.revealed = False

    def compose(self) -> ComposeResult:
        """The chart box and the footer."""
        with VerticalScroll(id="chart-box"):
            yield Static("Loading chart…", id="chart-body")
        yield Footer()

    def on_mount(self) -> None:
        """Fetch the patient."""
        self.query_one("#chart-box").border_title = "Chart"
        self.load()

    @work(exclusive=True)
    async def load(self) -> None:
        """Get the patient and lay out the chart."""
        client = self.console.client
        body = self.query_one("#chart-body", Static)
        if client is None:
            body.update("The API is not ready yet.")
            return
        try:
            patient = await client.patients.get(self.patient_id)
        except api_failures() as error:
            body.update(f"Could not load the chart: {type(error).__name__}.")
            return
        self.patient = patient
        self.console.remember_chart(patient.id, f"{patient.name}  ·  {patient.mrn}")
        self.query_one("#chart-box").border_title = f"Chart · {patient.name}"
        body.update(chart_table(patient))
        try:
            await client.patients.record_access(self.patient_id, "viewed")
        except api_failures() as error:  # the chart stays: it was read; say the trail missed it
            self.notify(f"This chart opening could not be audited ({type(error).__name__}).", severity="warning")

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
        self.query_one("#chart-body", Static).update(chart_table(self.patient, revealed=True))

    @property
    def console(self) -> TalkyaConsole:
        """The app, typed."""
        return self.app  # type: ignore[return-value]

"""A simple chart: demographics, tags and consent of one patient (on screen only, never logged)."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.table import Table
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, Static

from talkya_console.tui.widgets.pane import api_failures

if TYPE_CHECKING:  # imported for annotations only: the first frame does not wait for them
    from talkya_console.tui.app import TalkyaConsole
    from talkya_console.wire import Patient


def yes(value: bool) -> str:
    """`yes` or `no`."""
    return "yes" if value else "no"


def chart_table(patient: Patient) -> Table:
    """The chart as label/value rows."""
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", justify="right")
    table.add_column()
    address = patient.address
    where = ", ".join(x for x in (address.line1, address.line2, address.city) if x) if address else ""
    consent = patient.consent
    captured = f"{consent.captured_at:%Y-%m-%d}" if consent.captured_at else "—"
    rows = [
        ("Name", patient.name + (f" ({patient.preferred_name})" if patient.preferred_name else "")),
        ("MRN", patient.mrn),
        ("Date of birth", patient.dob.isoformat() if patient.dob else "—"),
        ("Sex", patient.sex),
        ("Phones", ", ".join(f"{p.number} ({p.type})" for p in patient.phones) or "—"),
        ("Email", ", ".join(patient.emails) or "—"),
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

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "dismiss", "Close", id="chart.close")]

    def __init__(self, patient_id: str) -> None:
        super().__init__()
        self.patient_id = patient_id

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
        self.query_one("#chart-box").border_title = f"Chart · {patient.name}"
        body.update(chart_table(patient))

    @property
    def console(self) -> TalkyaConsole:
        """The app, typed."""
        return self.app  # type: ignore[return-value]

"""Patients: the most recent patients; Enter opens a chart."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.binding import Binding, BindingType
from textual.widget import Widget
from textual.widgets import DataTable

from talkya_console.tui.forms import open_new_patient
from talkya_console.tui.masking import mask_dob
from talkya_console.tui.messages import OpenChart
from talkya_console.tui.widgets.pane import Pane, api_failures

if TYPE_CHECKING:  # imported for annotations only: the first frame does not wait for them
    from talkya_console.wire import Event, Patient


class PatientsPane(Pane):
    """Recent patients: name, MRN, date of birth, tags."""

    PANE_ID = "patients"
    TITLE = "Patients and charts"
    EVENT_TYPES: ClassVar[frozenset[str]] = frozenset({"patient.created"})
    BINDINGS: ClassVar[list[BindingType]] = [Binding("n", "new_patient", "New patient", id="patients.new")]

    def __init__(self, number: int) -> None:
        super().__init__(number)
        self.patients: dict[str, Patient] = {}

    def compose_body(self) -> list[Widget]:
        """One table."""
        table: DataTable[str] = DataTable(cursor_type="row", zebra_stripes=True, id="patients-table")
        table.add_column("Name", key="name")
        table.add_column("MRN", key="mrn")
        table.add_column("DOB", key="dob")
        table.add_column("Tags", key="tags")
        return [table]

    def main_widget(self) -> Widget:
        """The table."""
        return self.query_one(DataTable)

    @staticmethod
    def row(patient: Patient) -> tuple[str, ...]:
        """The cells of one patient."""
        return (patient.name, patient.mrn, mask_dob(patient.dob), ", ".join(patient.tags))

    @work(exclusive=True, group="load")
    async def load(self) -> None:
        """The 50 newest patients."""
        if self.client is None:
            return
        try:
            page = await self.client.patients.search().page(limit=50)
        except api_failures() as error:
            self.show_problem(error)
            return
        self.show_problem(None)
        self.patients = {patient.id: patient for patient in page.data}
        table = self.query_one(DataTable)
        table.clear()
        for patient in page.data:
            table.add_row(*self.row(patient), key=patient.id)

    @on(DataTable.RowSelected)
    def selected(self, event: DataTable.RowSelected) -> None:
        """Enter opens the chart."""
        event.stop()
        if event.row_key.value:
            self.post_message(OpenChart(event.row_key.value))

    def action_new_patient(self) -> None:
        """The new-patient form; the created patient's chart opens."""
        open_new_patient(self.app, self.post_message)

    def apply_event(self, event: Event) -> None:
        """A new patient goes to the top."""
        patient_id = event.data.get("patient_id")
        if isinstance(patient_id, str):
            self.fetch_patient(patient_id)

    @work(group="event", exit_on_error=False)  # a live refresh that fails (say, mid-shutdown) is dropped
    async def fetch_patient(self, patient_id: str) -> None:
        """Get one patient and list them first."""
        if self.client is None:
            return
        try:
            patient = await self.client.patients.get(patient_id)
        except api_failures() as error:
            self.show_problem(error)
            return
        table = self.query_one(DataTable)
        if patient.id in self.patients:
            for column, value in zip(("name", "mrn", "dob", "tags"), self.row(patient), strict=True):
                table.update_cell(patient.id, column, value)
            return
        self.patients = {patient.id: patient, **self.patients}
        table.clear()
        for known in self.patients.values():
            table.add_row(*self.row(known), key=known.id)

"""The chart's overview: demographics (masked until revealed), intake consent and tags, and the CRM
context: the patient's contact and its stage, open deals and open tasks."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from talkya_console.tui.chart.section import Directory, Section, label, when
from talkya_console.tui.masking import HIDDEN, mask_dob, mask_email, mask_phone
from talkya_console.tui.widgets.pane import api_failures

if TYPE_CHECKING:  # imported for annotations only: the first frame does not wait for them
    from datetime import datetime

    from talkya_console.api import TalkyaClient
    from talkya_console.wire import Contact, Deal, Patient, Task

OPEN_TASK_STATUSES = frozenset({"open", "in_progress"})
CLOSED_DEAL_STAGES = frozenset({"won", "lost"})
# The patient's newest tasks, read to find the CRM contact (the API cannot look one up by patient).
TASKS_READ = 50


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
    for name, value in rows:
        table.add_row(name, value)
    return table


def money(cents: int, currency: str) -> str:
    """`$1,250.00`, or `1,250.00 EUR` for other currencies."""
    amount = f"{cents / 100:,.2f}"
    return f"${amount}" if currency.lower() == "usd" else f"{amount} {currency.upper()}"


@dataclass
class Crm:
    """The patient's CRM context."""

    contact: Contact | None = None
    deals: list[Deal] = field(default_factory=list)
    tasks: list[Task] = field(default_factory=list)


async def fetch_crm(client: TalkyaClient, patient_id: str, directory: Directory) -> Crm:
    """The contact (found through the patient's tasks), its open deals, and the open tasks."""
    tasks = (await client.tasks.list(patient_id=patient_id, limit=TASKS_READ).page()).data
    contact_id = next((task.contact_id for task in tasks if task.contact_id), None)
    crm = Crm(tasks=[task for task in tasks if task.status in OPEN_TASK_STATUSES])
    if contact_id is not None:
        crm.contact = await client.contacts.get(contact_id)
        crm.tasks = list(crm.contact.open_tasks)  # the contact's and the patient's, soonest due first
        deals = (await client.deals.list(contact_id=contact_id, limit=TASKS_READ).page()).data
        crm.deals = [deal for deal in deals if deal.stage not in CLOSED_DEAL_STAGES]
    await directory.fetch_users(client, [task.assignee_user_id for task in crm.tasks])
    return crm


def crm_view(crm: Crm, directory: Directory, now: datetime) -> RenderableType:
    """The CRM context: the contact's stage, then tables of open deals and open tasks."""
    contact = crm.contact
    head = Text.assemble(("CRM contact  ", "bold"), f"{contact.name} · {label(contact.stage)}" if contact else "—")
    parts: list[RenderableType] = [head, Text("")]
    if crm.deals:
        deals = Table(title="Open deals", title_justify="left", expand=True, box=None, padding=(0, 1))
        deals.add_column("Deal", ratio=3)
        deals.add_column("Stage", ratio=2)
        deals.add_column("Amount", justify="right", ratio=1)
        for deal in crm.deals:
            deals.add_row(deal.name, label(deal.stage), money(deal.value, deal.currency))
        parts += [deals, Text("")]
    else:
        parts += [Text("No open deals."), Text("")]
    if crm.tasks:
        tasks = Table(title="Open tasks", title_justify="left", expand=True, box=None, padding=(0, 1))
        tasks.add_column("Task", ratio=3)
        tasks.add_column("Due", ratio=2)
        tasks.add_column("Assignee", ratio=2)
        for task in crm.tasks:
            who = directory.user(task.assignee_user_id) if task.assignee_user_id else label(task.assignee_role)
            tasks.add_row(task.title, when(task.due_at, now), who)
        parts.append(tasks)
    else:
        parts.append(Text("No open tasks."))
    return Group(*parts)


class Overview(Section):
    """Demographics (pushed down by the chart once the patient is read) and the CRM context."""

    def __init__(self, *, patient_id: str, directory: Directory) -> None:
        super().__init__("1 Overview", id="overview", patient_id=patient_id, directory=directory)

    def compose(self) -> ComposeResult:
        """Demographics, then the CRM context under its problem line."""
        with VerticalScroll(id="overview-scroll"):
            yield Static("Loading chart…", id="chart-body")
            yield Static("", classes="problem")
            yield Static("Loading CRM…", id="chart-crm")

    def main_widget(self) -> VerticalScroll:
        """The scrolling overview."""
        return self.query_one(VerticalScroll)

    def show_patient(self, patient: Patient | str, *, revealed: bool = False) -> None:
        """The demographics, masked unless `revealed`; or why they are not there."""
        body = self.query_one("#chart-body", Static)
        body.update(patient if isinstance(patient, str) else chart_table(patient, revealed=revealed))

    @work(group="chart-crm")
    async def load(self) -> None:
        """The CRM context."""
        try:
            client = self.client
            if client is None:
                self.show_problem("The API is not ready yet.")
                return
            try:
                crm = await fetch_crm(client, self.patient_id, self.directory)
            except api_failures() as error:
                self.query_one("#chart-crm", Static).update("")
                self.show_problem(error)
                return
            self.show_problem(None)
            self.query_one("#chart-crm", Static).update(crm_view(crm, self.directory, self.now()))
            self.loaded = True
        finally:
            self.fetching = False

"""The CRM's leads: source, intent, service interest, consent; `n` captures one, Enter shows the
contact behind it. `lead.created` refetches them. The deals board is in deals.py."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from talkya_console.tui.masking import mask_email, mask_phone
from talkya_console.tui.node import ConsoleNode
from talkya_console.tui.outgoing import OFFLINE_SAVED
from talkya_console.tui.screens.table import TableScreen
from talkya_console.tui.widgets.pane import api_failures, problem_text
from talkya_console.wire.common import MAX_LIMIT

if TYPE_CHECKING:  # imported for annotations only: the first frame does not wait for them
    from talkya_console.wire import Contact, Event, Lead

LEAD_LIMIT = 200
LEAD_STATUS = {"new": "new", "contacted": "contacted", "qualified": "qualified", "converted": "✓ converted"}
LEADS_KEYS = "Enter contact profile · n new lead · r refresh · Esc close"


def consent_text(lead: Lead) -> str:
    """`SMS ✓ Mkt ✗ Email ✗`."""
    consent = lead.consent
    return " ".join(
        f"{name} {'✓' if given else '✗'}"
        for name, given in (("SMS", consent.sms), ("Mkt", consent.marketing), ("Email", consent.email))
    )


def label(value: str | None) -> str:
    """`new_consult` as `new consult`; none as `—`."""
    return value.replace("_", " ") if value else "—"


class LeadsScreen(TableScreen):
    """The workspace's leads, newest first."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss", "Close", id="leads.close"),
        Binding("n", "new_lead", "New lead", id="leads.new"),
        Binding("r", "refresh", "Refresh", id="leads.refresh"),
    ]
    EVENT_TYPES: ClassVar[frozenset[str]] = frozenset({"lead.created"})
    PREFIX = "leads"
    BOX_TITLE = "CRM · leads"
    COLUMNS = (
        ("created", "Created", 12),
        ("name", "Name", 22),
        ("source", "Source", 12),
        ("intent", "Intent", 16),
        ("service", "Service interest", 24),
        ("consent", "Consent", 19),
        ("status", "Status", 11),
    )

    def __init__(self) -> None:
        super().__init__()
        self.leads: dict[str, Lead] = {}

    @work(exclusive=True, group="leads-load", exit_on_error=False)
    async def load(self, select: str | None = None) -> None:
        """Fetch the leads and show them; `select` puts the cursor on that lead."""
        client = self.client
        if client is None:
            self.show_problem("The API is not ready yet.")
            return
        try:
            leads = await client.leads.list(limit=MAX_LIMIT).collect(LEAD_LIMIT)
        except api_failures() as error:
            self.show_problem(problem_text(error, self.now()))
            return
        self.show_problem(None)
        leads.sort(key=lambda lead: (lead.created_at, lead.id), reverse=True)
        table = self.query_one(DataTable)
        current = self.current()
        table.clear()
        self.leads = {lead.id: lead for lead in leads}
        zone = self.now().tzinfo
        for lead in leads:
            table.add_row(
                f"{lead.created_at.astimezone(zone):%d %b %H:%M}",
                lead.patient.name,
                label(lead.source),
                label(lead.intent),
                lead.service_interest or "—",
                consent_text(lead),
                LEAD_STATUS.get(lead.status, label(lead.status)),
                key=lead.id,
            )
        target = select or (current.id if current is not None else None)
        if target in self.leads:
            table.move_cursor(row=table.get_row_index(target))
        count = len(leads)
        what = "No leads." if not count else f"{count} lead{'s' if count != 1 else ''}."
        self.query_one("#leads-count", Static).update(f"{what}  {LEADS_KEYS}")

    def current(self) -> Lead | None:
        """The lead under the cursor."""
        table = self.query_one(DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return self.leads.get(str(key))

    @on(DataTable.RowSelected)
    def selected(self, event: DataTable.RowSelected) -> None:
        """Enter shows the lead's contact."""
        event.stop()
        lead = self.leads.get(str(event.row_key.value))
        if lead is None:
            return
        if lead.contact_id is None:
            self.notify("This lead has no contact yet.", severity="warning", timeout=3)
            return
        self.app.push_screen(ContactProfileScreen(lead.contact_id))

    def action_new_lead(self) -> None:
        """Capture a lead (a form); when it is made, put the cursor on it."""
        from talkya_console.tui.forms.lead import NewLeadScreen
        from talkya_console.tui.outgoing import Queued

        client = self.client
        if client is None:
            return

        def created(lead: object) -> None:
            if lead is None:
                return
            if isinstance(lead, Queued):
                self.notify(OFFLINE_SAVED, timeout=5)
                return
            self.notify("Lead created.", timeout=3)
            self.load(select=getattr(lead, "id", None))

        self.app.push_screen(NewLeadScreen(client), created)

    def action_refresh(self) -> None:
        """Fetch the leads again."""
        self.load()

    def apply_event(self, event: Event) -> None:
        """A lead was captured: fetch the leads again."""
        self.load()


def profile_text(contact: Contact, now: datetime) -> str:
    """The contact as plain text; phone and email masked, as in every list."""
    zone = now.tzinfo
    lines = [
        contact.name,
        f"Stage:    {label(contact.stage)}",
        f"Tags:     {', '.join(contact.tags) or '—'}",
        f"Owner:    {contact.owner_id or '—'}",
        f"Phone:    {mask_phone(contact.phone) if contact.phone else '—'}",
        f"Email:    {mask_email(contact.email) if contact.email else '—'}",
        f"Patient:  {contact.patient_id or 'not yet a patient'}",
        f"Lead:     {contact.lead_id or '—'}",
        "",
        f"Open tasks ({len(contact.open_tasks)})",
    ]
    if not contact.open_tasks:
        lines.append("    none")
    for task in contact.open_tasks:
        due = f" · due {task.due_at.astimezone(zone):%d %b %H:%M}" if task.due_at else ""
        who = task.assignee_user_id or label(task.assignee_role)
        lines.append(f"  • {task.title} · {label(task.status)} · {task.priority}{due} · {who}")
    return "\n".join(lines)


class ContactProfileScreen(ConsoleNode, ModalScreen[None]):
    """A contact's profile: stage, tags, owner, (masked) ways to reach them, open tasks."""

    DEFAULT_CSS = """
    ContactProfileScreen { align: center middle; }
    #contact-box { border: round $accent; background: $surface; width: 80%; max-width: 100; height: auto;
        max-height: 80%; padding: 0 1; }
    #contact-scroll { height: auto; max-height: 30; }
    #contact-keys { color: $text-muted; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,enter", "dismiss", "Back", id="contact.close")]

    def __init__(self, contact_id: str) -> None:
        super().__init__()
        self.contact_id = contact_id
        self.contact: Contact | None = None

    def compose(self) -> ComposeResult:
        """The box: the profile, the keys."""
        with Vertical(id="contact-box"):
            with VerticalScroll(id="contact-scroll", can_focus=True):
                yield Static("Loading…", id="contact-profile", markup=False)
            yield Static("Esc back", id="contact-keys")

    def on_mount(self) -> None:
        """Title the box and fetch the contact."""
        self.query_one("#contact-box").border_title = "Contact profile"
        self.query_one("#contact-scroll").focus()
        self.load()

    @work(exclusive=True, group="contact-load", exit_on_error=False)
    async def load(self) -> None:
        """Fetch the contact (with its open tasks)."""
        client = self.client
        if client is None:
            return
        profile = self.query_one("#contact-profile", Static)
        try:
            contact = await client.contacts.get(self.contact_id)
        except api_failures() as error:
            profile.update(problem_text(error, self.console.clock()))
            return
        self.contact = contact
        profile.update(profile_text(contact, self.console.clock()))


def open_leads(app: App[object]) -> None:
    """Show the CRM leads."""
    if getattr(app, "client", None) is None:
        app.notify("Waiting for the API…", severity="warning", timeout=3)
        return
    app.push_screen(LeadsScreen())

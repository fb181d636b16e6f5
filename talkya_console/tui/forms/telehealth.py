"""A telehealth visit created from a chart: provider, time, the open encounter to link (if any),
reason and recording; then its join links, to copy for the patient and the provider."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from talkya_console.tui.forms.base import FormScreen
from talkya_console.tui.forms.fields import SelectField, TextField
from talkya_console.tui.forms.parsing import parse_reason

if TYPE_CHECKING:
    from talkya_console.api import TalkyaClient
    from talkya_console.outbox import Write
    from talkya_console.wire import TelehealthVisit

DIRECTORY_LIMIT = 100
ENCOUNTER_LIMIT = 50
PAST_GRACE = timedelta(minutes=15)  # "now" typed a little late is still now
FURTHEST = timedelta(days=365)
CLOCK = re.compile(r"^(\d{1,2}):(\d{2})$")
STAMP = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})[ T](\d{1,2}):(\d{2})$")
RECORD = [("Not recorded", False), ("Recorded", True)]
NO_ENCOUNTER = "__none__"


def parse_when(text: str, now: datetime) -> datetime:
    """When the visit is: `now`, `16:30` (today), `tomorrow 9:00` or `2026-11-21 09:00`, in the
    zone of `now`; not in the past, not more than a year ahead."""
    value = text.strip().lower()
    if not value:
        raise ValueError("Required: now, 16:30, tomorrow 9:00 or 2026-11-21 09:00.")
    if value == "now":
        return now.replace(second=0, microsecond=0)
    day = now.date()
    if value.startswith("tomorrow"):
        day += timedelta(days=1)
        value = value.removeprefix("tomorrow").strip()
    try:
        if match := CLOCK.match(value):
            hour, minute = int(match.group(1)), int(match.group(2))
            when = datetime(day.year, day.month, day.day, hour, minute, tzinfo=now.tzinfo)
        elif match := STAMP.match(value):
            year, month, date_, hour, minute = (int(part) for part in match.groups())
            when = datetime(year, month, date_, hour, minute, tzinfo=now.tzinfo)
        else:
            raise ValueError("Type it as 16:30, tomorrow 9:00 or 2026-11-21 09:00.")
    except ValueError as error:
        if "Type it" in str(error):
            raise
        raise ValueError("There is no such date or time.") from None
    if when < now - PAST_GRACE:
        raise ValueError("That time has passed.")
    if when > now + FURTHEST:
        raise ValueError("At most a year ahead.")
    return when


def next_slot(now: datetime) -> datetime:
    """The next quarter hour."""
    start = now.replace(second=0, microsecond=0)
    return start + timedelta(minutes=15 - start.minute % 15)


class NewVisitScreen(FormScreen["TelehealthVisit"]):
    """Create a telehealth visit for `patient_id`; dismisses with the TelehealthVisit (or `Queued`),
    or None when cancelled."""

    DEFAULT_CSS = "NewVisitScreen { align: center middle; }"
    FORM_TITLE = "New telehealth visit"
    SAVE_LABEL = "Create visit"

    def __init__(self, client: TalkyaClient, patient_id: str) -> None:
        super().__init__(client)
        self.patient_id = patient_id

    def compose_fields(self) -> ComposeResult:
        """Provider and time; the encounter to link; reason; recording."""
        with Horizontal(classes="form-row"):
            yield SelectField("provider_id", "Provider", [], prompt="Loading providers…", required=True)
            yield TextField(
                "scheduled_at",
                "When",
                lambda typed: parse_when(typed, self.now()),
                value=f"{next_slot(self.now()):%Y-%m-%d %H:%M}",
                placeholder="now, 16:30, tomorrow 9:00",
                required=True,
                hint=lambda when: f"{when:%a %d %b %Y %H:%M %Z}",
            )
        yield SelectField(
            "encounter_id",
            "Encounter to link",
            [("None: the draft note opens one", NO_ENCOUNTER)],
            value=NO_ENCOUNTER,
            allow_blank=False,
        )
        yield TextField("reason", "Reason", parse_reason, placeholder="Why the patient is being seen")
        yield SelectField("record", "Recording", RECORD, value=False, allow_blank=False)

    def mounted(self) -> None:
        """Load the choices."""
        self.load_choices()

    @work(group="form-load", exit_on_error=False)
    async def load_choices(self) -> None:
        """The workspace's providers and the patient's open encounters; a failure says so at the top."""
        from talkya_console.tui.chart.section import label, when
        from talkya_console.tui.widgets.pane import api_failures

        try:
            providers = await self.client.users.list(role="provider").collect(DIRECTORY_LIMIT)
            encounters = await self.client.encounters.list(patient_id=self.patient_id, status="open").collect(
                ENCOUNTER_LIMIT
            )
        except api_failures() as error:
            self.show_banner(f"Could not load providers and encounters ({type(error).__name__}); Esc and retry.")
            return
        fields = self.fields()
        provider, encounter = fields["provider_id"], fields["encounter_id"]
        assert isinstance(provider, SelectField) and isinstance(encounter, SelectField)
        provider.selector.prompt = "Choose a provider"
        provider.selector.set_options(
            (f"{user.name}, {user.title}" if user.title else user.name, user.id) for user in providers if user.active
        )
        now = self.now()
        encounter.selector.set_options(
            [
                ("None: the draft note opens one", NO_ENCOUNTER),
                *(
                    (f"{when(item.scheduled_at or item.created_at, now)[:10]} {label(item.type)}", item.id)
                    for item in encounters
                ),
            ]
        )
        encounter.selector.value = NO_ENCOUNTER
        self.initial = self.snapshot()

    def build(self) -> Write:
        """A TelehealthVisitCreate made from the chart."""
        from talkya_console.outbox import Write
        from talkya_console.wire import TelehealthVisitCreate

        fields = self.fields()
        encounter = fields["encounter_id"].read()
        params = TelehealthVisitCreate.model_validate(
            {
                "patient_id": self.patient_id,
                "provider_id": fields["provider_id"].read(),
                "encounter_id": None if encounter in (None, NO_ENCOUNTER) else encounter,
                "scheduled_at": fields["scheduled_at"].read(),
                "reason": fields["reason"].read(),
                "record": bool(fields["record"].read()),
            }
        )
        return Write("telehealth_visits.create", (params,), label="New telehealth visit", subject=self.patient_id)


class VisitLinksScreen(ModalScreen[None]):
    """A created visit's join links: `p` copies the patient's, `v` the provider's."""

    DEFAULT_CSS = """
    VisitLinksScreen { align: center middle; }
    #links-box { border: round $success; background: $surface; width: 90%; max-width: 110; height: auto;
        padding: 1 2; }
    .links-url { color: $text-muted; margin-bottom: 1; }
    #links-keys { color: $text-muted; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("p", "copy('patient')", "Copy patient link", id="visit_links.copy_patient"),
        Binding("v", "copy('provider')", "Copy provider link", id="visit_links.copy_provider"),
        Binding("escape,enter", "dismiss", "Close", id="visit_links.close"),
    ]

    def __init__(self, visit: TelehealthVisit, now: datetime | None = None) -> None:
        super().__init__()
        self.visit = visit
        self.at = visit.scheduled_at.astimezone(now.tzinfo) if now is not None else visit.scheduled_at

    def compose(self) -> ComposeResult:
        """When, the two links, the keys."""
        with Vertical(id="links-box"):
            yield Static(f"Scheduled for {self.at:%a %d %b %Y %H:%M %Z}.", id="links-when")
            yield Static("Patient join link (p copies)")
            yield Static(self.visit.join_links.patient, classes="links-url", markup=False)
            yield Static("Provider join link (v copies)")
            yield Static(self.visit.join_links.provider, classes="links-url", markup=False)
            yield Static("p copy patient link · v copy provider link · Enter or Esc close", id="links-keys")

    def on_mount(self) -> None:
        """Title the box."""
        self.query_one("#links-box").border_title = "Telehealth visit created"

    def action_copy(self, role: str) -> None:
        """A join link to the clipboard (OSC 52, so over SSH too)."""
        links = self.visit.join_links
        self.app.copy_to_clipboard(links.patient if role == "patient" else links.provider)
        self.notify(f"Copied the {role} join link.", timeout=3)

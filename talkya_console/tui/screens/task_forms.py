"""The tasks pane's small forms: complete with a disposition (`d`), resolve a handoff with a wrap-up
note, reassign (`a`), snooze (`s`) and a new task (`n`). Each dismisses with the record the API
answered, a `Queued` when the write waits in the outbox, or None when cancelled."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from textual import work
from textual.app import ComposeResult

from talkya_console.tui.forms.base import FormScreen
from talkya_console.tui.forms.fields import SelectField, TextField
from talkya_console.tui.forms.telehealth import parse_when
from talkya_console.tui.widgets.tasks_rows import role_label

if TYPE_CHECKING:
    from talkya_console.api import TalkyaClient
    from talkya_console.outbox import Write
    from talkya_console.wire import Handoff, Task, User

# What staff record on finishing a follow-up (the API takes any short text; these are the ones the
# clinic's reports group by).
DISPOSITIONS = [
    ("Reached the patient", "reached_patient"),
    ("Left a voicemail", "left_voicemail"),
    ("Booked an appointment", "booked"),
    ("Sent information", "sent_info"),
    ("No answer", "no_answer"),
    ("Not needed any more", "not_needed"),
]
ROLES = [(role_label(r), r) for r in ("front_desk", "provider", "va", "billing", "coordinator", "admin")]
PRIORITIES = [("Urgent", "urgent"), ("High", "high"), ("Normal", "normal"), ("Low", "low")]
SNOOZES = [("15 minutes", "15m"), ("1 hour", "1h"), ("Tomorrow 9:00", "tomorrow")]
FORM_CSS = "{name} {{ align: center middle; }}"


def snooze_until(choice: str, now: datetime) -> datetime:
    """`15m`, `1h` from now, or `tomorrow` at 9:00 in the zone of `now`."""
    if choice == "15m":
        return now + timedelta(minutes=15)
    if choice == "1h":
        return now + timedelta(hours=1)
    tomorrow = now.date() + timedelta(days=1)
    return datetime(tomorrow.year, tomorrow.month, tomorrow.day, 9, 0, tzinfo=now.tzinfo)


def parse_short(text: str) -> str | None:
    """Optional short text, at most 200 characters."""
    value = text.strip()
    if len(value) > 200:
        raise ValueError(f"At most 200 characters ({len(value)} now).")
    return value or None


def parse_note(text: str) -> str:
    """A wrap-up note: required, at most 5,000 characters."""
    value = text.strip()
    if not value:
        raise ValueError("Say what was done.")
    if len(value) > 5000:
        raise ValueError(f"At most 5,000 characters ({len(value)} now).")
    return value


def parse_title(text: str) -> str:
    """A task title: required, at most 200 characters."""
    value = text.strip()
    if not value:
        raise ValueError("Name the task.")
    if len(value) > 200:
        raise ValueError(f"At most 200 characters ({len(value)} now).")
    return value


class StaffChoice(SelectField[str]):
    """A staff member, from the workspace's users (loaded when the form opens)."""


class CompleteTaskScreen(FormScreen["Task"]):
    """`d`: finish a task with a disposition from the list, or one typed."""

    DEFAULT_CSS = FORM_CSS.format(name="CompleteTaskScreen")
    FORM_TITLE = "Complete task"
    SAVE_LABEL = "Complete"

    def __init__(self, client: TalkyaClient, task: Task) -> None:
        super().__init__(client)
        self.record = task

    def form_title(self) -> str:
        """Names the task (titles carry no PHI by the seed's convention, as in the pane)."""
        return f"Complete: {self.record.title}"

    def compose_fields(self) -> ComposeResult:
        """The disposition, or another one typed."""
        yield SelectField("disposition", "Disposition", DISPOSITIONS, value="reached_patient", allow_blank=False)
        yield TextField("other", "Or another", parse_short, placeholder="e.g. transferred_to_billing")

    def build(self) -> Write:
        """`tasks.complete`."""
        from talkya_console.outbox import Write

        fields = self.fields()
        disposition = fields["other"].read() or fields["disposition"].read()
        return Write("tasks.complete", (self.record.id, disposition), label="Complete task")


class ResolveHandoffScreen(FormScreen["Handoff"]):
    """`d` on a handoff: resolve it with a wrap-up note."""

    DEFAULT_CSS = FORM_CSS.format(name="ResolveHandoffScreen")
    FORM_TITLE = "Resolve handoff"
    SAVE_LABEL = "Resolve"
    ALIASES: ClassVar[dict[str, str]] = {"resolution": "note"}

    def __init__(self, client: TalkyaClient, handoff: Handoff) -> None:
        super().__init__(client)
        self.record = handoff

    def compose_fields(self) -> ComposeResult:
        """The note."""
        yield TextField(
            "note", "Wrap-up note", parse_note, placeholder="Called the patient back; all set.", required=True
        )

    def build(self) -> Write:
        """`handoffs.resolve`."""
        from talkya_console.outbox import Write

        return Write("handoffs.resolve", (self.record.id, self.fields()["note"].read()), label="Resolve handoff")


class ReassignScreen(FormScreen[Any]):
    """`a`: give a task or handoff to a staff member, or to a role's queue."""

    DEFAULT_CSS = FORM_CSS.format(name="ReassignScreen")
    FORM_TITLE = "Reassign"
    SAVE_LABEL = "Reassign"
    ALIASES: ClassVar[dict[str, str]] = {"assignee_user_id": "user", "assignee_role": "role"}

    def __init__(self, client: TalkyaClient, record: Task | Handoff, users: list[User] | None = None) -> None:
        super().__init__(client)
        self.record = record
        self.users = users or []

    def compose_fields(self) -> ComposeResult:
        """A person, or a role (a person takes the role too)."""
        yield StaffChoice("user", "Staff member", self.user_options(), prompt="Nobody in particular")
        yield SelectField("role", "Role", ROLES, value=self.record.assignee_role, prompt="Keep the role")

    def user_options(self) -> list[tuple[str, str]]:
        """`Jordan Reyes (front desk)` for each active user."""
        return [(f"{u.name} ({role_label(u.role)})", u.id) for u in self.users if u.active]

    def mounted(self) -> None:
        """Load the staff list when the pane had none."""
        if not self.users:
            self.load_users()

    @work(group="form-load", exit_on_error=False)
    async def load_users(self) -> None:
        """The workspace's staff."""
        from talkya_console.tui.widgets.pane import api_failures

        try:
            self.users = [user async for user in self.client.users.list()]
        except api_failures():
            self.show_banner("The staff list could not be loaded; a role can still be chosen.", "warning")
            return
        self.query_one(StaffChoice).selector.set_options(self.user_options())

    def cross_check(self) -> list[Any]:
        """Someone or some role."""
        fields = self.fields()
        if fields["user"].read() is None and fields["role"].read() is None:
            fields["role"].show_error("Choose a staff member or a role.")
            return [fields["role"]]
        return []

    def build(self) -> Write | None:
        """`tasks.update` or `handoffs.update` with the new assignee."""
        from talkya_console.outbox import OPERATIONS, Write

        fields = self.fields()
        user_id, role = fields["user"].read(), fields["role"].read()
        if user_id is not None and role is None:
            role = next((u.role for u in self.users if u.id == user_id), None)
        body: dict[str, Any] = {"assignee_user_id": user_id}
        if role is not None:
            body["assignee_role"] = role
        kind = "tasks" if self.record.object == "task" else "handoffs"
        if kind == "handoffs" and "handoffs.update" not in OPERATIONS:
            return None  # sent directly by `send`, below
        return Write(f"{kind}.update", (self.record.id, body), label="Reassign")

    def action_save(self) -> None:
        """A handoff's reassignment is not (yet) an outbox operation: it is sent directly."""
        from talkya_console.outbox import OPERATIONS

        if self.record.object == "handoff" and "handoffs.update" not in OPERATIONS:
            if self.saving or not self.check_all():
                return
            self.set_saving(True)
            self.send_direct()
            return
        super().action_save()

    @work(group="form-save", exit_on_error=False)
    async def send_direct(self) -> None:
        """`client.handoffs.update`, refusals shown like any other form's."""
        from talkya_console.api import APIError
        from talkya_console.tui.widgets.pane import api_failures

        fields = self.fields()
        user_id, role = fields["user"].read(), fields["role"].read()
        if user_id is not None and role is None:
            role = next((u.role for u in self.users if u.id == user_id), None)
        body: dict[str, Any] = {"assignee_user_id": user_id}
        if role is not None:
            body["assignee_role"] = role
        if user_id is None and self.record.status == "claimed":
            body["status"] = "open"  # back to the role's queue
        try:
            record = await self.client.handoffs.update(self.record.id, body)
        except (*api_failures(), APIError, ValueError) as error:
            self.show_refusal(error)
            return
        finally:
            self.set_saving(False)
        self.dismiss(record)


class SnoozeScreen(FormScreen["Task"]):
    """`s`: push a task's due time 15 minutes, an hour, or to tomorrow at 9:00."""

    DEFAULT_CSS = FORM_CSS.format(name="SnoozeScreen")
    FORM_TITLE = "Snooze task"
    SAVE_LABEL = "Snooze"
    ALIASES: ClassVar[dict[str, str]] = {"until": "until"}

    def __init__(self, client: TalkyaClient, task: Task) -> None:
        super().__init__(client)
        self.record = task

    def compose_fields(self) -> ComposeResult:
        """How long."""
        yield SelectField("until", "Snooze for", SNOOZES, value="15m", allow_blank=False)

    def build(self) -> Write:
        """`tasks.snooze` to the chosen moment."""
        from talkya_console.outbox import Write

        until = snooze_until(self.fields()["until"].read(), self.now())
        return Write("tasks.snooze", (self.record.id, until.isoformat()), label="Snooze task")


class NewTaskScreen(FormScreen["Task"]):
    """`n`: a follow-up task with a title, priority, due time and assignee or role."""

    DEFAULT_CSS = FORM_CSS.format(name="NewTaskScreen")
    FORM_TITLE = "New task"
    SAVE_LABEL = "Create task"
    ALIASES: ClassVar[dict[str, str]] = {"due_at": "due", "assignee_user_id": "user", "assignee_role": "role"}

    def __init__(self, client: TalkyaClient, users: list[User] | None = None, role: str | None = None) -> None:
        super().__init__(client)
        self.users = users or []
        self.role = role

    def compose_fields(self) -> ComposeResult:
        """Title, priority, due, who."""
        yield TextField("title", "Title", parse_title, placeholder="Call back about refill", required=True)
        yield SelectField("priority", "Priority", PRIORITIES, value="normal", allow_blank=False)
        yield TextField(
            "due",
            "Due",
            lambda text: parse_when(text, self.now()) if text.strip() else None,
            placeholder="16:30, tomorrow 9:00, 2026-11-21 09:00 (blank: no due time)",
        )
        options = [(f"{u.name} ({role_label(u.role)})", u.id) for u in self.users if u.active]
        yield StaffChoice("user", "Staff member", options, prompt="Nobody in particular")
        yield SelectField("role", "Role", ROLES, value=self.role or "front_desk", prompt="No role")

    def mounted(self) -> None:
        """Load the staff list when the pane had none."""
        if not self.users:
            self.load_users()

    @work(group="form-load", exit_on_error=False)
    async def load_users(self) -> None:
        """The workspace's staff."""
        from talkya_console.tui.widgets.pane import api_failures

        try:
            self.users = [user async for user in self.client.users.list()]
        except api_failures():
            return
        options = [(f"{u.name} ({role_label(u.role)})", u.id) for u in self.users if u.active]
        self.query_one(StaffChoice).selector.set_options(options)

    def build(self) -> Write:
        """`tasks.create`."""
        from talkya_console.outbox import Write

        fields = self.fields()
        body: dict[str, Any] = {"title": fields["title"].read(), "priority": fields["priority"].read()}
        due = fields["due"].read()
        if due is not None:
            body["due_at"] = due.isoformat()
        if (user_id := fields["user"].read()) is not None:
            body["assignee_user_id"] = user_id
        if (role := fields["role"].read()) is not None:
            body["assignee_role"] = role
        return Write("tasks.create", (body,), label="New task")

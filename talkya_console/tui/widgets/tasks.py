"""Tasks and handoffs: open handoffs first, then open tasks by due time, overdue marked."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import work
from textual.binding import Binding, BindingType
from textual.widget import Widget
from textual.widgets import DataTable

from talkya_console.tui.widgets.pane import Pane, ago, api_failures

if TYPE_CHECKING:  # imported for annotations only: the first frame does not wait for them
    from talkya_console.wire import Event, Handoff, Task, User


FAR_FUTURE = datetime.max.replace(tzinfo=UTC)
PRIORITY_STYLE = {"urgent": "bold red", "high": "yellow", "normal": "", "low": "dim"}


class TasksPane(Pane):
    """Open handoffs and open tasks."""

    PANE_ID = "tasks"
    TITLE = "Tasks and handoffs"
    EVENT_TYPES: ClassVar[frozenset[str]] = frozenset({"task.followup_due", "openclaw.handoff.created"})
    BINDINGS: ClassVar[list[BindingType]] = [Binding("m", "toggle_mine", "Mine/all", id="tasks.mine")]

    def __init__(self, number: int) -> None:
        super().__init__(number)
        self.number = number
        self.tasks: dict[str, Task] = {}
        self.handoffs: dict[str, Handoff] = {}
        self.me: User | None = None
        self.mine = False

    def signed_in(self, me: User) -> None:
        """ "Mine" means this staff member's."""
        self.me = me
        if self.mine:
            self.render_rows()

    def is_mine(self, user_id: str | None, role: str | None) -> bool:
        """Assigned to me, or to my role and no one in particular."""
        me = self.me
        return me is not None and (user_id == me.id or (user_id is None and role == me.role))

    def action_toggle_mine(self) -> None:
        """Show only mine, or everything."""
        if self.me is None:
            self.notify("Sign in as a staff member to see your own tasks.", severity="warning")
            return
        self.mine = not self.mine
        self.border_title = f"{self.number} {self.TITLE}" + (" · mine" if self.mine else "")
        self.render_rows()

    def compose_body(self) -> list[Widget]:
        """One table for both kinds."""
        table: DataTable[str] = DataTable(cursor_type="row", zebra_stripes=True, id="tasks-table")
        table.add_column("Due", key="due")
        table.add_column("", key="kind")
        table.add_column("Title", key="title")
        table.add_column("Pri", key="priority")
        table.add_column("For", key="assignee")
        return [table]

    def main_widget(self) -> Widget:
        """The table."""
        return self.query_one(DataTable)

    def task_row(self, task: Task) -> tuple[Text, ...]:
        """The cells of one task; overdue in red with a `!`."""
        overdue = task.due_at is not None and task.due_at < self.now()
        due = Text(("! " if overdue else "") + ago(task.due_at, self.now()), style="bold red" if overdue else "")
        who = task.assignee_user_id or (task.assignee_role or "").replace("_", " ")
        priority = Text(task.priority, style=PRIORITY_STYLE[task.priority])
        return (due, Text("task"), Text(task.title), priority, Text(who))

    @staticmethod
    def handoff_row(handoff: Handoff) -> tuple[Text, ...]:
        """The cells of one handoff."""
        who = handoff.assignee_user_id or (handoff.assignee_role or "").replace("_", " ")
        priority = Text(handoff.priority, style=PRIORITY_STYLE[handoff.priority])
        return (Text("now", style="bold"), Text("handoff", style="magenta"), Text(handoff.reason), priority, Text(who))

    def render_rows(self) -> None:
        """Handoffs newest first, then tasks by due time."""
        table = self.query_one(DataTable)
        keep = table.cursor_row
        table.clear()
        for handoff in sorted(self.handoffs.values(), key=lambda h: h.created_at, reverse=True):
            if not self.mine or self.is_mine(handoff.assignee_user_id, handoff.assignee_role):
                table.add_row(*self.handoff_row(handoff), key=handoff.id)
        for task in sorted(self.tasks.values(), key=lambda t: t.due_at or FAR_FUTURE):
            if not self.mine or self.is_mine(task.assignee_user_id, task.assignee_role):
                table.add_row(*self.task_row(task), key=task.id)
        if table.row_count:
            table.move_cursor(row=min(keep, table.row_count - 1))

    def select(self, row_id: str) -> None:
        """Put the cursor on one task or handoff."""
        table = self.query_one(DataTable)
        table.move_cursor(row=table.get_row_index(row_id))

    @work(exclusive=True, group="load")
    async def load(self) -> None:
        """Open tasks (up to 100) and open handoffs."""
        if self.client is None:
            return
        try:
            tasks = await self.client.tasks.list(status="open").page(limit=100)
            handoffs = await self.client.handoffs.list(status="open").page(limit=50)
        except api_failures() as error:
            self.show_problem(error)
            return
        self.show_problem(None)
        self.tasks = {task.id: task for task in tasks.data}
        self.handoffs = {handoff.id: handoff for handoff in handoffs.data}
        self.render_rows()

    def apply_event(self, event: Event) -> None:
        """Fetch the task or handoff the event names, and tell the user."""
        if event.type == "task.followup_due" and isinstance(event.data.get("task_id"), str):
            self.fetch_task(event.data["task_id"])
        elif isinstance(event.data.get("handoff_id"), str):
            self.fetch_handoff(event.data["handoff_id"])

    @work(group="event", exit_on_error=False)  # a live refresh that fails (say, mid-shutdown) is dropped
    async def fetch_task(self, task_id: str) -> None:
        """Get one task, show it and toast it."""
        if self.client is None:
            return
        try:
            task = await self.client.tasks.get(task_id)
        except api_failures() as error:
            self.show_problem(error)
            return
        self.tasks[task.id] = task
        self.render_rows()
        self.notify(task.title, title="Follow-up due", severity="warning")

    @work(group="event", exit_on_error=False)  # a live refresh that fails (say, mid-shutdown) is dropped
    async def fetch_handoff(self, handoff_id: str) -> None:
        """Get one handoff, show it and toast it."""
        if self.client is None:
            return
        try:
            handoff = await self.client.handoffs.get(handoff_id)
        except api_failures() as error:
            self.show_problem(error)
            return
        self.handoffs[handoff.id] = handoff
        self.render_rows()
        self.notify(handoff.reason, title="New handoff", severity="warning")

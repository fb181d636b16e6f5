"""Tasks and handoffs: the work queue, by due time then priority, as a flow board.

Filters: `m` mine, `r` a role, `o` overdue, `h` handoffs only. Actions on the row under the cursor,
one key each: `c` claim, `d` complete (a task, with a disposition) or resolve (a handoff, with a
wrap-up note), `a` reassign, `s` snooze, `n` new task; `T` (or Enter on a handoff) is triage."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from textual import on, work
from textual.binding import Binding, BindingType
from textual.widget import Widget
from textual.widgets import DataTable

from talkya_console.tui.widgets.pane import Pane, api_failures
from talkya_console.tui.widgets.tasks_rows import (
    OPEN_HANDOFF,
    OPEN_TASK,
    PRIORITY_RANK,
    QueueFilter,
    handoff_cells,
    queue,
    role_label,
    task_cells,
)
from talkya_console.tui.widgets.tasks_rows import (
    is_mine as _is_mine,
)

if TYPE_CHECKING:  # imported for annotations only: the first frame does not wait for them
    from talkya_console.outbox import Write
    from talkya_console.wire import Event, Handoff, Task, User

# The most tasks the queue holds (pages of 100, open and in progress): enough for a large clinic's
# backlog, sorted here since the API lists newest first.
MAX_TASKS = 5000
MAX_HANDOFFS = 500
ROW_WINDOW = 60  # rows put into the table at a time (see `render_rows`)
TITLE_WIDTH = (
    44  # (as `tasks_rows.title` cuts it): a long handoff reason must not push priority, assignee and time off the pane
)


class TasksPane(Pane):
    """Open and in-progress tasks, open and claimed handoffs."""

    PANE_ID = "tasks"
    TITLE = "Tasks and handoffs"
    EVENT_TYPES: ClassVar[frozenset[str]] = frozenset({"task.followup_due", "openclaw.handoff.created"})
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("m", "toggle_mine", "Mine/all", id="tasks.mine"),
        Binding("r", "next_role", "Role filter", show=False, id="tasks.role"),
        Binding("o", "toggle_overdue", "Overdue only", show=False, id="tasks.overdue"),
        Binding("h", "toggle_handoffs", "Handoffs only", show=False, id="tasks.handoffs"),
        Binding("c", "claim", "Claim", id="tasks.claim"),
        Binding("d", "complete", "Done", id="tasks.complete"),
        Binding("a", "reassign", "Reassign", id="tasks.reassign"),
        Binding("s", "snooze", "Snooze", id="tasks.snooze"),
        Binding("n", "new_task", "New task", id="tasks.new"),
        Binding("T", "triage", "Triage", id="tasks.triage"),
    ]

    def __init__(self, number: int) -> None:
        super().__init__(number)
        self.number = number
        self.tasks: dict[str, Task] = {}
        self.handoffs: dict[str, Handoff] = {}
        self.me: User | None = None
        self.users: list[User] = []
        self.names: dict[str, str] = {}
        self.rules = QueueFilter()
        self.shown: list[Task | Handoff] = []
        self.window = ROW_WINDOW

    # -- who and what shows -----------------------------------------------------------------------

    @property
    def mine(self) -> bool:
        """Whether only my work shows (`m`)."""
        return self.rules.mine

    def signed_in(self, me: User) -> None:
        """ "Mine" means this staff member's."""
        self.me = me
        if self.rules.mine:
            self.render_rows()

    def is_mine(self, user_id: str | None, role: str | None) -> bool:
        """Assigned to me, or to my role and no one in particular."""
        return _is_mine(self.me, user_id, role)

    def filters_changed(self) -> None:
        """Retitle and redraw from the top."""
        self.window = ROW_WINDOW
        label = self.rules.label()
        self.border_title = f"{self.number} {self.TITLE}" + (f" · {label}" if label else "")
        self.render_rows()

    def action_toggle_mine(self) -> None:
        """Show only mine, or everything."""
        if self.me is None:
            self.notify("Sign in as a staff member to see your own tasks.", severity="warning")
            return
        self.rules.mine = not self.rules.mine
        self.filters_changed()

    def action_next_role(self) -> None:
        """Front desk, provider, VA, billing, coordinator, then every role."""
        self.rules.next_role()
        self.filters_changed()
        self.notify(f"Showing: {role_label(self.rules.role)}", timeout=2)

    def action_toggle_overdue(self) -> None:
        """Only tasks past their due time, or everything."""
        self.rules.overdue = not self.rules.overdue
        self.filters_changed()

    def action_toggle_handoffs(self) -> None:
        """Only handoffs, or everything."""
        self.rules.handoffs_only = not self.rules.handoffs_only
        self.filters_changed()

    # -- the table --------------------------------------------------------------------------------

    def compose_body(self) -> list[Widget]:
        """One table for both kinds."""
        table: DataTable[str] = DataTable(cursor_type="row", zebra_stripes=True, id="tasks-table")
        # Fixed widths: the table then measures no cell as rows come and go.
        table.add_column("Due", key="due", width=8)
        table.add_column("", key="kind", width=9)
        table.add_column("Title", key="title", width=TITLE_WIDTH)
        table.add_column("Pri", key="priority", width=6)
        table.add_column("For", key="assignee", width=18)
        table.add_column("In", key="since", width=5)
        return [table]

    def main_widget(self) -> Widget:
        """The table."""
        return self.query_one(DataTable)

    def render_rows(self, focus_id: str | None = None) -> None:
        """The queue, by due time then priority; the cursor stays on its item (or its row).

        Only the first `window` rows go into the table (a table row costs about half a
        millisecond to add): the queue is worked from the top, and moving past the last row shown
        adds the next `ROW_WINDOW`."""
        table: DataTable[str] = self.query_one(DataTable)
        keep = table.cursor_row
        current = focus_id or self.current_id()
        self.shown = queue(self.tasks, self.handoffs, self.rules, self.me, self.now())
        index = next((i for i, item in enumerate(self.shown) if item.id == current), None)
        if index is not None and index >= self.window:
            self.window = index + ROW_WINDOW
        table.clear()
        self.add_rows(0, min(self.window, len(self.shown)))
        self.border_subtitle = f"{self.window:,} of {len(self.shown):,} shown" if len(self.shown) > self.window else ""
        if not table.row_count:
            return
        table.move_cursor(row=index if index is not None else min(keep, table.row_count - 1))

    def add_rows(self, start: int, stop: int) -> None:
        """Rows `start` to `stop` of the queue, at the end of the table."""
        table: DataTable[str] = self.query_one(DataTable)
        now, names = self.now(), self.names
        for item in self.shown[start:stop]:
            if item.object == "handoff":
                table.add_row(*handoff_cells(item, now, names), key=item.id)  # type: ignore[arg-type]
            else:
                table.add_row(*task_cells(item, now, names), key=item.id)  # type: ignore[arg-type]

    @on(DataTable.RowHighlighted, "#tasks-table")
    def more_rows(self, event: DataTable.RowHighlighted) -> None:
        """At the last row shown, show the next `ROW_WINDOW`."""
        table = event.data_table
        if event.cursor_row >= table.row_count - 1 and table.row_count < len(self.shown):
            start = table.row_count
            self.window = start + ROW_WINDOW
            self.add_rows(start, min(self.window, len(self.shown)))
            more = len(self.shown) > self.window
            self.border_subtitle = f"{self.window:,} of {len(self.shown):,} shown" if more else ""

    def current_id(self) -> str | None:
        """The id of the row under the cursor."""
        table = self.query_one(DataTable)
        if not table.row_count or not 0 <= table.cursor_row < len(self.shown):
            return None
        return self.shown[table.cursor_row].id

    def current(self) -> Task | Handoff | None:
        """The task or handoff under the cursor."""
        row_id = self.current_id()
        return None if row_id is None else (self.tasks.get(row_id) or self.handoffs.get(row_id))

    def select(self, row_id: str) -> None:
        """Put the cursor on one task or handoff (showing rows down to it if need be)."""
        table = self.query_one(DataTable)
        if row_id not in table.rows:
            self.render_rows(focus_id=row_id)
            if row_id not in table.rows:
                return  # filtered out
        table.move_cursor(row=table.get_row_index(row_id))

    # -- loading and live updates -----------------------------------------------------------------

    @work(exclusive=True, group="load")
    async def load(self) -> None:
        """Open and in-progress tasks, open and claimed handoffs, and the staff's names."""
        if self.client is None:
            return
        client = self.client
        try:
            tasks: list[Task] = []
            for status in OPEN_TASK:
                tasks += [t async for t in self._capped(client.tasks.list(status=status, limit=100), MAX_TASKS)]  # type: ignore[arg-type]
            handoffs: list[Handoff] = []
            for status in OPEN_HANDOFF:
                pager = client.handoffs.list(status=status, limit=100)  # type: ignore[arg-type]
                handoffs += [h async for h in self._capped(pager, MAX_HANDOFFS)]
            if not self.users:
                self.users = [u async for u in client.users.list(limit=100)]
        except api_failures() as error:
            self.show_problem(error)
            return
        self.show_problem(None)
        self.names = {u.id: u.name for u in self.users}
        self.tasks = {task.id: task for task in tasks}
        self.handoffs = {handoff.id: handoff for handoff in handoffs}
        self.render_rows()

    @staticmethod
    async def _capped(pager: Any, cap: int) -> Any:
        """At most `cap` items of a pager."""
        count = 0
        async for item in pager:
            yield item
            count += 1
            if count >= cap:
                return

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
        self.absorb(task)
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
        self.absorb(handoff)
        self.notify(handoff.reason, title="New handoff", severity="warning")

    def absorb(self, record: object, *, redraw: bool = True) -> None:
        """A task or handoff as the API now has it: kept while open, dropped once closed (the
        table is redrawn now, or by whoever passed `redraw=False`, say when triage closes)."""
        kind = getattr(record, "object", None)
        if kind == "task":
            store: dict[str, Any] = self.tasks
            still_open = record.status in OPEN_TASK  # type: ignore[attr-defined]
        elif kind == "handoff":
            store = self.handoffs
            still_open = record.status in OPEN_HANDOFF  # type: ignore[attr-defined]
        else:
            return
        record_id: str = record.id  # type: ignore[attr-defined]
        if still_open:
            store[record_id] = record
        else:
            store.pop(record_id, None)
        if redraw:
            self.render_rows(focus_id=record_id if still_open else None)

    # -- actions ----------------------------------------------------------------------------------

    def target(self, *kinds: str) -> Task | Handoff | None:
        """The row under the cursor if it is one of `kinds`; says so when it is not."""
        item = self.current()
        if item is None:
            self.notify("Nothing is selected.", severity="warning", timeout=3)
            return None
        if item.object not in kinds:
            self.notify(f"That works on a {' or '.join(kinds)} only.", severity="warning", timeout=3)
            return None
        return item

    def action_claim(self) -> None:
        """Take the task or handoff under the cursor."""
        item = self.target("task", "handoff")
        if item is None:
            return
        from talkya_console.outbox import Write

        kwargs = {"user_id": self.me.id} if self.me is not None else {}
        op = "tasks.claim" if item.object == "task" else "handoffs.claim"
        self.send(Write(op, (item.id,), kwargs, label="Claim task" if item.object == "task" else "Claim handoff"))

    def action_complete(self) -> None:
        """Complete a task with a disposition, or resolve a handoff with a wrap-up note."""
        item = self.target("task", "handoff")
        if item is None or self.client is None:
            return
        from talkya_console.tui.screens.task_forms import CompleteTaskScreen, ResolveHandoffScreen

        form = (
            CompleteTaskScreen(self.client, item) if item.object == "task" else ResolveHandoffScreen(self.client, item)
        )  # type: ignore[arg-type]
        self.app.push_screen(form, self.form_done)

    def action_reassign(self) -> None:
        """Give the task or handoff to someone else, or to a role's queue."""
        item = self.target("task", "handoff")
        if item is None or self.client is None:
            return
        from talkya_console.tui.screens.task_forms import ReassignScreen

        self.app.push_screen(ReassignScreen(self.client, item, self.users), self.form_done)

    def action_snooze(self) -> None:
        """Push a task's due time."""
        item = self.target("task")
        if item is None or self.client is None:
            return
        from talkya_console.tui.screens.task_forms import SnoozeScreen

        self.app.push_screen(SnoozeScreen(self.client, item), self.form_done)  # type: ignore[arg-type]

    def action_new_task(self) -> None:
        """A new follow-up task (for the role filtered on, if any)."""
        if self.client is None:
            return
        from talkya_console.tui.screens.task_forms import NewTaskScreen

        self.app.push_screen(NewTaskScreen(self.client, self.users, self.rules.role), self.form_done)

    def action_triage(self, start: str | None = None) -> None:
        """Work through the open handoffs one at a time."""
        if self.client is None:
            return
        from talkya_console.tui.screens.triage import TriageScreen

        # Most urgent first, then the longest waiting: of what the queue shows, else of every handoff.
        shown = [item for item in self.shown if item.object == "handoff" and item.status == "open"]
        pool = shown or [h for h in self.handoffs.values() if h.status == "open"]
        handoffs: list[Handoff] = sorted(pool, key=lambda h: (PRIORITY_RANK[h.priority], h.created_at))  # type: ignore[misc]
        if not handoffs:
            self.notify("No open handoffs.", timeout=3)
            return
        if start is not None:
            index = next((i for i, h in enumerate(handoffs) if h.id == start), 0)
            handoffs = handoffs[index:] + handoffs[:index]
        self.app.push_screen(TriageScreen(handoffs, self))  # type: ignore[arg-type]

    @on(DataTable.RowSelected, "#tasks-table")
    def row_chosen(self, event: DataTable.RowSelected) -> None:
        """Enter on a handoff triages from it."""
        event.stop()
        key = event.row_key.value
        if key in self.handoffs and self.handoffs[key].status == "open":
            self.action_triage(key)

    def form_done(self, record: object) -> None:
        """A form's answer: the record (shown in place), `Queued`, or None (cancelled)."""
        if record is None:
            return
        self.landed(record, "Saved")

    def landed(self, record: object, verb: str, *, redraw: bool = True) -> None:
        """Show what an action produced."""
        from talkya_console.tui.outgoing import Queued

        if isinstance(record, Queued):
            self.notify(f"{record.entry.write.label}: Talkya is unreachable; it waits in the outbox.", timeout=5)
            return
        self.absorb(record, redraw=redraw)
        self.notify(describe(record), title=verb, timeout=3)

    @work(group="tasks-write", exit_on_error=False)
    async def send(self, write: Write) -> None:
        """Make a single-key write; a refusal is a toast, never a traceback."""
        try:
            record = await self.app.submit(write)  # type: ignore[attr-defined]
        except Exception as error:  # refusals and failures alike are said, not raised
            self.notify(refusal_text(error), title=f"{write.label}: not done", severity="error", timeout=6)
            return
        self.landed(record, write.label)


def describe(record: object) -> str:
    """`Task in progress`, `Handoff resolved`, … for the toast."""
    kind = getattr(record, "object", "record")
    status = str(getattr(record, "status", "saved")).replace("_", " ")
    return f"{str(kind).capitalize()} {status}."


def refusal_text(error: BaseException) -> str:
    """The API's own message (which names no PHI), or what kind of failure it was."""
    message = getattr(error, "message", None)
    if isinstance(message, str) and message:
        return message
    return f"{type(error).__name__}; nothing was changed."

"""OpenClaw agent runs: the list (status, workflow, request, when, outcome), one run inspected (its
tool calls in order with their inputs and results, the handoffs it opened, its outcome), and `n` to
start a run with the tools it may use.

Follows `openclaw.*` events: the list is fetched again when one arrives."""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from talkya_console.tui.node import ConsoleNode
from talkya_console.tui.screens.table import TableScreen
from talkya_console.tui.widgets.keyline import KeyLine
from talkya_console.tui.widgets.pane import api_failures, problem_text

if TYPE_CHECKING:  # imported for annotations only: the first frame does not wait for them
    from talkya_console.wire import AgentRun, Event, Handoff

EVENT_TYPES = frozenset({"openclaw.run.completed", "openclaw.handoff.created"})
RUN_LIMIT = 100
STATUS = {
    "queued": "… queued",
    "running": "● running",
    "completed": "✓ completed",
    "failed": "✗ failed",
    "cancelled": "✗ cancelled",
}
KEYS_TEXT = "Enter inspect · n new run · r refresh · Esc close"
DETAIL_KEYS = "↑/↓ PgUp/PgDn scroll · Esc back"


def workflow_of(run: AgentRun) -> str:
    """The workflow the run was started for (its context's `workflow`), else the intent its tools
    were called with, else `—`."""
    workflow = run.context.get("workflow")
    if isinstance(workflow, str) and workflow:
        return workflow
    for call in run.tool_calls:
        intent = call.input.get("intent")
        if isinstance(intent, str) and intent:
            return intent
    return "—"


def pretty(value: Any) -> str:
    """JSON as people read it: indented, keys in order, non-ASCII kept."""
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=str)


def indent(text: str, by: str = "    ") -> str:
    """Every line of `text` indented."""
    return "\n".join(by + line for line in text.splitlines())


def one_line(text: str, width: int) -> str:
    """The text on one line, cut to `width` with an ellipsis."""
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def detail_text(run: AgentRun, handoffs: dict[str, Handoff | None], at: datetime) -> str:
    """The run as plain text: status, request, tool calls in order, handoffs, outcome."""
    zone = at.tzinfo
    lines = [
        f"Run {run.id}",
        f"Status:    {STATUS.get(run.status, run.status)}",
        f"Workflow:  {workflow_of(run)}",
        f"Started:   {run.created_at.astimezone(zone):%Y-%m-%d %H:%M}"
        + (f" · completed {run.completed_at.astimezone(zone):%H:%M}" if run.completed_at else ""),
        f"Allowed:   {', '.join(run.allowed_tools) or '—'}",
        "",
        "Request",
        indent(run.input),
    ]
    if run.context:
        lines += ["", "Context", indent(pretty(run.context))]
    lines += ["", f"Tool calls ({len(run.tool_calls)})"]
    if not run.tool_calls:
        lines.append("    none")
    for number, call in enumerate(run.tool_calls, start=1):
        mark = "✓" if call.status == "ok" else "✗"
        lines += [
            f"  {number}. {call.tool}  {mark} {call.status}",
            "     input:",
            indent(pretty(call.input), "       "),
            "     result:",
            indent(pretty(call.result), "       "),
        ]
    lines += ["", f"Handoffs opened ({len(run.handoff_ids)})"]
    if not run.handoff_ids:
        lines.append("    none")
    for handoff_id in run.handoff_ids:
        handoff = handoffs.get(handoff_id)
        if handoff is None:
            lines.append(f"  • {handoff_id}")
            continue
        who = handoff.assignee_user_id or (handoff.assignee_role or "—").replace("_", " ")
        lines.append(f"  • {handoff.id} · {handoff.status} · {handoff.priority} · to {who}")
        lines.append(f"    {handoff.reason}")
    lines += ["", "Outcome"]
    if run.outcome is None:
        lines.append("    none yet")
    else:
        lines.append(f"    {run.outcome.type.replace('_', ' ')}: {run.outcome.summary}")
    return "\n".join(lines)


class AgentRunsScreen(TableScreen):
    """The workspace's agent runs, newest first."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss", "Close", id="agent_runs.close"),
        Binding("n", "new_run", "New run", id="agent_runs.new"),
        Binding("r", "refresh", "Refresh", id="agent_runs.refresh"),
    ]
    EVENT_TYPES: ClassVar[frozenset[str]] = EVENT_TYPES
    PREFIX = "runs"
    BOX_TITLE = "OpenClaw · agent runs"
    COLUMNS = (
        ("status", "Status", 12),
        ("workflow", "Workflow", 16),
        ("request", "Request", 44),
        ("started", "Started", 12),
        ("outcome", "Outcome", 40),
    )

    def __init__(self) -> None:
        super().__init__()
        self.runs: dict[str, AgentRun] = {}

    @work(exclusive=True, group="agent-runs-load", exit_on_error=False)
    async def load(self, select: str | None = None) -> None:
        """Fetch the runs and show them; `select` puts the cursor on that run."""
        client = self.client
        if client is None:
            self.show_problem("The API is not ready yet.")
            return
        try:
            runs = await client.agent_runs.list(limit=RUN_LIMIT).collect(RUN_LIMIT)
        except api_failures() as error:
            self.show_problem(problem_text(error, self.now()))
            return
        self.show_problem(None)
        self.show(sorted(runs, key=lambda run: (run.created_at, run.id), reverse=True), select)

    def show(self, runs: list[AgentRun], select: str | None = None) -> None:
        """Replace the rows, keeping the cursor on the run it was on (or going to `select`)."""
        table = self.query_one(DataTable)
        current = self.current()
        table.clear()
        self.runs = {run.id: run for run in runs}
        for run in runs:
            table.add_row(*self.cells(run), key=run.id)
        target = select or (current.id if current is not None else None)
        if target is not None and target in self.runs:
            table.move_cursor(row=table.get_row_index(target))
        count = len(runs)
        what = "No agent runs." if not count else f"{count} run{'s' if count != 1 else ''}."
        self.query_one("#runs-count", Static).update(f"{what}  {KEYS_TEXT}")

    def cells(self, run: AgentRun) -> tuple[str, ...]:
        """Status, workflow, request, started, outcome."""
        outcome = "—" if run.outcome is None else f"{run.outcome.type.replace('_', ' ')}: {run.outcome.summary}"
        return (
            STATUS.get(run.status, run.status),
            one_line(workflow_of(run), 16),
            one_line(run.input, 44),
            f"{run.created_at.astimezone(self.now().tzinfo):%d %b %H:%M}",
            one_line(outcome, 40),
        )

    def current(self) -> AgentRun | None:
        """The run under the cursor."""
        table = self.query_one(DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return self.runs.get(str(key))

    @on(DataTable.RowSelected)
    def selected(self, event: DataTable.RowSelected) -> None:
        """Enter inspects the run."""
        event.stop()
        run = self.runs.get(str(event.row_key.value))
        if run is not None:
            self.app.push_screen(RunDetailScreen(run.id))

    def action_new_run(self) -> None:
        """Start a run (a form); when it is made, inspect it."""
        from talkya_console.tui.forms.agent_run import NewAgentRunScreen
        from talkya_console.tui.outgoing import OFFLINE_SAVED, Queued

        client = self.client
        if client is None:
            return

        def started(run: object) -> None:
            if run is None:
                return
            if isinstance(run, Queued):
                self.notify(OFFLINE_SAVED, timeout=5)
                return
            run_id = getattr(run, "id", None)
            self.load(select=run_id)
            if isinstance(run_id, str):
                self.app.push_screen(RunDetailScreen(run_id))

        self.app.push_screen(NewAgentRunScreen(client), started)

    def action_refresh(self) -> None:
        """Fetch the runs again."""
        self.load()

    def apply_event(self, event: Event) -> None:
        """A run completed or opened a handoff: fetch the runs again."""
        self.load()


class RunDetailScreen(ConsoleNode, ModalScreen[None]):
    """One run inspected: status, tool calls in order (pretty JSON), handoffs, outcome; scrolls."""

    DEFAULT_CSS = """
    RunDetailScreen { align: center middle; }
    #run-box { border: round $accent; background: $surface; width: 92%; max-width: 130; height: 90%;
        padding: 0 1; }
    #run-problem { display: none; color: $text-error; padding: 0 1; }
    #run-problem.-shown { display: block; }
    #run-scroll { height: 1fr; }
    #run-keys { color: $text-muted; padding: 0 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss", "Back", id="agent_run.close"),
        Binding("r", "refresh", "Refresh", id="agent_run.refresh"),
    ]
    EVENT_TYPES: ClassVar[frozenset[str]] = frozenset({"openclaw.handoff.created"})

    def __init__(self, run_id: str) -> None:
        super().__init__()
        self.run_id = run_id
        self.run: AgentRun | None = None

    def compose(self) -> ComposeResult:
        """The box: a problem line, the scrolling detail, the keys."""
        with Vertical(id="run-box"):
            yield Static("", id="run-problem")
            with VerticalScroll(id="run-scroll", can_focus=True):
                yield Static("Loading…", id="run-detail", markup=False)
            yield Static(DETAIL_KEYS, id="run-keys")
        yield KeyLine()

    def on_mount(self) -> None:
        """Title the box and fetch the run."""
        self.query_one("#run-box").border_title = f"Agent run {self.run_id}"
        self.query_one("#run-scroll").focus()
        self.load()

    @work(exclusive=True, group="agent-run-load", exit_on_error=False)
    async def load(self) -> None:
        """Fetch the run and the handoffs it opened (one that cannot be read shows as its id)."""
        import asyncio

        client = self.client
        if client is None:
            return
        try:
            run = await client.agent_runs.get(self.run_id)
            found = await asyncio.gather(*(client.handoffs.get(i) for i in run.handoff_ids), return_exceptions=True)
        except api_failures() as error:
            line = self.query_one("#run-problem", Static)
            line.update(problem_text(error, self.console.clock()))
            line.add_class("-shown")
            return
        handoffs: dict[str, Handoff | None] = {}
        for handoff_id, handoff in zip(run.handoff_ids, found, strict=True):
            if isinstance(handoff, BaseException) and not isinstance(handoff, api_failures()):
                raise handoff
            handoffs[handoff_id] = None if isinstance(handoff, BaseException) else handoff
        self.run = run
        self.query_one("#run-problem", Static).remove_class("-shown")
        self.query_one("#run-detail", Static).update(detail_text(run, handoffs, self.console.clock()))

    def action_refresh(self) -> None:
        """Fetch the run again."""
        self.load()

    def apply_event(self, event: Event) -> None:
        """A handoff of this run was opened: fetch it again."""
        if event.data.get("run_id") == self.run_id:
            self.load()


def open_agent_runs(app: App[object]) -> None:
    """Show the OpenClaw agent runs."""
    if getattr(app, "client", None) is None:
        app.notify("Waiting for the API…", severity="warning", timeout=3)
        return
    app.push_screen(AgentRunsScreen())

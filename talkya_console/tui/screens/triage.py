"""Triage (`T` in the tasks pane, or Enter on a handoff): the open handoffs one at a time, each with
what produced it (the call's transcript summary or the agent run) and the patient's name and MRN.

`c` accepts (claims) it, `a` assigns it to someone or a role, `r` resolves it with the wrap-up note
typed below (Enter sends). After an assign or a resolve the next handoff shows at once: its context
was loaded while the current one was on screen, and the write goes out in the background (a refusal
puts the handoff back, with a toast, unless someone else resolved it meanwhile)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Input, Static

from talkya_console.tui.node import ConsoleNode
from talkya_console.tui.widgets.tasks_rows import PRIORITY_STYLE, handoff_since, in_status, who

if TYPE_CHECKING:
    from talkya_console.api import TalkyaClient
    from talkya_console.outbox import Write
    from talkya_console.tui.widgets.tasks import TasksPane
    from talkya_console.wire import Handoff

PRELOAD = 2  # handoffs ahead whose context is fetched while the current one is read
KEYS = "c accept · a assign · r resolve (note, then Enter) · j/k next/previous · Esc back to the queue"


@dataclass
class Context:
    """What a handoff came from, ready to show."""

    patient: str = "No patient linked."
    source: list[Text] = field(default_factory=list)


async def gather(client: TalkyaClient, handoff: Handoff) -> Context:
    """The patient, and the call transcript or agent run behind a handoff (each fetched through its
    link; a link that cannot be followed says so instead of failing the whole screen)."""
    import asyncio

    from talkya_console.tui.widgets.pane import api_failures

    failures = api_failures()

    async def patient() -> str:
        if handoff.patient_id is None:
            return "No patient linked."
        try:
            record = await client.patients.get(handoff.patient_id)
        except failures as error:
            return f"Patient could not be loaded ({type(error).__name__})."
        return f"{record.name} · MRN {record.mrn}"

    async def call() -> list[Text]:
        if handoff.call_id is None:
            return []
        try:
            transcript = await client.calls.transcript(handoff.call_id)
        except failures as error:
            return [Text(f"Call {handoff.call_id}: transcript unavailable ({type(error).__name__}).", style="dim")]
        lines = [Text(f"Call {handoff.call_id} · transcript summary", style="bold")]
        lines.append(Text(transcript.summary or "(no summary yet)"))
        lines += [Text(f"  → {step}") for step in transcript.next_steps]
        return lines

    async def run() -> list[Text]:
        if handoff.run_id is None:
            return []
        try:
            agent_run = await client.agent_runs.get(handoff.run_id)
        except failures as error:
            return [Text(f"Agent run {handoff.run_id}: unavailable ({type(error).__name__}).", style="dim")]
        lines = [Text(f"Agent run {agent_run.id} · {agent_run.status}", style="bold")]
        lines.append(Text(f"Asked: {agent_run.input}"))
        lines += [
            Text(f"  {c.tool}: {c.status}", style="red" if c.status == "error" else "") for c in agent_run.tool_calls
        ]
        if agent_run.outcome is not None:
            lines.append(Text(f"Outcome ({agent_run.outcome.type}): {agent_run.outcome.summary}"))
        return lines

    name, from_call, from_run = await asyncio.gather(patient(), call(), run())
    source = from_call + from_run
    if not source:
        source = [Text("Opened by hand: no call or agent run is linked.", style="dim")]
    return Context(name, source)


class TriageScreen(ConsoleNode, Screen[None]):
    """One open handoff at a time, with single-key actions."""

    DEFAULT_CSS = """
    TriageScreen { align: center middle; background: $background; }
    #triage-box { border: round $accent; background: $surface; width: 100; max-width: 98%; height: 90%; padding: 0 1; }
    #triage-head { height: auto; color: $text-muted; }
    #triage-reason { height: auto; text-style: bold; margin-top: 1; }
    #triage-patient { height: auto; }
    #triage-body { height: 1fr; margin-top: 1; }
    #triage-summary, #triage-source { height: auto; margin-bottom: 1; }
    #triage-note { margin-top: 1; }
    #triage-keys { height: auto; color: $text-muted; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("c,y", "accept", "Accept (claim)", id="triage.accept"),
        Binding("a", "assign", "Assign", id="triage.assign"),
        Binding("r", "resolve", "Resolve with note", id="triage.resolve"),
        Binding("j,down", "step(1)", "Next", id="triage.next"),
        Binding("k,up", "step(-1)", "Previous", id="triage.previous"),
        Binding("escape", "leave", "Back to the queue", id="triage.close"),
    ]

    def __init__(self, handoffs: list[Handoff], pane: TasksPane) -> None:
        super().__init__()
        self.queue = list(handoffs)
        self.pane = pane
        self.index = 0
        self.contexts: dict[str, Context] = {}
        self.fetching: set[str] = set()
        self.started: float | None = None
        self.shown_id: str | None = None
        #: Seconds from each assign/resolve to the next handoff painted (the benchmark reads these).
        self.timings: list[float] = []

    def compose(self) -> ComposeResult:
        with Vertical(id="triage-box"):
            yield Static("", id="triage-head")
            yield Static("", id="triage-reason")
            yield Static("", id="triage-patient")
            with VerticalScroll(id="triage-body"):
                yield Static("", id="triage-summary")
                yield Static("", id="triage-source")
            yield Input(placeholder="Wrap-up note (r, type, Enter resolves)", id="triage-note", compact=True)
            yield Static(KEYS, id="triage-keys")

    def on_mount(self) -> None:
        self.query_one("#triage-box").border_title = "Triage handoffs"
        self.show()

    @property
    def current(self) -> Handoff | None:
        """The handoff on screen."""
        return self.queue[self.index] if 0 <= self.index < len(self.queue) else None

    def show(self) -> None:
        """Paint the current handoff (from the preloaded context when there is one) and load ahead."""
        handoff = self.current
        if (handoff.id if handoff else None) != self.shown_id:
            self.query_one("#triage-note", Input).value = ""  # a note belongs to one handoff
            self.shown_id = handoff.id if handoff else None
        if handoff is None:
            self.query_one("#triage-head", Static).update(f"{len(self.queue)} open handoffs")
            self.query_one("#triage-reason", Static).update("No more open handoffs. Esc goes back to the queue.")
            for name in ("#triage-patient", "#triage-summary", "#triage-source"):
                self.query_one(name, Static).update("")
            self.painted()
            return
        now = self.console.clock()
        head = Text.assemble(
            (f"Handoff {self.index + 1} of {len(self.queue)} · ", ""),
            (handoff.priority, PRIORITY_STYLE[handoff.priority] or "bold"),
            f" · for {who(handoff.assignee_user_id, handoff.assignee_role, self.pane.names) or 'anyone'}",
            f" · {handoff.status} {in_status(handoff_since(handoff), now)}",
        )
        self.query_one("#triage-head", Static).update(head)
        self.query_one("#triage-reason", Static).update(handoff.reason)
        self.query_one("#triage-summary", Static).update(handoff.summary or "")
        context = self.contexts.get(handoff.id)
        if context is None:
            self.query_one("#triage-patient", Static).update("Loading the patient…")
            self.query_one("#triage-source", Static).update(Text("Loading what produced it…", style="dim"))
        else:
            self.query_one("#triage-patient", Static).update(context.patient)
            self.query_one("#triage-source", Static).update(Text("\n").join(context.source))
        self.painted()
        for ahead in self.queue[self.index : self.index + 1 + PRELOAD]:
            if ahead.id not in self.contexts and ahead.id not in self.fetching:
                self.fetching.add(ahead.id)
                self.preload(ahead)

    def painted(self) -> None:
        """Record how long the last action took to show the next handoff, once it is on screen."""
        if self.started is None:
            return
        started, self.started = self.started, None
        self.call_after_refresh(lambda: self.timings.append(time.perf_counter() - started))

    @work(group="triage-preload", exit_on_error=False)
    async def preload(self, handoff: Handoff) -> None:
        """Fetch one handoff's context; repaint if it is the one on screen."""
        if self.client is None:
            return
        try:
            self.contexts[handoff.id] = await gather(self.client, handoff)
        finally:
            self.fetching.discard(handoff.id)
        current = self.current
        if current is not None and current.id == handoff.id:
            context = self.contexts[handoff.id]
            self.query_one("#triage-patient", Static).update(context.patient)
            self.query_one("#triage-source", Static).update(Text("\n").join(context.source))

    # -- actions ----------------------------------------------------------------------------------

    def action_step(self, delta: int) -> None:
        """The next or previous handoff, without acting on this one."""
        if self.queue:
            self.index = (self.index + delta) % len(self.queue)
            self.show()

    def on_unmount(self) -> None:
        """The queue under triage is redrawn once, with everything done here, as triage closes."""
        if self.pane.is_attached:
            self.pane.render_rows()

    def action_leave(self) -> None:
        """Back to the queue (Escape in the note only leaves the note)."""
        note = self.query_one("#triage-note", Input)
        if note.has_focus:
            self.set_focus(None)
            return
        self.dismiss(None)

    def action_accept(self) -> None:
        """Claim the handoff on screen; it stays on screen to be resolved."""
        handoff = self.current
        if handoff is None:
            return
        from talkya_console.outbox import Write

        me = self.console.me
        kwargs = {"user_id": me.id} if me is not None else {}
        self.send(Write("handoffs.claim", (handoff.id,), kwargs, label="Claim handoff"), handoff, advance=False)

    def action_assign(self) -> None:
        """Give the handoff to someone or a role; the next one shows when the form closes."""
        handoff = self.current
        if handoff is None or self.client is None:
            return
        from talkya_console.tui.screens.task_forms import ReassignScreen

        def assigned(record: object) -> None:
            if record is None:
                return
            self.pane.landed(record, "Assigned", redraw=False)
            self.begin()
            self.drop(handoff.id)

        self.app.push_screen(ReassignScreen(self.client, handoff, self.pane.users), assigned)

    def action_resolve(self) -> None:
        """Resolve with the wrap-up note; with no note yet, go and type one."""
        note = self.query_one("#triage-note", Input)
        if not note.value.strip():
            note.focus()
            self.notify("Type a wrap-up note, then Enter.", timeout=3)
            return
        self.resolve(note.value.strip())

    @on(Input.Submitted, "#triage-note")
    def note_submitted(self, event: Input.Submitted) -> None:
        """Enter in the note resolves."""
        event.stop()
        if event.value.strip():
            self.resolve(event.value.strip())
        else:
            self.notify("Type a wrap-up note first.", severity="warning", timeout=3)

    def resolve(self, note: str) -> None:
        """Send the resolve in the background and show the next handoff now."""
        handoff = self.current
        if handoff is None:
            return
        from talkya_console.outbox import Write

        self.begin()
        self.set_focus(None)
        position = self.index
        self.drop(handoff.id)
        self.send(Write("handoffs.resolve", (handoff.id, note), label="Resolve handoff"), handoff, position=position)

    def begin(self) -> None:
        """Start timing an action that moves on."""
        self.started = time.perf_counter()

    def drop(self, handoff_id: str) -> None:
        """Take a handoff out of the run and show the one after it."""
        self.queue = [h for h in self.queue if h.id != handoff_id]
        self.index = min(self.index, max(0, len(self.queue) - 1)) if self.queue else 0
        self.show()

    @work(group="triage-write", exit_on_error=False)
    async def send(self, write: Write, handoff: Handoff, *, advance: bool = True, position: int = 0) -> None:
        """Make the write; on a refusal, say so and (for a resolve) put the handoff back."""
        from talkya_console.tui.widgets.tasks import refusal_text

        try:
            record = await self.app.submit(write)  # type: ignore[attr-defined]
        except Exception as error:  # refusals and failures alike are said, not raised
            self.notify(refusal_text(error), title=f"{write.label}: not done", severity="error", timeout=6)
            if getattr(error, "code", None) == "handoff_resolved":  # someone else closed it: gone from the queue too
                self.pane.handoffs.pop(handoff.id, None)
            elif advance and all(h.id != handoff.id for h in self.queue):
                self.queue.insert(min(position, len(self.queue)), handoff)
                self.show()
            return
        self.pane.landed(record, write.label, redraw=False)
        if not advance and getattr(record, "object", None) == "handoff":
            self.queue = [record if h.id == handoff.id else h for h in self.queue]  # type: ignore[misc]
            self.show()

"""One key each from a call, in the calls pane and on the call's screen: its chart, a lead, a task,
a staff handoff, a summary on the clipboard. Every write goes through `app.submit`."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from talkya_console.tui.messages import OpenChart
from talkya_console.tui.node import ConsoleNode

if TYPE_CHECKING:  # imported for annotations only: the first frame does not wait for them
    from datetime import datetime

    from talkya_console.outbox import Write
    from talkya_console.wire import Call, Transcript

CALL_BINDINGS: list[BindingType] = [
    Binding("o", "open_chart", "Chart", id="calls.chart"),
    Binding("l", "new_lead", "Lead", id="calls.lead"),
    Binding("k", "new_task", "Task", id="calls.task"),
    Binding("h", "new_handoff", "Handoff", id="calls.handoff"),
    Binding("y", "copy_summary", "Copy summary", id="calls.copy"),
]
OFFLINE = "Saved offline: will be sent when Talkya is back."


def label(text: str | None) -> str:
    """`price_shopping` as `price shopping`."""
    return text.replace("_", " ") if text else "—"


def clock_text(seconds: int) -> str:
    """`m:ss`."""
    seconds = max(0, seconds)
    return f"{seconds // 60}:{seconds % 60:02d}"


def call_seconds(call: Call, now: datetime) -> int:
    """How long the call has lasted: to `now` while it is live, else as Talkya recorded it."""
    if call.status in ("ringing", "in_progress"):
        return max(0, int((now - call.started_at).total_seconds()))
    return call.duration_seconds


def caller_text(call: Call) -> str:
    """The matched patient's name, else the number."""
    return call.caller.name or call.caller.phone


def summary_text(call: Call, transcript: Transcript | None, now: datetime) -> str:
    """What `y` copies: who, when, how long, why, how it ended, the summary and the next steps."""
    started = call.started_at.astimezone(now.tzinfo)
    lines = [
        f"Call {started:%Y-%m-%d %H:%M} · {caller_text(call)} · {label(call.status)} · {clock_text(call_seconds(call, now))}",
        f"Intent: {label(call.intent)} · Outcome: {label(call.outcome)} · Source: {label(call.source)}"
        + (f" ({call.campaign})" if call.campaign else ""),
        f"Summary: {(transcript.summary if transcript else None) or call.summary or '—'}",
    ]
    steps = transcript.next_steps if transcript else []
    if steps:
        lines += ["Next steps:", *(f"- {step}" for step in steps)]
    return "\n".join(lines)


class AskScreen(ModalScreen[str | None]):
    """One line of text (a task's title, a handoff's reason, a lead's name); Enter gives it, Esc cancels."""

    DEFAULT_CSS = """
    AskScreen { align: center middle; }
    #ask-box { border: round $accent; background: $surface; width: 64; max-width: 95%; height: auto; padding: 1 2; }
    #ask-input { margin-top: 1; background: $boost; }
    #ask-problem { color: $text-error; height: auto; }
    #ask-keys { color: $text-muted; margin-top: 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "dismiss(None)", "Cancel", id="calls.ask.cancel")]

    def __init__(self, title: str, prompt: str, value: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.prompt = prompt
        self.value = value

    def compose(self) -> ComposeResult:
        """The prompt, the field, the keys."""
        with Vertical(id="ask-box") as box:
            box.border_title = self.title_text
            yield Label(self.prompt)
            yield Input(self.value, compact=True, id="ask-input")
            yield Static("", id="ask-problem")
            yield Static("Enter create · Esc cancel", id="ask-keys")

    @on(Input.Submitted)
    def submitted(self, event: Input.Submitted) -> None:
        """Give the text, unless it is blank."""
        event.stop()
        text = event.value.strip()
        if not text:
            self.query_one("#ask-problem", Static).update("Write something first, or Esc to cancel.")
            return
        self.dismiss(text)


class CallActions(ConsoleNode):
    """Mixed into the calls pane and the call screen; they say which call `current_call` is."""

    notify: Callable[..., None]
    run_worker: Callable[..., Any]

    def current_call(self) -> Call | None:
        """The call the keys act on."""
        raise NotImplementedError

    def loaded_transcript(self, call: Call) -> Transcript | None:
        """The call's transcript if it is already here (the call screen has it)."""
        return None

    def action_open_chart(self) -> None:
        """The caller's chart, when the caller is a known patient."""
        call = self.current_call()
        if call is None:
            return
        if call.caller.patient_id is None:
            self.notify("This caller is not matched to a patient; l makes a lead.", severity="warning")
            return
        self.console.post_message(OpenChart(call.caller.patient_id))

    def action_new_lead(self) -> None:
        """A lead from an unknown caller: their number, the call's source, campaign and intent."""
        call = self.current_call()
        if call is None:
            return
        if call.caller.patient_id is not None:
            self.notify("This caller is a patient already; o opens the chart.", severity="warning")
            return

        def named(name: str | None) -> None:
            if name:
                body = {
                    "source": call.source,
                    "intent": call.intent,
                    "patient": {"name": name, "phone": call.caller.phone},
                    "campaign": call.campaign,
                    "call_id": call.id,
                    "notes": call.summary,
                }
                self.send("leads.create", body, "New lead from call", None, "Lead created from the call.")

        self.console.push_screen(AskScreen("New lead from call", "Caller's name", "Unknown caller"), named)

    def action_new_task(self) -> None:
        """A front-desk task linked to the call (and to the caller's chart, when known)."""
        call = self.current_call()
        if call is None:
            return

        def titled(title: str | None) -> None:
            if title:
                body = {
                    "title": title,
                    "description": call.summary,
                    "assignee_role": "front_desk",
                    "call_id": call.id,
                    "patient_id": call.caller.patient_id,
                    "contact_id": call.caller.contact_id,
                }
                self.send("tasks.create", body, "New task from call", call.caller.patient_id, "Task created.")

        default = f"Call back: {label(call.intent)}" if call.intent else "Call back"
        self.console.push_screen(AskScreen("New task from call", "Title", default), titled)

    def action_new_handoff(self) -> None:
        """Hand the call to a person at the front desk, with the call linked."""
        call = self.current_call()
        if call is None:
            return

        def reasoned(reason: str | None) -> None:
            if reason:
                body = {
                    "reason": reason,
                    "summary": call.summary,
                    "call_id": call.id,
                    "patient_id": call.caller.patient_id,
                    "assignee_role": "front_desk",
                }
                self.send(
                    "handoffs.create", body, "Handoff from call", call.caller.patient_id, "Handed to the front desk."
                )

        default = f"Caller needs a person: {label(call.intent)}" if call.intent else "Caller needs a person"
        self.console.push_screen(AskScreen("Hand off to staff", "Reason", default), reasoned)

    def action_copy_summary(self) -> None:
        """The call in a few lines, on the clipboard."""
        call = self.current_call()
        if call is not None:
            self.run_worker(self.copy_summary(call), group="call-action", exit_on_error=False)

    async def copy_summary(self, call: Call) -> None:
        """Fetch the next steps if they are not here, then copy."""
        transcript = self.loaded_transcript(call)
        if transcript is None and call.status not in ("ringing", "in_progress") and self.client is not None:
            from talkya_console.tui.widgets.pane import api_failures

            try:
                transcript = await self.client.calls.transcript(call.id)
            except api_failures():
                transcript = None  # the call's own summary is still worth copying
        self.console.copy_to_clipboard(summary_text(call, transcript, self.console.clock()))
        self.notify("Copied the call's summary.", timeout=3)

    def send(self, op: str, body: dict[str, Any], write_label: str, subject: str | None, done: str) -> None:
        """Submit one write in a worker; the outcome is a toast."""
        self.run_worker(self.submit(op, body, write_label, subject, done), group="call-action", exit_on_error=False)

    async def submit(self, op: str, body: dict[str, Any], write_label: str, subject: str | None, done: str) -> None:
        """Make the write; a refusal is an error toast, never a traceback."""
        from talkya_console.outbox import Write
        from talkya_console.tui.forms.base import describe_failure
        from talkya_console.tui.outgoing import Queued

        request = {key: value for key, value in body.items() if value is not None}
        try:
            write: Write = Write(op=op, args=(request,), label=write_label, subject=subject)
            result = await self.console.submit(write)
        except Exception as error:  # any refusal is told, not raised
            self.notify(describe_failure(error, getattr(error, "message", None)), severity="error", timeout=8)
            return
        self.notify(OFFLINE if isinstance(result, Queued) else done, timeout=4)

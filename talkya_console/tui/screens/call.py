"""One call: a header, the transcript streaming in as it is spoken (following the newest line until
the person scrolls up), search within it, and the summary and next steps once the call ends."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from talkya_console.tui.screens.call_actions import (
    CALL_BINDINGS,
    CallActions,
    call_seconds,
    caller_text,
    clock_text,
    label,
)
from talkya_console.tui.widgets.keyline import KeyLine
from talkya_console.tui.widgets.pane import api_failures
from talkya_console.tui.widgets.transcript import TranscriptView
from talkya_console.wire import TranscriptSegment

if TYPE_CHECKING:
    from talkya_console.wire import Call, Event, Transcript

STATUS = {"ringing": "◌ ringing", "in_progress": "● live", "completed": "✓ completed", "missed": "✗ missed"}
LIVE = ("ringing", "in_progress")


class CallScreen(CallActions, ModalScreen[None]):
    """A call: who, how long, why; its transcript as it is spoken; its summary once it ends."""

    DEFAULT_CSS = """
    /* Opaque: a translucent screen would composite the whole desk under every streamed line. */
    CallScreen { align: center middle; background: $background; }
    #call-box { border: round $accent; background: $surface; width: 100%; max-width: 160; height: 1fr; padding: 0 1; }
    #call-header { height: auto; padding: 0 1; border-bottom: hkey $primary-muted; }
    #call-status { height: 1; color: $text-muted; padding: 0 1; }
    #call-status.-paused { color: $warning; text-style: bold; }
    #call-search { display: none; background: $boost; margin: 0 1; }
    #call-search.-shown { display: block; }
    #call-summary { display: none; height: auto; max-height: 12; padding: 0 1; border-top: hkey $primary-muted; }
    #call-summary.-shown { display: block; }
    """
    EVENT_TYPES: ClassVar[frozenset[str]] = frozenset(
        {"receptionist.call.transcript.updated", "receptionist.call.completed"}
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close", id="call.close"),
        Binding("slash", "search", "Search", id="call.search"),
        Binding("n", "step(1)", "Next match", show=False, id="call.next_match"),
        Binding("N", "step(-1)", "Previous match", show=False, id="call.previous_match"),
        Binding("f", "follow", "Follow", id="call.follow"),
        *CALL_BINDINGS,
    ]

    def __init__(self, call_id: str, call: Call | None = None) -> None:
        super().__init__()
        self.call_id = call_id
        self.call = call
        self.transcript: Transcript | None = None
        # Not `loading`: that is Textual's own reactive, which covers the screen with a spinner.
        self.fetching = False

    def compose(self) -> ComposeResult:
        """Header, transcript, status line, search field, summary, footer."""
        with Vertical(id="call-box"):
            yield Static("Loading the call…", id="call-header")
            yield TranscriptView(id="call-transcript")
            yield Static("", id="call-status")
            yield Input(
                placeholder="Search the transcript (Enter keeps the matches, Esc clears)",
                compact=True,
                id="call-search",
            )
            yield Static("", id="call-summary")
        yield KeyLine()

    def on_mount(self) -> None:
        """Fetch the call and its transcript; tick the duration while it is live."""
        self.query_one("#call-box").border_title = "Call"
        self.query_one(TranscriptView).focus()
        self.show_header()
        self.show_status()
        self.set_interval(1.0, self.tick, name="call-tick")
        self.load()

    @property
    def view(self) -> TranscriptView:
        """The transcript."""
        return self.query_one(TranscriptView)

    # -- loading and live events ---------------------------------------------------------------
    @work(exclusive=True, group="call-load")
    async def load(self) -> None:
        """The call (unless given) and its transcript so far; live events fill in the rest."""
        client = self.client
        if client is None:
            self.query_one("#call-header", Static).update("The API is not ready yet.")
            return
        self.fetching = True
        try:
            call = await client.calls.get(self.call_id)
            transcript = await client.calls.transcript(self.call_id)
        except api_failures() as error:
            self.notify(f"Could not load the call: {type(error).__name__}.", severity="error")
            return
        finally:
            self.fetching = False
        self.call = call
        self.take(transcript)

    def take(self, transcript: Transcript) -> None:
        """Show a fetched transcript: its segments (merged with those events brought) and summary."""
        self.transcript = transcript
        self.view.add(transcript.segments)
        self.show_header()
        self.show_summary()

    def apply_event(self, event: Event) -> None:
        """New segments for this call are added as they come; a completed call shows its summary."""
        if event.data.get("call_id") != self.call_id:
            return
        if event.type == "receptionist.call.completed":
            self.load()
            return
        raw = event.data.get("segments")
        try:
            segments = [TranscriptSegment.model_validate(item) for item in raw] if isinstance(raw, list) else None
        except ValueError:
            segments = None
        if not segments:
            if not self.fetching:
                self.load()
            return
        gap = min(segment.index for segment in segments) > self.view.last_index() + 1
        self.view.add(segments)
        if gap and not self.fetching:  # events were missed (or came before the first fetch): fetch the rest
            self.load()

    # -- what is shown -------------------------------------------------------------------------
    def current_call(self) -> Call | None:
        """This call."""
        return self.call

    def loaded_transcript(self, call: Call) -> Transcript | None:
        """The transcript as fetched."""
        return self.transcript

    def show_header(self) -> None:
        """Caller, status, duration, intent, outcome, source."""
        call = self.call
        header = self.query_one("#call-header", Static)
        if call is None:
            return
        now = self.console.clock()
        started = call.started_at.astimezone(now.tzinfo)
        parts = Text.assemble(
            (caller_text(call), "bold"),
            ("  " + STATUS.get(call.status, label(call.status)), "bold green" if call.status in LIVE else ""),
            f"  {clock_text(call_seconds(call, now))}",
            f"  · started {started:%b %d %H:%M}",
            "\n",
            ("intent ", "dim"),
            label(call.intent),
            ("  outcome ", "dim"),
            label(call.outcome),
            ("  source ", "dim"),
            label(call.source) + (f" ({call.campaign})" if call.campaign else ""),
            (
                "  · known patient: o opens the chart"
                if call.caller.patient_id
                else "  · unknown caller: l makes a lead",
                "dim",
            ),
        )
        header.update(parts)

    def tick(self) -> None:
        """A live call's duration moves with the clock."""
        if self.call is not None and self.call.status in LIVE:
            self.show_header()

    def show_summary(self) -> None:
        """The summary and next steps, once the call has them."""
        box = self.query_one("#call-summary", Static)
        transcript, call = self.transcript, self.call
        summary = (transcript.summary if transcript else None) or (call.summary if call else None)
        if not summary or (call is not None and call.status in LIVE):
            box.set_class(False, "-shown")
            return
        parts = [Text("Summary", style="bold underline"), Text(summary)]
        steps = transcript.next_steps if transcript else []
        if steps:
            parts += [Text("Next steps", style="bold underline"), *(Text(f"• {step}") for step in steps)]
        box.update(Text("\n").join(parts))
        box.set_class(True, "-shown")

    def show_status(self) -> None:
        """Following or paused, and the search's place."""
        view = self.view
        line = self.query_one("#call-status", Static)
        if view.following:
            state = Text("↓ following live" if self.call is None or self.call.status in LIVE else "↓ at the end")
        else:
            new = f" · {view.unseen} new" if view.unseen else ""
            state = Text(f"⏸ paused — End to follow{new}")
        if view.query_text:
            found = f"{view.current + 1}/{len(view.matches)}" if view.matches else "no"
            state.append(f"   matches for “{view.query_text}”: {found} (n/N)")
        line.update(state)
        line.set_class(not view.following, "-paused")

    @on(TranscriptView.Following)
    def following_changed(self) -> None:
        """Show whether the view follows."""
        self.show_status()

    # -- keys ----------------------------------------------------------------------------------
    def action_follow(self) -> None:
        """Back to the newest line, following."""
        self.view.follow()

    def action_search(self) -> None:
        """Open the search field."""
        field = self.query_one("#call-search", Input)
        field.set_class(True, "-shown")
        field.focus()

    @on(Input.Changed, "#call-search")
    def search_changed(self, event: Input.Changed) -> None:
        """Highlight as the person types; jump to the first match."""
        if self.view.search(event.value.strip()):
            self.view.show(self.view.matches[self.view.current].position)
        self.show_status()

    @on(Input.Submitted, "#call-search")
    def search_submitted(self) -> None:
        """Keep the matches; n and N move between them."""
        self.query_one("#call-search", Input).set_class(False, "-shown")
        self.view.focus()

    def action_step(self, delta: int) -> None:
        """The next or previous match."""
        if self.view.step(delta) is None and self.view.query_text:
            self.notify("No matches.", timeout=2)
        self.show_status()

    def action_close(self) -> None:
        """Escape clears a search first, then closes."""
        field = self.query_one("#call-search", Input)
        if field.has_class("-shown") or self.view.query_text:
            field.set_class(False, "-shown")
            field.value = ""
            self.view.search("")
            self.view.focus()
            self.show_status()
            return
        self.dismiss(None)

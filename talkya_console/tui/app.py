"""The console app: the desk of four panes, the header, live updates, and the keys that drive them."""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid

import talkya_console
from talkya_console.tui import collector, strips, tables
from talkya_console.tui.chart.clinical import Encounters, Notes
from talkya_console.tui.commands import ActionsProvider, ChannelsProvider, PatientsProvider, TasksProvider
from talkya_console.tui.forms import VisitLinksScreen
from talkya_console.tui.forms.base import FormScreen
from talkya_console.tui.messages import ClientReady, LiveEvent, LiveReset, LiveStatus, OpenChart
from talkya_console.tui.outgoing import OutgoingDesk
from talkya_console.tui.screens.call import CallScreen
from talkya_console.tui.screens.chart import ChartScreen
from talkya_console.tui.screens.confirm import ConfirmScreen
from talkya_console.tui.screens.help import HelpScreen
from talkya_console.tui.screens.lock import LockScreen
from talkya_console.tui.screens.lookup import LookupScreen
from talkya_console.tui.screens.outbox import OutboxScreen
from talkya_console.tui.screens.signin import SignInScreen
from talkya_console.tui.screens.telehealth import TelehealthScreen
from talkya_console.tui.screens.triage import TriageScreen
from talkya_console.tui.staff import StaffDesk
from talkya_console.tui.widgets.calls import CallsPane
from talkya_console.tui.widgets.calls_filter import FilterScreen
from talkya_console.tui.widgets.header import ConsoleHeader, LiveIndicator
from talkya_console.tui.widgets.keyline import KeyLine
from talkya_console.tui.widgets.messenger import MessengerPane
from talkya_console.tui.widgets.messenger_composer import Composer
from talkya_console.tui.widgets.messenger_view import MessageView
from talkya_console.tui.widgets.pane import Pane
from talkya_console.tui.widgets.patients import PatientsPane
from talkya_console.tui.widgets.tasks import TasksPane

strips.patch()  # lines freed when they go, not left to the collector (see strips.py)
tables.patch()  # tables drawn at their measured widths (see tables.py)

if TYPE_CHECKING:  # imported for annotations only: the first frame does not wait for them
    from talkya_console.api import TalkyaClient
    from talkya_console.outbox import Outbox
    from talkya_console.relay.subscriber import Reset
    from talkya_console.tui.identity import Identity
    from talkya_console.wire import Event, User

    Subscribe = Callable[[int | None, str | None], AsyncIterator[Event | Reset]]
PANES: tuple[type[Pane], ...] = (CallsPane, MessengerPane, PatientsPane, TasksPane)
RECENT_CHARTS = 10
DESK_ACTIONS = frozenset({"focus_pane", "zoom", "lookup", "refresh"})


STYLESHEETS = ("app.tcss", "chart.tcss", "forms.tcss", "messenger.tcss")


def styles_path(name: str = "app.tcss") -> Path:
    """A stylesheet inside the installed package, else in the repository's `styles/`."""
    packaged = Path(talkya_console.__file__).parent / "styles" / name
    return packaged if packaged.exists() else Path(talkya_console.__file__).parent.parent / "styles" / name


def preload_client_stack() -> None:
    """Import what the first API call and the relay subscriber need (run in a thread after the first frame)."""
    import talkya_console.api
    import talkya_console.relay.subscriber  # noqa: F401


def start_failure(error: Exception) -> str:
    """What the header says when the runtime could not start: the runtime's own words when it has
    them (they are written for this), else the kind of failure, never a traceback."""
    from talkya_console.runtime import StartError

    if isinstance(error, StartError):
        return f"start failed: {error}"
    return f"start failed: {type(error).__name__}"


def local_now() -> datetime:
    """The wall clock, in the local zone."""
    return datetime.now().astimezone()


class TalkyaConsole(StaffDesk, OutgoingDesk):
    """The staff console."""

    TITLE = "Talkya Console"
    CSS_PATH: ClassVar[list[str | PurePath]] = [styles_path(name) for name in STYLESHEETS]
    COMMANDS = App.COMMANDS | {ActionsProvider, PatientsProvider, ChannelsProvider, TasksProvider}
    HORIZONTAL_BREAKPOINTS: ClassVar[list[tuple[int, str]]] = [
        (0, "-narrow"),
        (80, "-normal"),
        (120, "-roomy"),
        (160, "-wide"),
    ]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("1", "focus_pane('calls')", "Calls", show=False, id="desk.calls"),
        Binding("2", "focus_pane('messenger')", "Messenger", show=False, id="desk.messenger"),
        Binding("3", "focus_pane('patients')", "Patients", show=False, id="desk.patients"),
        Binding("4", "focus_pane('tasks')", "Tasks", show=False, id="desk.tasks"),
        Binding("slash", "lookup", "Lookup", id="desk.lookup"),
        Binding("z", "zoom", "Zoom", id="desk.zoom"),
        Binding("question_mark", "help", "Keys", id="app.help"),
        Binding("t", "next_theme", "Theme", id="app.theme"),
        Binding("ctrl+r", "refresh", "Refresh", show=False, id="desk.refresh"),
        Binding("ctrl+l", "lock", "Lock", id="app.lock"),
        Binding("ctrl+o", "outbox", "Outbox", show=False, id="app.outbox"),
    ]

    def __init__(
        self,
        *,
        client_factory: Callable[[], TalkyaClient],
        subscribe: Subscribe | None,
        workspace: str,
        keymap: dict[str, str] | None = None,
        theme: str | None = None,
        start: Callable[[], Awaitable[None]] | None = None,
        start_live: Callable[[], Awaitable[None]] | None = None,
        clock: Callable[[], datetime] = local_now,
        identity: Identity | None = None,
        identity_factory: Callable[[], Identity] | None = None,
        idle_lock_minutes: float = 10,
        monotonic: Callable[[], float] = time.monotonic,
        outbox: Outbox | None = None,
    ) -> None:
        super().__init__()
        self.client_factory = client_factory
        self.subscribe = subscribe
        self.workspace = workspace
        self.start = start
        self.start_live = start_live
        self.clock = clock
        self.client: TalkyaClient | None = None
        self.identity = identity
        self.identity_factory = identity_factory
        self.me: User | None = None
        # 0 (or less) turns the idle lock off.
        self.idle_lock_seconds = idle_lock_minutes * 60 if idle_lock_minutes > 0 else None
        self.monotonic = monotonic
        # Writes made while Talkya could not be reached (None: such a write is refused on the spot).
        self.outbox = outbox
        self.last_input = monotonic()
        # The collector's thresholds before boot changed them (collector.py), given back at the end.
        self.collector_before: tuple[int, int, int] | None = None
        # A lock or sign-in screen covers the desk: no toasts (they may name patients), no desk keys.
        self.locked = False
        # Set once boot has run (whether the runtime started or not): tests and scripts await it.
        self.booted = asyncio.Event()
        # Charts opened this session, newest last: id -> "name · MRN" (memory only, never on disk).
        self.recent_charts: dict[str, str] = {}
        self.keymap = dict(keymap or {})
        if self.keymap:
            self.set_keymap(self.keymap)
        if theme and theme in self.available_themes:
            self.theme = theme

    def compose(self) -> ComposeResult:
        """Header, the desk, footer."""
        yield ConsoleHeader(self.workspace, self.clock, "connecting" if self.subscribe else "disabled")
        with Grid(id="desk"):
            for number, pane in enumerate(PANES, start=1):
                yield pane(number)
        yield KeyLine()

    def on_mount(self) -> None:
        """Focus the calls pane, then boot after the first frame."""
        self.action_focus_pane("calls")
        self.call_after_refresh(self.boot)
        if self.idle_lock_seconds:
            self.set_interval(min(15.0, self.idle_lock_seconds / 4), self.check_idle_lock)

    @work(group="boot", exit_on_error=False)
    async def boot(self) -> None:
        """Start the runtime (if any), make the client, load the panes, and follow the relay.

        The panes load as soon as the API answers; the relay may still be starting."""
        try:
            await self._boot()
        finally:
            self.booted.set()

    async def _boot(self) -> None:
        header = self.query_one(ConsoleHeader)
        # The client stack takes about half a second to import: do it while the runtime starts.
        preload = None
        if "talkya_console.api" not in sys.modules:
            preload = asyncio.create_task(asyncio.to_thread(preload_client_stack))
        if self.start is not None:
            header.set_who("starting…")
            try:
                await self.start()
            except Exception as error:  # any start failure is shown, not raised
                header.set_who(start_failure(error))
                self.post_message(LiveStatus("offline", offline_since=self.clock()))
                return
        if preload is not None:
            await preload
        if self.identity is None and self.identity_factory is not None:
            self.identity = self.identity_factory()
        signed_in_now = False
        if self.identity is not None and not await self.identity.ready():
            # No stored sign-in and no API key: someone signs in before the desk opens.
            header.set_who("not signed in")
            self.locked = True
            await self.push_screen(SignInScreen("Sign in to open the desk."), wait_for_dismiss=True)
            self.unlock()
            signed_in_now = True
        self.client = self.client_factory()
        self.post_message(ClientReady())
        if self.subscribe is not None:
            self.follow_relay(self.subscribe)
        await self.load_me(remind_pin=not signed_in_now)
        if signed_in_now:
            self.ask_for_pin()
        # Full garbage-collector passes in pauses of the typing, not mid-frame (see collector.py).
        self.collector_before = collector.settle()
        self.set_interval(collector.CHECK_SECONDS, self.collect_garbage)

    def collect_garbage(self) -> None:
        """A full collector pass, if nobody is typing."""
        collector.collect_if_idle(self.last_input, self.monotonic())

    @on(ClientReady)
    def client_ready(self) -> None:
        """Load every pane; send what waited in the outbox since the last run."""
        self.action_refresh()
        if self.outbox is not None:
            self.query_one(ConsoleHeader).set_pending(self.outbox.count())
            self.flush_outbox()

    @work(group="live", exit_on_error=False)
    async def follow_relay(self, subscribe: Subscribe) -> None:
        """Turn relay items into messages; a failed stream shows offline instead of a traceback."""
        from talkya_console.relay.subscriber import Reset

        try:
            if self.start_live is not None:
                await self.start_live()
            async for item in subscribe(None, None):
                self.post_message(LiveReset() if isinstance(item, Reset) else LiveEvent(item))
        except Exception as error:  # the indicator says so; the desk keeps what it shows
            self.post_message(LiveStatus("offline", offline_since=self.clock()))
            from talkya_console.runtime import StartError

            if isinstance(error, StartError):
                self.notify(f"Live updates are off: {error}", severity="warning", timeout=10)

    @on(LiveEvent)
    def live_event(self, message: LiveEvent) -> None:
        """Hand the event to each pane that shows its type."""
        for pane in self.query(Pane):
            if message.event.type in pane.EVENT_TYPES:
                pane.apply_event(message.event)
        # Screens over the desk that follow events (a live transcript) declare them the same way.
        for screen in self.screen_stack[1:]:
            if message.event.type in getattr(screen, "EVENT_TYPES", ()):
                screen.apply_event(message.event)  # type: ignore[attr-defined]

    @on(LiveReset)
    def live_reset(self) -> None:
        """The relay lost our place: refetch everything."""
        self.action_refresh()

    @on(LiveStatus)
    def live_status(self, message: LiveStatus) -> None:
        """Show the link state."""
        self.query_one(LiveIndicator).set_state(message.status, message.retry_in, message.offline_since)

    @on(OpenChart)
    def open_chart_message(self, message: OpenChart) -> None:
        """Open a chart asked for by a pane."""
        self.open_chart(message.patient_id)

    def open_chart(self, patient_id: str) -> None:
        """Show one patient's chart."""
        self.push_screen(ChartScreen(patient_id, client=self.client))

    def remember_chart(self, patient_id: str, label: str) -> None:
        """A chart was opened: first in the lookup's recent list (ten kept)."""
        self.recent_charts.pop(patient_id, None)
        self.recent_charts[patient_id] = label
        while len(self.recent_charts) > RECENT_CHARTS:
            del self.recent_charts[next(iter(self.recent_charts))]

    def open_channel(self, channel_id: str) -> None:
        """Focus the messenger on one channel."""
        self.action_focus_pane("messenger")
        self.query_one(MessengerPane).select_channel(channel_id)

    def tasks_action(self, name: str) -> None:
        """Run one of the task queue's actions (from the palette), with the queue focused."""
        self.action_focus_pane("tasks")
        getattr(self.query_one(TasksPane), f"action_{name}")()

    def action_new_channel(self) -> None:
        """Create a channel, from the messenger."""
        self.action_focus_pane("messenger")
        self.query_one(MessengerPane).action_create_channel()

    def action_next_channel(self) -> None:
        """Jump to the next channel with activity."""
        self.action_focus_pane("messenger")
        self.query_one(MessengerPane).action_next_active()

    def open_task(self, row_id: str) -> None:
        """Focus the tasks pane on one task or handoff."""
        self.action_focus_pane("tasks")
        self.query_one(TasksPane).select(row_id)

    def pane_titles(self) -> list[tuple[str, str]]:
        """(id, title) of each pane."""
        return [(pane.PANE_ID, pane.TITLE) for pane in PANES]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Desk keys do nothing while a screen is over the desk; while locked, only quitting does."""
        if self.locked:
            return action == "quit"
        return not (action in DESK_ACTIONS and len(self.screen_stack) > 1)

    def focused_pane(self) -> Pane | None:
        """The pane holding the focus."""
        node = self.focused
        while node is not None and not isinstance(node, Pane):
            node = node.parent  # type: ignore[assignment]
        return node

    def action_focus_pane(self, pane_id: str) -> None:
        """Focus a pane (a zoomed desk zooms onto it)."""
        pane = self.query_one(f"#{pane_id}", Pane)
        desk = self.query_one("#desk")
        if desk.has_class("-zoomed"):
            for other in self.query(Pane):
                other.set_class(other is pane, "-zoomed")
        pane.main_widget().focus()

    def action_zoom(self) -> None:
        """Toggle full screen for the focused pane."""
        desk = self.query_one("#desk")
        pane = self.focused_pane() or self.query_one(CallsPane)
        zoom = not desk.has_class("-zoomed")
        desk.set_class(zoom, "-zoomed")
        for other in self.query(Pane):
            other.set_class(zoom and other is pane, "-zoomed")

    def action_lookup(self) -> None:
        """Open patient lookup; a choice opens the chart."""

        def chosen(patient_id: str | None) -> None:
            if patient_id:
                self.open_chart(patient_id)

        self.push_screen(LookupScreen(), chosen)

    def action_outbox(self) -> None:
        """Show the writes waiting to be sent."""
        if not isinstance(self.screen, OutboxScreen):
            self.push_screen(OutboxScreen())

    def action_help(self) -> None:
        """List every binding."""
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.binding_rows()))

    def binding_rows(self) -> list[tuple[str, str, str, str]]:
        """(where, key, what, id) for each binding, with the keymap applied."""
        scopes: list[tuple[str, list[BindingType]]] = [
            ("Anywhere", [*self.BINDINGS, Binding("ctrl+p", "command_palette", "Command palette", id="app.palette")]),
            ("Lookup", LookupScreen.BINDINGS),
            ("Chart", ChartScreen.BINDINGS),
            ("Chart: encounters", Encounters.BINDINGS),
            ("Chart: notes", Notes.BINDINGS),
            ("Confirm", ConfirmScreen.BINDINGS),
            ("Help", HelpScreen.BINDINGS),
            ("Patients pane", PatientsPane.BINDINGS),
            ("Tasks pane", TasksPane.BINDINGS),
            ("Triage", TriageScreen.BINDINGS),
            ("Calls pane", CallsPane.BINDINGS),
            ("Call", CallScreen.BINDINGS),
            ("Filter calls", FilterScreen.BINDINGS),
            ("Messenger", MessengerPane.BINDINGS),
            ("Messenger: messages", MessageView.BINDINGS),
            ("Messenger: composer", Composer.BINDINGS),
            ("Forms", FormScreen.BINDINGS),
            ("Outbox", OutboxScreen.BINDINGS),
            ("Telehealth", TelehealthScreen.BINDINGS),
            ("Visit links", VisitLinksScreen.BINDINGS),
            ("Locked", LockScreen.BINDINGS),
            ("Signing in", SignInScreen.BINDINGS),
        ]
        rows = []
        for where, bindings in scopes:
            for binding in bindings:
                if isinstance(binding, Binding):
                    key = self.keymap.get(binding.id or "", binding.key)
                    rows.append(
                        (
                            where,
                            ", ".join(self.get_key_display(Binding(k, "")) for k in key.split(",")),
                            binding.description,
                            binding.id or "",
                        )
                    )
        rows.append(("Patients pane", "enter", "Open chart", ""))
        rows.append(("Any list", "↑ ↓ pgup pgdn", "Move", ""))
        rows.append(("Tasks pane", "enter", "Triage from this handoff", ""))
        rows.append(("Calls pane", "enter", "Open call", ""))
        rows.append(("Messenger", "enter", "Write in the channel (on a channel)", ""))
        rows.append(("Messenger: messages", "home / up at the top", "Load older messages", ""))
        return rows

    def action_next_theme(self) -> None:
        """Switch to the next built-in theme."""
        names = sorted(self.available_themes)
        self.theme = names[(names.index(self.theme) + 1) % len(names)] if self.theme in names else names[0]
        self.notify(f"Theme: {self.theme}", timeout=2)

    def action_refresh(self) -> None:
        """Refetch every pane."""
        for pane in self.query(Pane):
            pane.load()

    def refresh_after_write(self) -> None:
        """A pending write landed: the panes refetch."""
        self.action_refresh()

    async def on_unmount(self) -> None:
        """Close the client's connections; the garbage collector as it was before boot."""
        if self.collector_before is not None:
            collector.release(self.collector_before)
            self.collector_before = None
        if self.client is not None:
            await self.client.aclose()

"""Messenger: the staff's channels with unread counts and mentions, the open channel's messages,
and a composer. Read markers are WeeChat's: a channel's marker is where it was read up to, the
divider stands there while the channel is open, and `Alt+A` (or `]`) jumps to the next channel
with activity, mentions first."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from rich.text import Text
from textual import on, work
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widget import Widget
from textual.widgets import DataTable, Input, OptionList, Static

from talkya_console.tui.messages import OpenChart
from talkya_console.tui.outgoing import OutboxChanged, Queued, WriteLanded, pending_for
from talkya_console.tui.widgets.messenger_composer import Composer, ComposerBox
from talkya_console.tui.widgets.messenger_files import system_open, target_for
from talkya_console.tui.widgets.messenger_render import mentioned
from talkya_console.tui.widgets.messenger_view import MessageView
from talkya_console.tui.widgets.pane import Pane, api_failures

if TYPE_CHECKING:  # imported for annotations only: the first frame does not wait for them
    from talkya_console.wire import Channel, Event, File, Message, User

# Messages per page: the newest page when a channel opens, then one more each time the reader
# scrolls to the top. Never the whole history at once.
PAGE = 50
DIRECTORY_LIMIT = 200


class MessengerPane(Pane):
    """Channels on the left; the highlighted channel's messages and the composer on the right
    (below when narrow)."""

    PANE_ID = "messenger"
    TITLE = "Messenger"
    EVENT_TYPES: ClassVar[frozenset[str]] = frozenset({"message.created"})
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("alt+a,right_square_bracket", "next_active", "Next active", id="messenger.next_active"),
        Binding("r", "mark_read", "Mark read", show=False, id="messenger.mark_read"),
        Binding("u", "mark_unread", "Mark unread", show=False, id="messenger.mark_unread"),
        Binding("c", "create_channel", "New channel", id="messenger.create"),
        Binding("ctrl+f", "search", "Search channel", show=False, id="messenger.find"),
        Binding("escape", "close_search", "Close search", show=False, id="messenger.close_search"),
    ]

    def __init__(self, number: int) -> None:
        super().__init__(number)
        self.channels: dict[str, Channel] = {}
        self.unread: dict[str, int] = {}
        self.mentioned: set[str] = set()  # channels with an unread mention of the signed-in user
        # Where each channel was read up to (the read marker); memory only.
        self.read_at: dict[str, datetime] = {}
        self.selected: str | None = None
        self.divider: datetime | None = None  # the open channel's marker as it was when opened
        self.older_cursor: str | None = None
        self.me: User | None = None
        self.users: list[User] = []
        self.sending = False
        # The channel whose messages are painted (benchmarks and tests wait on it).
        self.shown: str | None = None

    def compose_body(self) -> list[Widget]:
        """Channels table; beside it the messages, a search bar and the composer."""
        channels: DataTable[str] = DataTable(cursor_type="row", id="channels-table")
        channels.add_column("Channel", key="name")
        channels.add_column("New", key="unread")
        view = MessageView(self.console.clock, id="messages")
        search = Horizontal(
            Input(placeholder="Search this channel", compact=True, id="messenger-search"),
            Static("", id="messenger-search-count"),
            id="messenger-search-bar",
        )
        channel = Vertical(view, search, ComposerBox(id="composer-box"), id="channel-view")
        return [Horizontal(channels, channel, id="messenger-body")]

    def main_widget(self) -> Widget:
        """The channels table."""
        return self.query_one("#channels-table", DataTable)

    @property
    def view(self) -> MessageView:
        return self.query_one(MessageView)

    @property
    def box(self) -> ComposerBox:
        return self.query_one(ComposerBox)

    def signed_in(self, me: User) -> None:
        """Mentions of this staff member stand out; their pending messages carry their name."""
        self.me = me
        view = self.view
        view.me = me.id
        view.pending_author = me.name
        if self.selected is not None:
            view.rebuild(anchor=view.current_id())

    # The channel list.

    def select_channel(self, channel_id: str) -> None:
        """Highlight a channel (its messages load)."""
        table = self.query_one("#channels-table", DataTable)
        table.move_cursor(row=table.get_row_index(channel_id))

    @work(exclusive=True, group="load")
    async def load(self) -> None:
        """Every channel (and the staff directory, for @names); the selected one's messages follow."""
        if self.client is None:
            return
        try:
            page = await self.client.channels.list().page(limit=100)
        except api_failures() as error:
            self.show_problem(error)
            return
        self.show_problem(None)
        if not self.users:
            try:
                self.users = [u for u in await self.client.users.list().collect(DIRECTORY_LIMIT) if u.active]
            except api_failures():  # no directory (a key without users:read): no completion, nothing else lost
                self.users = []
            self.box.composer.users = self.users
        self.channels = {channel.id: channel for channel in page.data}
        for channel in page.data:
            # A channel first seen now counts as read up to its last message.
            self.read_at.setdefault(channel.id, channel.last_message_at or channel.created_at)
        table = self.query_one("#channels-table", DataTable)
        table.clear()
        for channel in page.data:
            table.add_row(self.name_cell(channel.id), self.unread_cell(channel.id), key=channel.id)
        target = self.selected if self.selected in self.channels else next(iter(self.channels), None)
        if target is not None:
            self.select_channel(target)
            self.show_channel(target)

    def name_cell(self, channel_id: str) -> Text:
        """`#name`, bold while it has unread messages."""
        style = "bold" if self.unread.get(channel_id) else ""
        return Text(f"#{self.channels[channel_id].name}", style=style)

    def unread_cell(self, channel_id: str) -> Text:
        """The unread count, blank at zero; `@` first when one of them mentions me."""
        count = self.unread.get(channel_id, 0)
        mark = "@" if channel_id in self.mentioned else ""
        return Text(f"{mark}{count}" if count else "", style="bold yellow" if mark else "bold")

    def update_row(self, channel_id: str) -> None:
        table = self.query_one("#channels-table", DataTable)
        if channel_id in table.rows:
            table.update_cell(channel_id, "name", self.name_cell(channel_id))
            table.update_cell(channel_id, "unread", self.unread_cell(channel_id))

    @on(DataTable.RowHighlighted, "#channels-table")
    def highlighted(self, event: DataTable.RowHighlighted) -> None:
        """Show the highlighted channel (a reload's passing highlights, since moved on, are not shown)."""
        if event.cursor_row != event.data_table.cursor_row:
            return
        if event.row_key.value and event.row_key.value != self.selected:
            self.show_channel(event.row_key.value)

    @on(DataTable.RowSelected, "#channels-table")
    def chosen(self) -> None:
        """Enter on a channel: write in it."""
        self.box.composer.focus()

    def show_channel(self, channel_id: str) -> None:
        """Open a channel: its divider stands where it was read up to; it is read from now on."""
        if channel_id != self.selected or self.shown is None:
            self.divider = self.read_at.get(channel_id) if self.unread.get(channel_id) else None
            self.close_search()
        self.selected = channel_id
        self.unread[channel_id] = 0
        self.mentioned.discard(channel_id)
        self.update_row(channel_id)
        self.load_messages(channel_id)

    # The open channel's messages.

    @work(exclusive=True, group="messages")
    async def load_messages(self, channel_id: str) -> None:
        """The channel's newest page, oldest at the top."""
        if self.client is None:
            return
        try:
            page = await self.client.messages.list(channel_id=channel_id).page(limit=PAGE)
        except api_failures() as error:
            self.show_problem(error)
            return
        self.older_cursor = page.next_cursor if page.has_more else None
        self.view.show(
            page.data,
            has_more=self.older_cursor is not None,
            divider_after=self.divider,
            pending=pending_for(self.app, channel_id),
            title=f"#{self.channels[channel_id].name}" if channel_id in self.channels else "the channel",
        )
        if page.data:
            self.read_up_to(channel_id, max(m.created_at for m in page.data))
        self.shown = channel_id

    def read_up_to(self, channel_id: str, when: datetime) -> None:
        """Move the read marker forward (never back)."""
        current = self.read_at.get(channel_id)
        if current is None or when > current:
            self.read_at[channel_id] = when

    @on(MessageView.NeedOlder)
    def need_older(self) -> None:
        """The reader scrolled to the top: one more page."""
        if self.selected is not None and self.older_cursor is not None:
            self.load_older(self.selected, self.older_cursor)

    @work(exclusive=True, group="older")
    async def load_older(self, channel_id: str, cursor: str) -> None:
        """The page before the oldest shown."""
        if self.client is None:
            return
        try:
            page = await self.client.messages.list(channel_id=channel_id).page(cursor, limit=PAGE)
        except api_failures() as error:
            self.view.loading_older = False
            self.show_problem(error)
            return
        if channel_id != self.selected:
            return
        self.older_cursor = page.next_cursor if page.has_more else None
        self.view.prepend(page.data, has_more=self.older_cursor is not None)

    @on(OptionList.OptionSelected, "#messages")
    def message_chosen(self, event: OptionList.OptionSelected) -> None:
        """Enter on a message about a patient opens the chart."""
        event.stop()
        message = self.view.current()
        if message is not None and message.patient_id:
            self.post_message(OpenChart(message.patient_id))
        elif message is not None and message.attachments:
            self.notify("o opens the file, s saves it to Downloads.", timeout=3)

    # Live events.

    def apply_event(self, event: Event) -> None:
        """Append to the open channel, or count one more unread (a mention of me also toasts and rings)."""
        channel_id = event.data.get("channel_id")
        message_id = event.data.get("message_id")
        if not isinstance(channel_id, str) or channel_id not in self.channels:
            return
        mentions = event.data.get("mentions")
        if self.me is not None and isinstance(mentions, list) and self.me.id in mentions:
            self.notify(f"You were mentioned in #{self.channels[channel_id].name}", title="Mention")
            self.app.bell()
            if channel_id != self.selected:
                self.mentioned.add(channel_id)
        if channel_id == self.selected and isinstance(message_id, str):
            if message_id not in self.view.ids:  # my own message, already shown when it was sent
                self.fetch_message(message_id)
            return
        self.unread[channel_id] = self.unread.get(channel_id, 0) + 1
        self.update_row(channel_id)

    @work(group="event", exit_on_error=False)  # a live refresh that fails (say, mid-shutdown) is dropped
    async def fetch_message(self, message_id: str) -> None:
        """Get one message and append it."""
        if self.client is None:
            return
        try:
            message = await self.client.messages.get(message_id)
        except api_failures() as error:
            self.show_problem(error)
            return
        self.add_message(message)

    def add_message(self, message: Message) -> None:
        """A message of the open channel, shown once however it arrived."""
        if message.channel_id == self.selected:
            self.view.append(message)
            self.read_up_to(message.channel_id, message.created_at)

    # Pending writes.

    @on(OutboxChanged)
    def outbox_changed(self) -> None:
        """Show the open channel's waiting messages."""
        if self.selected is not None:
            self.view.set_pending(pending_for(self.app, self.selected))

    @on(WriteLanded)
    def write_landed(self, landed: WriteLanded) -> None:
        """A waiting message was sent: it takes its place (the pending line goes with the outbox)."""
        from talkya_console.wire import Message

        if isinstance(landed.record, Message):
            self.add_message(landed.record)
        self.outbox_changed()

    # Read markers and the hotlist.

    def action_mark_read(self) -> None:
        """`r`: the channel under the cursor is read up to its last message."""
        channel_id = self.selected
        if channel_id is None:
            return
        newest = [m.created_at for m in self.view.messages] if channel_id == self.shown else []
        last = self.channels[channel_id].last_message_at
        self.read_up_to(channel_id, max([*newest, *([last] if last else [])], default=datetime.min))
        self.unread[channel_id] = 0
        self.mentioned.discard(channel_id)
        self.update_row(channel_id)
        if self.divider is not None:
            self.divider = self.view.divider_after = None
            self.view.rebuild(anchor=self.view.current_id())

    def action_mark_unread(self) -> None:
        """`u`: the channel's last message is unread again (the divider moves above it)."""
        channel_id = self.selected
        if channel_id is None:
            return
        messages = self.view.messages if channel_id == self.shown else []
        if len(messages) >= 2:
            marker = messages[-2].created_at
        elif messages:
            marker = messages[-1].created_at - timedelta(microseconds=1)
        else:
            last = self.channels[channel_id].last_message_at
            if last is None:
                return
            marker = last - timedelta(microseconds=1)
        self.read_at[channel_id] = marker
        self.unread[channel_id] = max(1, self.unread.get(channel_id, 0))
        self.update_row(channel_id)
        self.divider = self.view.divider_after = marker
        self.view.rebuild(anchor=self.view.current_id())

    def action_next_active(self) -> None:
        """`Alt+A` or `]`: the next channel with a mention of me, else with unread messages."""
        order = list(self.channels)
        if not order:
            return
        start = order.index(self.selected) + 1 if self.selected in order else 0
        ring = order[start:] + order[:start]
        target = next((c for c in ring if c in self.mentioned), None) or next(
            (c for c in ring if self.unread.get(c)), None
        )
        if target is None:
            self.notify("No channel has new messages.", timeout=2)
            return
        self.select_channel(target)

    # Search.

    @on(MessageView.SearchAsked)
    def action_search(self) -> None:
        """`/` or Ctrl+F: search the open channel's loaded messages."""
        bar = self.query_one("#messenger-search-bar")
        bar.add_class("-shown")
        self.query_one("#messenger-search", Input).focus()

    @on(Input.Changed, "#messenger-search")
    def search_typed(self, event: Input.Changed) -> None:
        """Highlight as you type; the newest match is chosen."""
        count = self.view.search(event.value.strip())
        label = "" if not event.value.strip() else f"{count} found · n older · N newer"
        self.query_one("#messenger-search-count", Static).update(label)

    @on(Input.Submitted, "#messenger-search")
    def search_done(self, event: Input.Submitted) -> None:
        """Enter: back to the messages, at the match, for n/N."""
        event.stop()
        self.view.focus()

    def close_search(self) -> None:
        bar = self.query_one("#messenger-search-bar")
        if bar.has_class("-shown") or self.view.query_text:
            bar.remove_class("-shown")
            self.query_one("#messenger-search", Input).value = ""
            self.view.search("")

    def action_close_search(self) -> None:
        """Escape: the search ends; its highlights go."""
        if self.query_one("#messenger-search-bar").has_class("-shown"):
            self.close_search()
            self.view.focus()

    # Files.

    @on(MessageView.AttachmentAsked)
    def attachment_asked(self, asked: MessageView.AttachmentAsked) -> None:
        self.fetch_files(asked.message, asked.how)

    @work(group="files", exit_on_error=False)
    async def fetch_files(self, message: Message, how: Literal["open", "save"]) -> None:
        """`s` saves the message's files to ~/Downloads; `o` opens them with the system's opener."""
        if self.client is None:
            return
        for attachment in message.attachments:
            target = target_for(attachment.filename, how)
            try:
                await self.client.files.download_to(attachment.file_id, target)
            except api_failures() as error:
                target.unlink(missing_ok=True)
                self.notify(f"Could not get {attachment.filename}: {type(error).__name__}.", severity="error")
                return
            if how == "save":
                self.notify(f"Saved to {target}", title="File saved", timeout=5)
            else:
                system_open(target)

    # The composer.

    @on(Composer.Send)
    def send_asked(self, event: Composer.Send) -> None:
        event.stop()
        if self.selected is None or self.sending:
            return
        text = event.text.strip()
        box = self.box
        if not text and not box.files:
            box.hint("Type a message or attach a file first.")
            return
        body: dict[str, Any] = {"channel_id": self.selected, "text": text}
        if box.files:
            body["file_ids"] = [file.id for file in box.files]
        if box.patient is not None:
            body["patient_id"] = box.patient[0]
        mentions = mentioned(text, self.users)
        if mentions:
            body["mentions"] = mentions
        self.send(body)

    @work(group="send", exit_on_error=False)
    async def send(self, body: dict[str, Any]) -> None:
        """Send now, or keep it in the outbox (shown pending) when Talkya cannot be reached."""
        from talkya_console.api import APIError
        from talkya_console.outbox import Write
        from talkya_console.wire import Message

        channel_id = body["channel_id"]
        self.sending = True
        try:
            result = await self.console.submit(Write("messages.create", (body,), label="Message", subject=channel_id))
        except (APIError, *api_failures(), ValueError) as error:
            reason = getattr(error, "message", None) or type(error).__name__
            self.box.hint(f"Not sent: {reason}")
            return
        finally:
            self.sending = False
        self.box.clear()
        if isinstance(result, Queued):  # the row says "⇡ pending"; the header counts it
            self.outbox_changed()
        elif isinstance(result, Message):
            self.add_message(result)

    @on(Composer.AttachAsked)
    def attach_asked(self) -> None:
        """Ctrl+T: upload a file now (its id goes with the message)."""
        from talkya_console.tui.screens.channel_attach import AttachFileScreen

        if self.client is None or self.selected is None:
            return
        self.app.push_screen(AttachFileScreen(self.client, self.selected), self.attached)

    def attached(self, result: File | Queued | None) -> None:
        if isinstance(result, Queued):
            # A message must name its files' ids, which only a sent upload has: a queued one is dropped.
            self.console.discard_pending(result.entry.id)
            self.box.hint("Files go up only while Talkya answers; try again when the link is back.")
        elif result is not None:
            self.box.add_file(result)
        self.box.composer.focus()

    @on(Composer.DetachAsked)
    def detach_asked(self) -> None:
        self.box.files = []
        self.box.show_chips()

    @on(Composer.LinkAsked)
    def link_asked(self) -> None:
        """Ctrl+G: choose the patient the message is about (a lookup); again: unlink."""
        from talkya_console.tui.screens.lookup import LookupScreen

        if self.box.patient is not None:
            self.box.patient = None
            self.box.show_chips()
            return

        def chosen(patient_id: str | None) -> None:
            if patient_id:
                self.link_patient(patient_id)
            self.box.composer.focus()

        self.app.push_screen(LookupScreen(), chosen)

    @work(group="link", exit_on_error=False)
    async def link_patient(self, patient_id: str) -> None:
        """Link the draft to a patient, labelled by name and MRN."""
        label = self.console.recent_charts.get(patient_id, "a patient")
        if self.client is not None and label == "a patient":
            try:
                patient = await self.client.patients.get(patient_id)
                label = f"{patient.name} · {patient.mrn}"
            except api_failures():
                pass
        self.box.link(patient_id, label)

    # Channels.

    def action_create_channel(self) -> None:
        """`c`: a new channel for the front desk, providers, billing or a client team."""
        from talkya_console.tui.screens.channel_create import ChannelCreateScreen

        if self.client is not None:
            self.app.push_screen(ChannelCreateScreen(self.client), self.created)

    def created(self, result: Channel | Queued | None) -> None:
        if isinstance(result, Queued):
            self.notify("Talkya is unreachable: the channel will be created when the link is back.", timeout=4)
        elif result is not None:
            self.selected, self.shown = result.id, None
            self.notify(f"Created #{result.name}", timeout=3)
            self.load()

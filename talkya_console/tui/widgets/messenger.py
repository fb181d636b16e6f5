"""Messenger: channels with unread counts, and the selected channel's messages."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import events, on, work
from textual.containers import Horizontal
from textual.widget import Widget
from textual.widgets import DataTable, RichLog

from talkya_console.tui.widgets.pane import Pane, ago, api_failures

if TYPE_CHECKING:  # imported for annotations only: the first frame does not wait for them
    from talkya_console.wire import Channel, Event, Message, User


class MessageLog(RichLog):
    """A RichLog that re-wraps its lines when its width changes: RichLog wraps a line once, at
    the width it has when written, so a layout change (side by side, zoom) would crop text."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.entries: list[Text] = []

    def add(self, line: Text) -> None:
        self.entries.append(line)
        self.write(line)

    def reset(self) -> None:
        self.entries = []
        self.clear()

    def on_resize(self, event: events.Resize) -> None:
        self.clear()
        for line in self.entries:
            self.write(line)


class MessengerPane(Pane):
    """Channels on the left; messages of the highlighted channel on the right (below when narrow)."""

    PANE_ID = "messenger"
    TITLE = "Messenger"
    EVENT_TYPES: ClassVar[frozenset[str]] = frozenset({"message.created"})

    def __init__(self, number: int) -> None:
        super().__init__(number)
        self.channels: dict[str, Channel] = {}
        self.unread: dict[str, int] = {}
        self.mentioned: set[str] = set()  # channels with an unread mention of the signed-in user
        self.selected: str | None = None
        self.me: User | None = None

    def signed_in(self, me: User) -> None:
        """Mentions of this staff member stand out (and the open channel is redrawn to show them)."""
        self.me = me
        if self.selected is not None:
            self.load_messages(self.selected)

    def compose_body(self) -> list[Widget]:
        """Channels table and message log side by side."""
        channels: DataTable[str] = DataTable(cursor_type="row", id="channels-table")
        channels.add_column("Channel", key="name")
        channels.add_column("New", key="unread")
        log = MessageLog(wrap=True, markup=False, min_width=20, id="messages-log")  # RichLog defaults to 78
        log.can_focus = False
        return [Horizontal(channels, log, id="messenger-body")]

    def main_widget(self) -> Widget:
        """The channels table."""
        return self.query_one("#channels-table", DataTable)

    def select_channel(self, channel_id: str) -> None:
        """Highlight a channel (its messages load)."""
        table = self.query_one("#channels-table", DataTable)
        table.move_cursor(row=table.get_row_index(channel_id))

    @work(exclusive=True, group="load")
    async def load(self) -> None:
        """Every channel; the first one's messages follow from the highlight."""
        if self.client is None:
            return
        try:
            page = await self.client.channels.list().page(limit=100)
        except api_failures() as error:
            self.show_problem(error)
            return
        self.show_problem(None)
        self.channels = {channel.id: channel for channel in page.data}
        table = self.query_one("#channels-table", DataTable)
        table.clear()
        for channel in page.data:
            table.add_row(f"#{channel.name}", self.unread_cell(channel.id), key=channel.id)
        target = self.selected if self.selected in self.channels else next(iter(self.channels), None)
        if target is not None:
            self.select_channel(target)
            self.show_channel(target)

    def unread_cell(self, channel_id: str) -> Text:
        """The unread count, blank at zero."""
        count = self.unread.get(channel_id, 0)
        mark = "@" if channel_id in self.mentioned else ""
        return Text(f"{mark}{count}" if count else "", style="bold yellow" if mark else "bold")

    @on(DataTable.RowHighlighted, "#channels-table")
    def highlighted(self, event: DataTable.RowHighlighted) -> None:
        """Show the highlighted channel."""
        if event.row_key.value and event.row_key.value != self.selected:
            self.show_channel(event.row_key.value)

    def show_channel(self, channel_id: str) -> None:
        """Mark a channel read and load its messages."""
        self.selected = channel_id
        self.unread[channel_id] = 0
        self.mentioned.discard(channel_id)
        self.query_one("#channels-table", DataTable).update_cell(channel_id, "unread", self.unread_cell(channel_id))
        self.load_messages(channel_id)

    @work(exclusive=True, group="messages")
    async def load_messages(self, channel_id: str) -> None:
        """The channel's 50 newest messages, oldest at the top."""
        if self.client is None:
            return
        try:
            page = await self.client.messages.list(channel_id=channel_id).page(limit=50)
        except api_failures() as error:
            self.show_problem(error)
            return
        log = self.query_one(MessageLog)
        log.reset()
        for message in reversed(page.data):
            log.add(self.line(message))

    def line(self, message: Message) -> Text:
        """`HH:MM name: text`."""
        text = Text(f"{ago(message.created_at, self.now())} ", style="dim")
        text.append(message.author.name or message.author.type, style="bold")
        mentioned = self.me is not None and self.me.id in message.mentions
        text.append(f": {message.text}", style="bold yellow" if mentioned else "")
        return text

    def apply_event(self, event: Event) -> None:
        """Append to the open channel, or count one more unread."""
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
            self.fetch_message(message_id)
            return
        self.unread[channel_id] = self.unread.get(channel_id, 0) + 1
        self.query_one("#channels-table", DataTable).update_cell(channel_id, "unread", self.unread_cell(channel_id))

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
        if message.channel_id == self.selected:
            self.query_one(MessageLog).add(self.line(message))

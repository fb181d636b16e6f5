"""Writes from the console: sent at once when Talkya answers, else kept in the durable outbox and
sent when the link is back. A mixin of `TalkyaConsole`, like `StaffDesk`.

Every write in the console goes through `submit`: forms, single-key actions, the messenger.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import App
from textual.message import Message
from textual.message_pump import MessagePump

from talkya_console.tui.messages import LiveStatus
from talkya_console.tui.widgets.header import ConsoleHeader
from talkya_console.tui.widgets.pane import Pane

if TYPE_CHECKING:
    from pydantic import BaseModel

    from talkya_console.api import TalkyaClient
    from talkya_console.outbox import Entry, Outbox, Write
    from talkya_console.wire import User

# What a write's screen says when Talkya did not answer and the write went to the outbox.
OFFLINE_SAVED = "Talkya did not answer: saved in the outbox, and sent when the link is back."
# How long to wait before trying the outbox again while the link stays down (seconds, then held).
RETRY_DELAYS = (2.0, 5.0, 10.0, 30.0)


@dataclass(frozen=True)
class Queued:
    """What `submit` returns when the write could not be sent now: it waits in the outbox."""

    entry: Entry


@dataclass
class OutboxChanged(Message, bubble=False):  # sent to the app and to each screen
    """The outbox gained or lost writes: `count` wait now."""

    count: int


@dataclass
class WriteLanded(Message, bubble=False):  # sent to the app and to each screen
    """A write that had waited in the outbox was sent; `record` is what Talkya answered."""

    entry: Entry
    record: Any


@dataclass
class WriteRefused(Message, bubble=False):  # sent to the app and to each screen
    """A write that had waited in the outbox was refused by Talkya; it stays there, with the reason."""

    entry: Entry


class OutgoingDesk(App[None]):
    """Sends writes, keeps the ones that could not be sent, and retries them."""

    client: TalkyaClient | None
    me: User | None
    outbox: Outbox | None
    outbox_retry_index: int = 0

    def author(self) -> str | None:
        """Who the writes made now belong to."""
        return self.me.id if self.me is not None else None

    async def submit(self, write: Write) -> BaseModel | Queued:
        """Make a write now; when Talkya cannot be reached, keep it in the outbox (and say so) instead.

        A refusal (a 4xx) is raised as the client's `APIError` for the caller to show inline."""
        from talkya_console.outbox import link_failure, perform

        if self.client is None:
            raise RuntimeError("The console has no client yet.")
        try:
            return await perform(self.client, write)
        except Exception as error:
            if self.outbox is None or not link_failure(error):
                raise
        entry = self.outbox.add(write, self.author())
        self.outbox_changed()
        self.schedule_outbox_retry()
        return Queued(entry)

    def outbox_changed(self) -> None:
        """Tell the header and anything showing pending writes."""
        count = self.outbox.count() if self.outbox is not None else 0
        self.query_one(ConsoleHeader).set_pending(count)
        self.post_message(OutboxChanged(count))
        for listener in self.outbox_listeners():
            listener.post_message(OutboxChanged(count))

    def outbox_listeners(self) -> list[MessagePump]:
        """The panes and the screens over the desk: each may show pending writes of its own."""
        return [*self.query(Pane), *self.screen_stack[1:]]

    def schedule_outbox_retry(self) -> None:
        """Try again after the next delay in `RETRY_DELAYS`."""
        delay = RETRY_DELAYS[min(self.outbox_retry_index, len(RETRY_DELAYS) - 1)]
        self.outbox_retry_index += 1
        self.set_timer(delay, self.flush_outbox, name="outbox-retry")

    @on(LiveStatus)
    def link_changed(self, message: LiveStatus) -> None:
        """The relay is back: so, most likely, is Talkya."""
        if message.status == "connected":
            self.flush_outbox()

    @work(exclusive=True, group="outbox", exit_on_error=False)
    async def flush_outbox(self) -> None:
        """Send what waits, oldest first; on a dead link, try again later."""
        from talkya_console.outbox import flush

        if self.outbox is None or self.client is None or not self.outbox.count():
            return
        result = await flush(self.client, self.outbox, self.author())
        for entry, record in result.sent:
            self.post_message(WriteLanded(entry, record))
        for entry in result.refused:
            self.post_message(WriteRefused(entry))
        if result.sent or result.refused:
            self.outbox_changed()
        if result.link_down:
            self.schedule_outbox_retry()
        else:
            self.outbox_retry_index = 0

    @on(WriteLanded)
    def write_landed(self, message: WriteLanded) -> None:
        """Say that a pending write went through; panes and charts refetch what it changed."""
        self.notify(f"Sent: {message.entry.write.label or 'a pending write'}.", timeout=4)
        for listener in self.outbox_listeners():
            listener.post_message(WriteLanded(message.entry, message.record))
        self.refresh_after_write()

    @on(WriteRefused)
    def write_refused(self, message: WriteRefused) -> None:
        """A pending write was refused: it stays in the outbox with the reason."""
        label = message.entry.write.label or "A pending write"
        self.notify(f"{label} was refused; see the outbox (Ctrl+O).", severity="error", timeout=8)

    def refresh_after_write(self) -> None:
        """Refetch the panes (the app defines what that means)."""

    def discard_pending(self, entry_id: int) -> None:
        """Give up a waiting write."""
        if self.outbox is not None:
            self.outbox.discard(entry_id)
            self.outbox_changed()

    def retry_pending(self, entry_id: int) -> None:
        """Send a refused write again."""
        if self.outbox is not None:
            self.outbox.retry(entry_id)
            self.outbox_retry_index = 0
            self.flush_outbox()


def pending_for(app: object, subject: str) -> list[Entry]:
    """The writes waiting for one patient or channel."""
    outbox: Outbox | None = getattr(app, "outbox", None)
    return outbox.entries(subject=subject) if outbox is not None else []


Factory = Callable[[str], "Outbox | None"]

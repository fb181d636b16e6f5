"""One channel's messages: day separators, the unread divider, pending writes, search matches.

An `OptionList` of rows (one option per message, disabled ones for separators) so that long lines
re-wrap with the width, a message can be chosen (its attachments, its patient's chart), and only
the loaded pages are held: older ones are asked for (`NeedOlder`) as the reader scrolls up."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, ClassVar, Literal

from rich.style import Style
from rich.text import Text
from textual.binding import Binding, BindingType
from textual.message import Message as TextualMessage
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from talkya_console.tui.widgets.messenger_render import PARTS, day_label, matches, render_message

if TYPE_CHECKING:
    from talkya_console.outbox import Entry
    from talkya_console.wire import Message

RowKind = Literal["top", "day", "divider", "message", "pending"]
# When the highlight comes this close to the oldest loaded message, the next page is asked for.
PREFETCH_ROWS = 3


@dataclass(frozen=True)
class Row:
    """What one option of the view shows."""

    kind: RowKind
    message: Message | None = None
    entry: Entry | None = None


def entry_message(entry: Entry, author: str, at: datetime) -> Message:
    """A pending `messages.create` shown as the message it will become."""
    from talkya_console.wire import Author, Message

    body = dict(entry.write.args[0]) if entry.write.args else {}
    return Message(
        id=f"pending_{entry.id}",
        channel_id=str(body.get("channel_id", "")),
        author=Author(type="user", name=author),
        text=str(body.get("text", "")),
        patient_id=body.get("patient_id"),
        mentions=list(body.get("mentions", [])),
        created_at=at,
    )


class MessageView(OptionList):
    """The open channel's messages, oldest at the top."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash,ctrl+f", "search", "Search", id="messenger.search"),
        Binding("n", "match(-1)", "Older match", show=False, id="messenger.match_older"),
        Binding("N", "match(1)", "Newer match", show=False, id="messenger.match_newer"),
        Binding("o", "attachment('open')", "Open file", show=False, id="messenger.open"),
        Binding("s", "attachment('save')", "Save file", show=False, id="messenger.save"),
        Binding("enter", "select", "Open chart", show=False, id="messenger.chart"),
    ]
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        *OptionList.COMPONENT_CLASSES,
        *(f"message--{part}" for part in PARTS),
        "message--day",
        "message--divider",
    }
    DEFAULT_CSS = """
    MessageView > .message--time { color: $text-muted; }
    MessageView > .message--author { text-style: bold; }
    MessageView > .message--bot { color: $primary-lighten-3; text-style: bold italic; }
    MessageView > .message--alert { color: $warning; text-style: bold; }
    MessageView > .message--mention { color: $warning; text-style: bold; }
    MessageView > .message--file { color: $accent; }
    MessageView > .message--chart { color: $success; }
    MessageView > .message--pending { color: $text-muted; text-style: italic; }
    MessageView > .message--refused { color: $error; text-style: bold; }
    MessageView > .message--match { background: $warning 40%; text-style: bold; }
    MessageView > .message--day { color: $text-muted; }
    MessageView > .message--divider { color: $error; text-style: bold; }
    """

    @dataclass
    class NeedOlder(TextualMessage):
        """The reader reached the oldest loaded message and there are older ones."""

    @dataclass
    class SearchAsked(TextualMessage):
        """`/` or Ctrl+F: the pane shows its search bar."""

    @dataclass
    class AttachmentAsked(TextualMessage):
        """`o` or `s` on a message with files."""

        message: Message
        how: Literal["open", "save"]

    def __init__(self, clock: Callable[[], datetime], **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.clock = clock
        self.messages: list[Message] = []
        self.ids: set[str] = set()
        self.pending: list[Entry] = []
        self.pending_author = "You"
        self.divider_after: datetime | None = None
        self.me: str | None = None
        self.query_text = ""
        self.has_more = False
        self.loading_older = False
        self.rows: list[Row] = []
        self.title = ""
        self.divider_placed = False
        self._styles: dict[str, Style] | None = None
        self._rebuilding = False

    # What the pane calls.

    def show(
        self,
        messages: list[Message],
        *,
        has_more: bool,
        divider_after: datetime | None,
        pending: list[Entry],
        title: str,
    ) -> None:
        """A channel opened: its newest page, scrolled to the unread divider (else the end)."""
        self.messages = sorted(messages, key=lambda m: (m.created_at, m.id))
        self.ids = {m.id for m in self.messages}
        self.has_more = has_more
        self.loading_older = False
        self.divider_after = divider_after
        self.pending = pending
        self.title = title
        self.rebuild(anchor=None)
        divider = self.row_index("divider")
        if divider is not None:
            self.highlighted = divider + 1
            self.call_after_refresh(self.scroll_to_line_of, divider)
        else:
            self.highlight_last()

    def prepend(self, older: list[Message], *, has_more: bool) -> None:
        """An older page arrived: put it above, keeping the highlighted message where it was."""
        self.loading_older = False
        self.has_more = has_more
        fresh = [m for m in older if m.id not in self.ids]
        self.ids.update(m.id for m in fresh)
        self.messages = sorted([*fresh, *self.messages], key=lambda m: (m.created_at, m.id))
        self.rebuild(anchor=self.current_id())

    def append(self, message: Message) -> bool:
        """A new message (sent here or arrived live); False when it is already shown."""
        if message.id in self.ids:
            return False
        at_end = self.highlighted is None or self.highlighted >= len(self.rows) - 1 - len(self.pending)
        self.ids.add(message.id)
        newest = not self.messages or message.created_at >= self.messages[-1].created_at
        if newest and not self.pending:
            # The common case, kept cheap: only the new rows are measured and added.
            last_day = self.day_of(self.messages[-1]) if self.messages else None
            self.messages.append(message)
            built = self.message_rows(message, self.styles_for(), last_day)
            self.rows += [row for row, _ in built]
            self.add_options(option for _, option in built)
        else:
            self.messages = sorted([*self.messages, message], key=lambda m: (m.created_at, m.id))
            self.rebuild(anchor=None if at_end else self.current_id())
        if at_end:
            self.highlight_last()
        return True

    def set_pending(self, entries: list[Entry]) -> None:
        """The outbox changed: show this channel's waiting messages at the end."""
        if [e.id for e in entries] == [e.id for e in self.pending] and all(
            a.state == b.state for a, b in zip(entries, self.pending, strict=True)
        ):
            return
        self.pending = entries
        self.rebuild(anchor=self.current_id())

    def search(self, text: str) -> int:
        """Highlight every match; the newest match is chosen. Returns how many messages match."""
        self.query_text = text
        self.rebuild(anchor=self.current_id())
        found = self.match_indexes()
        if found:
            self.highlighted = found[-1]
        return len(found)

    # Reading the state.

    def current(self) -> Message | None:
        """The highlighted message (not a pending one)."""
        if self.highlighted is None or self.highlighted >= len(self.rows):
            return None
        row = self.rows[self.highlighted]
        return row.message if row.kind == "message" else None

    def current_id(self) -> str | None:
        message = self.current()
        return message.id if message is not None else None

    def row_index(self, kind: RowKind) -> int | None:
        return next((i for i, row in enumerate(self.rows) if row.kind == kind), None)

    def match_indexes(self) -> list[int]:
        """Rows whose message matches the search."""
        if not self.query_text:
            return []
        return [
            i
            for i, row in enumerate(self.rows)
            if row.kind == "message" and row.message is not None and matches(row.message, self.query_text)
        ]

    # Building the options.

    def styles_for(self) -> dict[str, Style]:
        """The Rich styles of each part, from the component classes (the theme's colours)."""
        if self._styles is None:
            names = [*PARTS, "day", "divider"]
            self._styles = {part: self.get_component_rich_style(f"message--{part}", partial=True) for part in names}
        return self._styles

    def notify_style_update(self) -> None:
        """A new theme: the parts are styled afresh."""
        self._styles = None
        super().notify_style_update()

    def message_rows(
        self, message: Message, styles: dict[str, Style], last_day: date | None
    ) -> list[tuple[Row, Option]]:
        """A message's rows: a day separator when its day starts, the divider before the first
        unread message (not one of mine), then the message."""
        now = self.clock()
        local = message.created_at.astimezone(now.tzinfo)
        rows: list[tuple[Row, Option]] = []
        if local.date() != last_day:
            label = Text(f"── {day_label(local.date(), now.date())} ──", style=styles["day"])
            rows.append((Row("day"), Option(label, disabled=True)))
        if (
            self.divider_after is not None
            and not self.divider_placed
            and message.created_at > self.divider_after
            and (message.author.id is None or message.author.id != self.me)
        ):
            self.divider_placed = True
            rows.append((Row("divider"), Option(Text("──── new ────", style=styles["divider"]), disabled=True)))
        prompt = render_message(message, styles, local=local, me=self.me, query=self.query_text)
        rows.append((Row("message", message), Option(prompt, id=message.id)))
        return rows

    def day_of(self, message: Message) -> date:
        return message.created_at.astimezone(self.clock().tzinfo).date()

    def rebuild(self, anchor: str | None) -> None:
        """Rows and options from the state; `anchor` (a message id) stays highlighted and in view."""
        styles = self.styles_for()
        top = "↑ older messages load as you scroll up" if self.has_more else f"The beginning of {self.title}"
        built: list[tuple[Row, Option]] = [(Row("top"), Option(Text(top, style=styles["day"]), disabled=True))]
        last_day: date | None = None
        self.divider_placed = False
        for message in self.messages:
            built += self.message_rows(message, styles, last_day)
            last_day = self.day_of(message)
        tz = self.clock().tzinfo
        for entry in self.pending:
            message = entry_message(entry, self.pending_author, entry.created_at)
            mark = f"⚠ refused: {entry.error} (Ctrl+O)" if entry.refused else "⇡ pending"
            prompt = render_message(message, styles, local=entry.created_at.astimezone(tz), me=None, pending=mark)
            prompt.stylize(styles["pending"])
            built.append((Row("pending", entry=entry), Option(prompt, id=f"pending-{entry.id}")))
        self._rebuilding = True
        try:
            self.rows = [row for row, _ in built]
            self.set_options(option for _, option in built)
            if anchor is not None:
                index = next((i for i, row in enumerate(self.rows) if row.message and row.message.id == anchor), None)
                if index is not None:
                    self.highlighted = index
                    self.scroll_to_highlight(top=True)
        finally:
            self._rebuilding = False

    def highlight_last(self) -> None:
        """Highlight the newest row and show the end."""
        if self.rows:
            self._rebuilding = True
            try:
                self.highlighted = len(self.rows) - 1
            finally:
                self._rebuilding = False
            self.call_after_refresh(self.scroll_end, animate=False, immediate=True)

    def scroll_to_line_of(self, index: int) -> None:
        """Put row `index` (the divider) at the top."""
        line = self._index_to_line.get(index)
        if line is not None:
            self._rebuilding = True
            try:
                self.scroll_to(y=line, animate=False, immediate=True)
            finally:
                self._rebuilding = False

    # Asking for older pages.

    def want_older(self) -> None:
        if self.has_more and not self.loading_older and not self._rebuilding:
            self.loading_older = True
            self.post_message(self.NeedOlder())

    def watch_highlighted(self, highlighted: int | None) -> None:
        super().watch_highlighted(highlighted)
        if highlighted is not None and highlighted <= PREFETCH_ROWS + 1:
            self.want_older()

    def watch_scroll_y(self, old: float, new: float) -> None:
        super().watch_scroll_y(old, new)
        if new < 1 and old > new:
            self.want_older()

    # Keys.

    def action_search(self) -> None:
        self.post_message(self.SearchAsked())

    def action_match(self, step: int) -> None:
        """The next match up (`n`, older) or down (`N`, newer); past the oldest, load older pages."""
        found = self.match_indexes()
        current = self.highlighted if self.highlighted is not None else len(self.rows)
        ahead = [i for i in found if (i < current if step < 0 else i > current)]
        if ahead:
            self.highlighted = ahead[-1] if step < 0 else ahead[0]
        elif step < 0 and self.has_more:
            self.app.notify("No older match loaded: loading older messages…", timeout=2)
            self.want_older()
        else:
            self.app.notify("No more matches.", timeout=2)

    def action_attachment(self, how: Literal["open", "save"]) -> None:
        message = self.current()
        if message is None or not message.attachments:
            self.app.notify("This message has no file.", timeout=2)
            return
        self.post_message(self.AttachmentAsked(message, how))

"""A call's transcript as it streams: each segment under a time and speaker gutter, following the
newest line until the person scrolls up, with search matches highlighted.

Built to stay fast at thousands of segments: a new width re-counts the lines of every segment with
a plain word wrap (no styling), and only the lines that come on screen are ever painted."""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual.events import Resize
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

if TYPE_CHECKING:
    from talkya_console.wire import TranscriptSegment

SPEAKER = {"caller": "Caller", "ai_receptionist": "Talkya", "staff": "Staff"}
TIME_WIDTH, SPEAKER_WIDTH = 6, 8
GUTTER = TIME_WIDTH + SPEAKER_WIDTH + 1
WORD = re.compile(r"\S+\s*")


def clock_text(seconds: int) -> str:
    """`m:ss`."""
    seconds = max(0, seconds)
    return f"{seconds // 60}:{seconds % 60:02d}"


def line_starts(text: str, width: int) -> list[int]:
    """Where each line of `text` starts when word-wrapped at `width` cells (a word longer than a
    line is cut); the spaces after a word stay on its line."""
    ascii_only = text.isascii()
    if (len(text) if ascii_only else cell_len(text)) <= width:
        return [0]
    starts, used = [0], 0
    for word in WORD.finditer(text):
        begin = word.start()
        bare = word.group().rstrip()
        size = len(bare) if ascii_only else cell_len(bare)
        if used and used + size > width:
            starts.append(begin)
            used = 0
        while size > width:  # a word wider than the line: cut it (by characters; rare enough)
            begin += width
            starts.append(begin)
            size -= width
        used += size + (len(word.group()) - len(bare))
    return starts


@dataclass(frozen=True)
class Match:
    """Where a search matched: segment `position` in the list, characters `start` to `end`."""

    position: int
    start: int
    end: int


class TranscriptView(ScrollView, can_focus=True):
    """The segments in index order, deduplicated by index."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "transcript--time",
        "transcript--caller",
        "transcript--ai_receptionist",
        "transcript--staff",
        "transcript--match",
        "transcript--current",
    }
    DEFAULT_CSS = """
    TranscriptView { height: 1fr; overflow-y: scroll; overflow-x: hidden; background: $surface; }
    TranscriptView > .transcript--time { color: $text-muted; }
    TranscriptView > .transcript--caller { color: $text-accent; text-style: bold; }
    TranscriptView > .transcript--ai_receptionist { color: $text-primary; text-style: bold; }
    TranscriptView > .transcript--staff { color: $text-success; text-style: bold; }
    TranscriptView > .transcript--match { background: $warning 35%; }
    TranscriptView > .transcript--current { background: $warning; color: $background; text-style: bold; }
    """

    @dataclass
    class Following(Message):
        """Following the newest line started or stopped; `unseen` segments came in while stopped."""

        following: bool
        unseen: int

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.segments: list[TranscriptSegment] = []
        self.indexes: list[int] = []  # each segment's index, ascending: where a late one goes
        self.starts: list[list[int]] = []  # per segment, where its lines start at `width`
        self.painted: dict[int, list[Strip]] = {}  # per segment shown so far, its painted lines
        self.offsets: list[int] = []  # the first line of each segment
        self.lines = 0
        self.width = 0
        self.following = True
        self.unseen = 0
        self.matches: list[Match] = []
        self.current = -1
        self.spans: dict[int, list[tuple[int, int, bool]]] = {}
        self.query_text = ""
        self.styles_cache: dict[str, Style] = {}

    # -- content -------------------------------------------------------------------------------
    def add(self, segments: list[TranscriptSegment]) -> int:
        """Add the segments not seen yet (by index) in index order; returns how many were new."""
        self.sync_width()  # a first segment may come before the first resize
        added, late = 0, False
        for segment in segments:
            at = bisect_right(self.indexes, segment.index)
            if at and self.indexes[at - 1] == segment.index:
                continue  # a repeat: the relay delivers at least once, and a fetch overlaps events
            added += 1
            late = late or at < len(self.segments)
            self.segments.insert(at, segment)
            self.indexes.insert(at, segment.index)
            if not late and self.query_text:
                self.find_in(at)
        if not added:
            return 0
        if late:  # one came before others shown: everything after it moves
            self.painted = {}
            self.relayout()
            self.search(self.query_text, keep_current=True)
        else:
            self.layout_from(len(self.starts))
        self.refresh()  # a short transcript grows without scrolling
        if self.following:
            self.scroll_to(y=self.max_scroll_y, animate=False, immediate=True)
        else:
            self.unseen += added
            self.post_message(self.Following(False, self.unseen))
        return added

    def last_index(self) -> int:
        """The highest segment index shown, or -1."""
        return self.indexes[-1] if self.indexes else -1

    def relayout(self) -> None:
        """Count every segment's lines again (a new width, or a segment that came late)."""
        self.starts, self.offsets = [], []
        self.layout_from(0)

    def layout_from(self, start: int) -> None:
        """Count the lines of the segments from `start` on."""
        if not self.width:
            return
        text_width = max(10, self.width - GUTTER - 1)
        lines = self.offsets[start - 1] + len(self.starts[start - 1]) if start else 0
        for segment in self.segments[start:]:
            self.offsets.append(lines)
            starts = line_starts(segment.text, text_width)
            self.starts.append(starts)
            lines += len(starts)
        self.lines = lines
        self.virtual_size = Size(self.width, lines)

    def on_resize(self, event: Resize) -> None:
        """A new width wraps every segment again."""
        if self.sync_width() and self.following:
            self.scroll_to(y=self.max_scroll_y, animate=False, immediate=True)

    def sync_width(self) -> bool:
        """Take the view's width (less its scrollbar, always shown); whether it changed."""
        width = max(0, self.size.width - self.styles.scrollbar_size_vertical)
        if width == self.width:
            return False
        self.width = width
        self.painted = {}
        self.relayout()
        return True

    def notify_style_update(self) -> None:
        """A new theme: paint with its colours."""
        super().notify_style_update()
        self.styles_cache = {}
        self.painted = {}

    def style(self, name: str) -> Style:
        """A component class's style, kept until the theme changes."""
        if name not in self.styles_cache:
            self.styles_cache[name] = self.get_component_rich_style(f"transcript--{name}", partial=True)
        return self.styles_cache[name]

    def lines_of(self, position: int) -> list[Strip]:
        """One segment's painted lines, `m:ss Speaker text…`, the full width of the view."""
        lines = self.painted.get(position)
        if lines is not None:
            return lines
        segment = self.segments[position]
        console = self.app.console
        base = self.rich_style
        body = Text(segment.text)
        for start, end, current in self.spans.get(position, ()):
            body.stylize(self.style("current" if current else "match"), start, end)
        first = Text.assemble(
            (f"{clock_text(segment.start_ms // 1000):>{TIME_WIDTH - 1}} ", self.style("time")),
            (f"{SPEAKER.get(segment.speaker, segment.speaker):<{SPEAKER_WIDTH}} ", self.style(segment.speaker)),
        )
        indent = Text(" " * GUTTER)
        width = self.size.width
        lines = []
        for number, line in enumerate(body.divide(self.starts[position][1:])):
            row = Text.assemble(first if number == 0 else indent, line, style=base, end="")
            row.truncate(width, pad=True)
            lines.append(Strip(row.render(console), width))
        self.painted[position] = lines
        return lines

    def render_line(self, y: int) -> Strip:
        """The line at `y` on screen."""
        number = self.scroll_offset.y + y
        if number >= self.lines or not self.offsets:
            return Strip.blank(self.size.width, self.rich_style)
        position = bisect_right(self.offsets, number) - 1
        return self.lines_of(position)[number - self.offsets[position]]

    # -- following -----------------------------------------------------------------------------
    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        """Scrolling up stops following the newest line; reaching the bottom again resumes it."""
        super().watch_scroll_y(old_value, new_value)
        at_bottom = new_value >= self.max_scroll_y
        if self.following and not at_bottom:
            self.set_following(False)
        elif not self.following and at_bottom and new_value > old_value:
            self.set_following(True)

    def set_following(self, following: bool) -> None:
        """Follow or stop, and say so."""
        if following == self.following:
            return
        self.following = following
        self.unseen = 0
        self.post_message(self.Following(following, 0))

    def follow(self) -> None:
        """Jump to the newest line and stay there."""
        self.set_following(True)
        self.scroll_to(y=self.max_scroll_y, animate=False, immediate=True)

    def action_scroll_end(self) -> None:
        """End follows the newest line."""
        self.follow()

    def action_page_up(self) -> None:
        """A page up, at once (as `less` pages): Textual's glide redraws the view for every step of
        it, and a key pressed mid-glide waited for the glide to end (benchmarks/transcript.py)."""
        self.scroll_page_up(animate=False)

    def action_page_down(self) -> None:
        """A page down, at once; reaching the end follows the newest line again."""
        self.scroll_page_down(animate=False)

    # -- search --------------------------------------------------------------------------------
    def find_in(self, position: int) -> None:
        """Add the matches in one segment (the last one, or each in turn)."""
        text = self.segments[position].text.casefold()
        needle = self.query_text.casefold()
        at = text.find(needle)
        while at >= 0:
            self.matches.append(Match(position, at, at + len(needle)))
            self.spans.setdefault(position, []).append((at, at + len(needle), False))
            self.painted.pop(position, None)
            at = text.find(needle, at + len(needle))

    def search(self, query: str, *, keep_current: bool = False) -> int:
        """Highlight every match of `query` (any case); returns how many there are."""
        for position in self.spans:
            self.painted.pop(position, None)
        self.query_text = query
        self.matches, self.spans = [], {}
        previous, self.current = self.current, -1
        if query:
            for position in range(len(self.segments)):
                self.find_in(position)
            if self.matches:
                self.current = min(previous, len(self.matches) - 1) if keep_current and previous >= 0 else 0
                self.mark_current()
        self.refresh()
        return len(self.matches)

    def mark_current(self) -> None:
        """Style the current match apart from the others."""
        match = self.matches[self.current]
        for position in {match.position, *(p for p, spans in self.spans.items() if any(c for *_, c in spans))}:
            self.spans[position] = [
                (start, end, position == match.position and start == match.start)
                for start, end, _ in self.spans[position]
            ]
            self.painted.pop(position, None)

    def step(self, delta: int) -> Match | None:
        """Move to the next (1) or previous (-1) match, wrapping around, and show it."""
        if not self.matches:
            return None
        self.current = (self.current + delta) % len(self.matches)
        self.mark_current()
        match = self.matches[self.current]
        self.show(match.position)
        self.refresh()
        return match

    def show(self, position: int) -> None:
        """Scroll a segment into view, a third of the way down."""
        if position < len(self.offsets):
            target = max(0, self.offsets[position] - self.size.height // 3)
            self.scroll_to(y=min(target, self.max_scroll_y), animate=False, immediate=True)

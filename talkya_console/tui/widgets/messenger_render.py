"""How the messenger writes things: a message, a day separator, a size, and @mentions in a draft.

Pure functions over wire models and Rich text, so they are tested without an app."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from rich.style import Style
from rich.text import Text

if TYPE_CHECKING:
    from talkya_console.wire import Message, User

# The styles a message line uses, by part; `MessageView` fills them from its component classes.
PARTS = ("time", "author", "bot", "alert", "mention", "file", "chart", "pending", "refused", "match")
Styles = Mapping[str, Style]
# Mentions are typed as `@Full Name`; a fragment longer than this is not a name being typed.
MENTION_FRAGMENT_MAX = 30


def human_size(count: int) -> str:
    """`812 B`, `12 KB`, `3.4 MB` (binary units, as the chart's sizes are)."""
    if count < 1024:
        return f"{count} B"
    if count < 1024 * 1024:
        return f"{count / 1024:.0f} KB"
    return f"{count / (1024 * 1024):.1f} MB"


def day_label(day: date, today: date) -> str:
    """`Today`, `Yesterday`, else `Thursday, November 19` (with the year when not this one)."""
    delta = (today - day).days
    if delta == 0:
        return "Today"
    if delta == 1:
        return "Yesterday"
    label = f"{day:%A, %B} {day.day}"
    return label if day.year == today.year else f"{label}, {day.year}"


def separator(label: str, width: int = 0) -> Text:
    """`── label ──`, centred by the view."""
    return Text(f"── {label} ──", justify="center")


def highlight(text: Text, query: str, style: Style) -> int:
    """Style every case-insensitive occurrence of `query` in `text`; returns how many there were."""
    if not query:
        return 0
    return text.highlight_regex(re.compile(re.escape(query), re.IGNORECASE), style)


def matches(message: Message, query: str) -> bool:
    """Whether a search finds this message (its text, author or attachment names)."""
    needle = query.casefold()
    haystack = [message.text, message.author.name, *(a.filename for a in message.attachments)]
    return any(needle in part.casefold() for part in haystack)


def render_message(
    message: Message, styles: Styles, *, local: datetime, me: str | None, query: str = "", pending: str = ""
) -> Text:
    """`HH:MM  Author  text`, then one line per attachment and the patient link.

    Bot replies and staff alerts carry a marker and their own style; a mention of `me` stands out;
    `pending` (for a write still in the outbox) is said at the end of the first line."""
    line = Text(no_wrap=False)
    line.append(f"{local:%H:%M}  ", styles["time"])
    if message.kind == "bot_reply":
        line.append(f"◆ {message.author.name}", styles["bot"])
    elif message.kind == "staff_alert":
        line.append(f"▲ {message.author.name}", styles["alert"])
    else:
        line.append(message.author.name, styles["author"])
    body = Text(message.text)
    if me is not None and me in message.mentions:
        body.stylize(styles["mention"])
    if message.kind == "staff_alert":
        body.stylize(styles["alert"])
    highlight(body, query, styles["match"])
    line.append("  ")
    line.append_text(body)
    if pending:
        line.append(f"  {pending}", styles["refused" if pending.startswith("⚠") else "pending"])
    for attachment in message.attachments:
        name = Text(f"\n       ▣ {attachment.filename}", styles["file"])
        highlight(name, query, styles["match"])
        line.append_text(name)
        line.append(f" · {human_size(attachment.size)}", styles["time"])
    if message.patient_id:
        line.append("\n       ⚕ linked to a patient chart (Enter opens it)", styles["chart"])
    return line


@dataclass(frozen=True)
class Fragment:
    """An `@name` being typed: where it starts in the line, and what was typed after the `@`."""

    start: int
    typed: str


def fragment_at(line: str, column: int) -> Fragment | None:
    """The `@…` being typed just before `column`, if any."""
    before = line[:column]
    at = before.rfind("@")
    if at < 0 or (at > 0 and not before[at - 1].isspace()):
        return None
    typed = before[at + 1 :]
    if len(typed) > MENTION_FRAGMENT_MAX or "@" in typed:
        return None
    return Fragment(at, typed)


def candidates(typed: str, users: Iterable[User]) -> list[User]:
    """Staff whose name, or a word of it, starts with what was typed (case-insensitive)."""
    needle = typed.casefold().lstrip()
    found = []
    for user in users:
        name = user.name.casefold()
        words = [word.lstrip("(") for word in name.split()]
        if name.startswith(needle) or any(word.startswith(needle) for word in words):
            found.append(user)
    return sorted(found, key=lambda user: (not user.name.casefold().startswith(needle), user.name))


def mentioned(text: str, users: Iterable[User]) -> list[str]:
    """The ids of the staff a draft names as `@Full Name`."""
    return [user.id for user in users if f"@{user.name}" in text]

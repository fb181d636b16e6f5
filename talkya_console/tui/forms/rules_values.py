"""The routing rules' fields: what each accepts (checked as the API checks it), and how a value
is shown in the form and in the list of changes before saving."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from talkya_console.tui.forms.parsing import parse_visit_type

if TYPE_CHECKING:
    from talkya_console.wire import RoutingRules

TEXT_MAX = 500
TRANSFER_MAX = 64
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_NAMES = dict(zip(DAYS, ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"), strict=True))
VOICES = [("Warm", "warm"), ("Neutral", "neutral"), ("Energetic", "energetic")]
TRIGGERS = ("caller_request", "upset_caller", "emergency", "billing_dispute", "repeat_failure")
AFTER_HOURS_MODES = [
    ("AI answers", "ai_answer"),
    ("Take a message", "take_message"),
    ("Voicemail", "voicemail"),
    ("Forward the call", "forward"),
]
ON_OFF = [("On", True), ("Off", False)]
TIME = re.compile(r"^(\d{1,2}):(\d{2})$")
LANGUAGE = re.compile(r"^[a-z]{2}$")

#: (section, field, label) of every value the form shows, in the order the diff lists them.
FIELDS: tuple[tuple[str, str, str], ...] = (
    ("greeting", "text", "Greeting"),
    ("greeting", "voice", "Voice"),
    ("escalation", "enabled", "Escalation"),
    ("escalation", "triggers", "Escalate on"),
    ("escalation", "transfer_to", "Transfer to"),
    ("escalation", "max_wait_seconds", "Longest wait (seconds)"),
    ("booking", "enabled", "Booking"),
    ("booking", "visit_types", "Bookable visit types"),
    ("booking", "min_notice_hours", "Minimum notice (hours)"),
    ("booking", "max_days_ahead", "Furthest ahead (days)"),
    ("language", "primary", "Primary language"),
    ("language", "supported", "Supported languages"),
    ("after_hours", "mode", "After hours"),
    ("after_hours", "forward_to", "Forward to"),
    ("after_hours", "message", "After-hours message"),
    ("after_hours", "timezone", "Time zone"),
    ("after_hours", "hours", "Opening hours"),
)
LABELS = {f"{section}.{name}": text for section, name, text in FIELDS}


# -- reading what was typed -----------------------------------------------------------------------


def parse_greeting(text: str) -> str:
    """What the receptionist says first: required, at most 500 characters."""
    value = text.strip()
    if not value:
        raise ValueError("Required: what the receptionist says when it answers.")
    if len(value) > TEXT_MAX:
        raise ValueError(f"At most {TEXT_MAX} characters (this is {len(value)}).")
    return value


def parse_triggers(text: str) -> list[str]:
    """Escalation triggers separated by commas, each one the API knows."""
    triggers = [re.sub(r"[\s-]+", "_", part.strip().lower()) for part in text.split(",") if part.strip()]
    for trigger in triggers:
        if trigger not in TRIGGERS:
            raise ValueError(f"Not a trigger: {trigger[:30]}. Use {', '.join(TRIGGERS)}.")
    return list(dict.fromkeys(triggers))


def parse_transfer_to(text: str) -> str:
    """Who escalated calls go to (a team or queue name)."""
    value = text.strip()
    if not value:
        raise ValueError("Required, such as front_desk.")
    if len(value) > TRANSFER_MAX:
        raise ValueError(f"At most {TRANSFER_MAX} characters.")
    return value


def whole_number(low: int, high: int) -> Callable[[str], int]:
    """A parse of a whole number from `low` to `high`."""

    def parse(text: str) -> int:
        value = text.strip()
        if not value.isdigit():
            raise ValueError(f"A whole number from {low} to {high}.")
        number = int(value)
        if not low <= number <= high:
            raise ValueError(f"From {low} to {high}.")
        return number

    return parse


def parse_visit_types(text: str) -> list[str]:
    """Visit types separated by commas, as the API spells them (`Botox consult` is `botox_consult`)."""
    types = []
    for part in text.split(","):
        if part.strip():
            try:
                types.append(parse_visit_type(part))
            except ValueError:
                raise ValueError("Visit types are codes such as aesthetic_consult, separated by commas.") from None
    return list(dict.fromkeys(types))


def parse_language(text: str) -> str:
    """A two-letter language code (ISO 639-1), such as en."""
    value = text.strip().lower()
    if not LANGUAGE.match(value):
        raise ValueError("A two-letter code, such as en or es.")
    return value


def parse_languages(text: str) -> list[str]:
    """Two-letter language codes separated by commas; at least one."""
    codes = [part for part in re.split(r"[,\s]+", text.strip()) if part]
    if not codes:
        raise ValueError("At least one, such as en.")
    for code in codes:
        if not LANGUAGE.match(code.lower()):
            raise ValueError("Two-letter codes separated by commas, such as en, es.")
    return list(dict.fromkeys(code.lower() for code in codes))


def parse_message(text: str) -> str | None:
    """What callers hear after hours; optional, at most 500 characters."""
    value = text.strip()
    if len(value) > TEXT_MAX:
        raise ValueError(f"At most {TEXT_MAX} characters (this is {len(value)}).")
    return value or None


def parse_timezone(text: str) -> str:
    """An IANA time zone."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    value = text.strip()
    if not value:
        raise ValueError("Required, such as America/New_York.")
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError("Not a time zone: use one such as America/New_York.") from None
    return value


def parse_time(text: str) -> str:
    """`9:00` or `09:00` as `09:00` (24-hour)."""
    match = TIME.match(text.strip())
    if not match or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        raise ValueError("Times are 24-hour, such as 09:00-18:00.")
    return f"{int(match.group(1)):02d}:{match.group(2)}"


def parse_day_hours(text: str) -> list[tuple[str, str]]:
    """A day's opening hours: `09:00-18:00`, several separated by commas; empty is closed."""
    ranges = []
    for part in text.split(","):
        if not part.strip():
            continue
        opens, dash, closes = part.partition("-")
        if not dash:
            raise ValueError("Type it as 09:00-18:00; empty is closed.")
        start, end = parse_time(opens), parse_time(closes)
        if end <= start:
            raise ValueError("Must close after it opens.")
        ranges.append((start, end))
    return ranges


def day_hours_text(rules: RoutingRules | None, day: str) -> str:
    """A day's opening hours as the field shows them."""
    if rules is None:
        return ""
    return ", ".join(f"{hours.open}-{hours.close}" for hours in rules.after_hours.hours if hours.day == day)


def shown(value: Any) -> str:
    """A value as the diff shows it."""
    if value is None or value == []:
        return "(none)"
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, list) and all(isinstance(item, dict) for item in value):
        days: dict[str, list[str]] = {}
        for item in value:
            days.setdefault(item["day"], []).append(f"{item['open']}-{item['close']}")
        return "; ".join(f"{DAY_NAMES.get(day, day)} {', '.join(ranges)}" for day, ranges in days.items())
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return str(value)


def sorted_hours(hours: list[dict[str, str]]) -> list[dict[str, str]]:
    """Opening hours in week order (how the form lays them out)."""
    return sorted(hours, key=lambda item: (DAYS.index(item["day"]), item["open"]))

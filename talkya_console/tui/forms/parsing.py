"""What people type into the forms, read into what the API takes; a ValueError says what is wrong."""

from __future__ import annotations

import re
from datetime import date

ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
US_DATE = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{2}|\d{4})$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")  # the wire's own pattern
VISIT_TYPE = re.compile(r"^[a-z][a-z0-9_]{1,63}$")
ZIP_CODE = re.compile(r"^\d{5}(-\d{4})?$")
OLDEST_AGE = 130
NAME_MAX = 100
TAG_MAX = 40
LIST_MAX = 10
TAGS_MAX = 50
REASON_MAX = 500

#: Visit types offered as completions; the API takes any snake_case type.
VISIT_TYPES = (
    "aesthetic_consult",
    "botox_consult",
    "filler_touch_up",
    "follow_up",
    "glp1_refill_review",
    "iv_therapy",
    "new_patient_consult",
    "telehealth_follow_up",
)


def required_name(text: str) -> str:
    """A name that must be there."""
    value = text.strip()
    if not value:
        raise ValueError("Required.")
    return optional_name(value) or value


def optional_name(text: str) -> str | None:
    """A name that may be left empty."""
    value = text.strip()
    if len(value) > NAME_MAX:
        raise ValueError(f"At most {NAME_MAX} characters.")
    return value or None


def parse_dob(text: str, today: date) -> date | None:
    """A date of birth as typed: `1980-03-14`, `03/14/1980` or `3/14/80` (a two-digit year is the
    latest one not in the future). Empty is no date; a future date is refused."""
    value = text.strip()
    if not value:
        return None
    if match := ISO_DATE.match(value):
        year, month, day = (int(part) for part in match.groups())
    elif match := US_DATE.match(value):
        month, day, year = (int(part) for part in match.groups())
        if len(match.group(3)) == 2:
            year += 2000
    else:
        raise ValueError("Type it as 1980-03-14 or 03/14/1980.")
    try:
        born = date(year, month, day)
    except ValueError:
        raise ValueError("There is no such date.") from None
    if len(match.group(3)) == 2 and born > today:
        born = date(year - 100, month, day)
    if born > today:
        raise ValueError("A date of birth cannot be in the future.")
    if today.year - born.year > OLDEST_AGE:
        raise ValueError("Check the year: that is over 130 years ago.")
    return born


def e164(text: str) -> str | None:
    """A phone number in any formatting, as E.164 (10 digits are North American). Empty is none.

    The same rule as the API's, so a number accepted here is accepted there."""
    value = text.strip()
    if not value:
        return None
    digits = re.sub(r"\D", "", value)
    if value.startswith("+") and 7 <= len(digits) <= 15:
        return "+" + digits
    if len(digits) == 10:
        return "+1" + digits
    if len(digits) == 11 and digits.startswith("1"):
        return "+" + digits
    raise ValueError("Not a number we can dial: 10 digits, or + and the country code.")


def parse_emails(text: str) -> list[str]:
    """Email addresses separated by commas, semicolons or spaces."""
    emails = [part for part in re.split(r"[,;\s]+", text.strip()) if part]
    for number, email in enumerate(emails, start=1):
        if not EMAIL.match(email) or len(email) > 254:
            which = "That" if len(emails) == 1 else f"Address {number}"
            raise ValueError(f"{which} is not an email address (name@example.com).")
    if len(emails) > LIST_MAX:
        raise ValueError(f"At most {LIST_MAX} addresses.")
    return emails


def parse_tags(text: str) -> list[str]:
    """Tags separated by commas."""
    tags = [part.strip() for part in text.split(",") if part.strip()]
    if any(len(tag) > TAG_MAX for tag in tags):
        raise ValueError(f"A tag has at most {TAG_MAX} characters.")
    if len(tags) > TAGS_MAX:
        raise ValueError(f"At most {TAGS_MAX} tags.")
    return list(dict.fromkeys(tags))


def parse_state(text: str) -> str | None:
    """A US state as its two-letter code."""
    value = text.strip()
    if not value:
        return None
    if not re.fullmatch(r"[A-Za-z]{2}", value):
        raise ValueError("The two-letter code, such as FL.")
    return value.upper()


def parse_zip(text: str) -> str | None:
    """A US ZIP code, five digits or ZIP+4."""
    value = text.strip()
    if not value:
        return None
    if not ZIP_CODE.match(value):
        raise ValueError("Five digits, such as 33131 (or ZIP+4).")
    return value


def optional_text(text: str) -> str | None:
    """Free text; empty is none."""
    return text.strip() or None


def parse_visit_type(text: str) -> str:
    """A visit type as the API spells it: `Botox consult` is `botox_consult`."""
    value = re.sub(r"[^a-z0-9]+", "_", text.strip().lower()).strip("_")
    if not value:
        raise ValueError("Required, such as follow_up.")
    if not VISIT_TYPE.match(value):
        raise ValueError("Letters, digits and _, starting with a letter, such as follow_up.")
    return value


def parse_reason(text: str) -> str | None:
    """Why the patient is coming in."""
    value = text.strip()
    if len(value) > REASON_MAX:
        raise ValueError(f"At most {REASON_MAX} characters.")
    return value or None


def field_path(param: str | None) -> list[str]:
    """The API's `param` as candidate field names, longest first: `phones[0].number` (or
    `phones.0.number`) is tried as `phones.0.number`, then `phones.0`, then `phones`."""
    if not param:
        return []
    parts = re.sub(r"\[(\d+)\]", r".\1", param).strip(".").split(".")
    return [".".join(parts[:end]) for end in range(len(parts), 0, -1)]

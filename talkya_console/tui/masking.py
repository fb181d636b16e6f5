"""PHI masking: date of birth, phone, email and address stay hidden in lists and charts until a
staff member reveals them, for one chart at a time (and the reveal is audited)."""

from __future__ import annotations

from datetime import date

HIDDEN = "•••"


def mask_dob(dob: date | None) -> str:
    """`••••-••-••`: the shape of a date, nothing of it."""
    return "••••-••-••" if dob else "—"


def mask_phone(number: str) -> str:
    """`•••-•••-••67`: the last two digits, enough to tell two numbers apart on the phone."""
    digits = [c for c in number if c.isdigit()]
    return f"•••-•••-••{''.join(digits[-2:])}" if len(digits) >= 2 else HIDDEN


def mask_email(address: str) -> str:
    """`m•••@•••`: the first letter only."""
    return f"{address[:1]}{HIDDEN}@{HIDDEN}" if address else "—"

"""Pieces the route modules share."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from fastapi import Query

from talkya_console.sandbox.errors import ApiError
from talkya_console.wire.common import format_timestamp


@dataclass
class ListArgs:
    limit: int
    cursor: str | None


async def list_args(
    limit: int = Query(25, ge=1, le=100, description="Page size, 1 to 100."),
    cursor: str | None = Query(None, description="`next_cursor` of the previous page."),
) -> ListArgs:
    return ListArgs(limit, cursor or None)


def e164(number: str, param: str) -> str:
    """Phone numbers are stored as E.164; a 10-digit number is taken as North American."""
    digits = re.sub(r"\D", "", number)
    if number.strip().startswith("+") and 7 <= len(digits) <= 15:
        return "+" + digits
    if len(digits) == 10:
        return "+1" + digits
    if len(digits) == 11 and digits.startswith("1"):
        return "+" + digits
    raise ApiError(
        422,
        "phone_invalid",
        f"'{param}' is not a phone number we can dial; use E.164 such as +13055550123.",
        param=param,
    )


def time_filter(value: datetime | None, param: str) -> str | None:
    """A timestamp query parameter in the stored `YYYY-MM-DDTHH:MM:SSZ` form, so strings compare."""
    if value is None:
        return None
    try:
        return format_timestamp(value)
    except (OverflowError, ValueError):
        raise ApiError(400, "parameter_invalid", f"'{param}' is outside the supported range.", param=param) from None

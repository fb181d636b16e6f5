"""Pieces the route modules share."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from fastapi import Query
from pydantic import BaseModel

from talkya_console.sandbox.context import Ctx
from talkya_console.sandbox.errors import ApiError
from talkya_console.sandbox.records import require_exists
from talkya_console.wire.common import format_timestamp

ID_MAX = 64


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


def refuse_nulls(body: BaseModel, fields: tuple[str, ...]) -> None:
    """A PATCH may not null a field the record requires; say so rather than fail to store it."""
    for name in fields:
        if name in body.model_fields_set and getattr(body, name) is None:
            raise ApiError(422, "parameter_invalid", f"'{name}' cannot be null; omit it to keep its value.", param=name)


def claimant(ctx: Ctx, requested: str | None, noun: str) -> str:
    """Who is claiming a task or handoff: the signed-in user, or for an API key the user it names."""
    own = ctx.principal.user_id
    if own is not None and requested not in (None, own):
        raise ApiError(422, "user_mismatch", f"A signed-in user claims {noun} for themselves only.", param="user_id")
    user_id = own or requested
    if user_id is None:
        raise ApiError(
            422,
            "user_required",
            "This credential acts for no staff member; send the claiming user's id as user_id.",
            param="user_id",
        )
    require_exists(ctx, "user", user_id, "user_id")
    return user_id

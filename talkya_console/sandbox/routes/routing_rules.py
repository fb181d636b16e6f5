"""The AI receptionist's routing rules: one document per workspace, read and patched whole."""

from __future__ import annotations

import re
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, Depends
from pydantic import ValidationError
from starlette.responses import Response

from talkya_console.sandbox.context import Ctx, Scope
from talkya_console.sandbox.errors import ApiError
from talkya_console.sandbox.receptionist import load_rules, rules_id
from talkya_console.sandbox.records import json_response
from talkya_console.sandbox.routes._common import e164
from talkya_console.wire import RoutingRules, RoutingRulesUpdate
from talkya_console.wire.common import now

router = APIRouter(prefix="/v1/receptionist/routing-rules", tags=["receptionist"])

_VISIT_TYPE = re.compile(r"^[a-z][a-z0-9_]{1,63}$")


def _public(rules: RoutingRules) -> Response:
    # The storage id is internal: there is one document per workspace, reached by its path.
    return json_response(rules.model_dump_json(exclude={"id"}))


def _param(loc: tuple[Any, ...]) -> str:
    """`("after_hours", "hours", 0, "close")` as a person writes it: `after_hours.hours[0].close`."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _invalid(code: str, message: str, param: str) -> ApiError:
    return ApiError(422, code, message, param=param)


def _check(rules: RoutingRules) -> RoutingRules:
    """The rules that span fields, which the models alone cannot say; returns them normalised."""
    after = rules.after_hours
    for i, hours in enumerate(after.hours):
        if hours.close <= hours.open:
            raise _invalid(
                "hours_invalid", "Opening hours must close after they open.", f"after_hours.hours[{i}].close"
            )
    if after.mode == "forward":
        if not after.forward_to:
            raise _invalid(
                "forward_to_required",
                "After-hours mode 'forward' needs a number to forward to in 'after_hours.forward_to'.",
                "after_hours.forward_to",
            )
        after.forward_to = e164(after.forward_to, "after_hours.forward_to")
    try:
        ZoneInfo(after.timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise _invalid(
            "timezone_invalid", "Use an IANA time zone such as America/New_York.", "after_hours.timezone"
        ) from exc
    if rules.language.primary not in rules.language.supported:
        raise _invalid(
            "language_unsupported", "The primary language must be one of the supported ones.", "language.primary"
        )
    for i, visit_type in enumerate(rules.booking.visit_types):
        if not _VISIT_TYPE.match(visit_type):
            raise _invalid(
                "parameter_invalid",
                "Visit types are lowercase codes such as aesthetic_consult.",
                f"booking.visit_types[{i}]",
            )
    if rules.booking.enabled and not rules.booking.visit_types:
        raise _invalid(
            "visit_types_required", "Booking needs at least one visit type it may book.", "booking.visit_types"
        )
    rules.escalation.triggers = list(dict.fromkeys(rules.escalation.triggers))
    return rules


@router.get("", response_model=RoutingRules, summary="The receptionist's routing rules")
async def get_rules(ctx: Ctx = Depends(Scope("receptionist:read"))) -> Response:
    return _public(load_rules(ctx.sandbox, ctx.ws)[0])


@router.patch("", response_model=RoutingRules, summary="Change greeting, escalation, booking, language or hours")
async def update_rules(body: RoutingRulesUpdate, ctx: Ctx = Depends(Scope("receptionist:write"))) -> Response:
    current, stored = load_rules(ctx.sandbox, ctx.ws)
    merged = current.model_dump(exclude={"id"})
    # A section given is merged field by field, so changing the voice keeps the greeting's text.
    for section, changes in body.model_dump(exclude_unset=True).items():
        if changes is None:
            raise _invalid("parameter_invalid", f"'{section}' cannot be null; omit it to keep it.", section)
        merged[section].update(changes)
    try:
        rules = RoutingRules.model_validate(merged)
    except ValidationError as exc:
        first = exc.errors()[0]
        param = _param(tuple(first["loc"]))
        # pydantic's message names the rule broken, never the value sent.
        detail = str(first.get("msg", "is invalid")).replace("Value error, ", "")
        raise _invalid("parameter_invalid", f"'{param}': {detail}.", param) from exc
    rules = _check(rules)
    if rules.model_dump(exclude={"updated_at"}) == current.model_dump(exclude={"updated_at", "id"}):
        return _public(current)  # nothing changed: defaults stay unstored, stored rules keep their time
    rules = RoutingRules.model_validate({**rules.model_dump(), "updated_at": now(), "id": rules_id(ctx.ws)})
    with ctx.db.tx():
        if stored:
            ctx.db.update("routing_rules", ctx.ws, rules)
        else:
            ctx.db.insert("routing_rules", ctx.ws, rules)
    return _public(rules)

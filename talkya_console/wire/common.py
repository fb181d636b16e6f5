"""Building blocks every resource shares: timestamps, ids, list pages, error bodies."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Generic, Literal, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PlainSerializer

ID_PREFIXES = (
    "pat enc note doc lead con deal task call tv ch msg file run ho hev hrt rt we wh evt usr loc ws req aud"
).split()


def _as_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _in_range(value: datetime) -> datetime:
    """Normalise to UTC, refusing instants that UTC cannot hold (year 9999 west of Greenwich)."""
    try:
        return _as_utc(value)
    except OverflowError as exc:
        raise ValueError("is out of the range of representable times") from exc


def format_timestamp(value: datetime) -> str:
    """RFC 3339 UTC, seconds precision: `2026-05-18T14:00:00Z`."""
    return _as_utc(value).strftime("%Y-%m-%dT%H:%M:%SZ")


Timestamp = Annotated[datetime, PlainSerializer(format_timestamp, return_type=str, when_used="json")]
"""A time the API returns: parsed by pydantic's own (fast) datetime parser."""

InputTimestamp = Annotated[
    datetime,
    AfterValidator(_in_range),
    PlainSerializer(format_timestamp, return_type=str, when_used="json"),
]
"""A time a request sends: normalised to UTC (no offset means UTC), refused if UTC cannot hold it."""


def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


class Resource(BaseModel):
    """A resource the API returns. Unknown fields are kept so an older client reads a newer API."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)


class Params(BaseModel):
    """A request body. Unknown fields are refused, as Stripe refuses unknown parameters."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


Metadata = dict[str, str | int | float | bool | None]

T = TypeVar("T")


class ListPage(BaseModel, Generic[T]):
    object: Literal["list"] = "list"
    data: list[T]
    has_more: bool
    next_cursor: str | None = None


class ErrorDetail(BaseModel):
    type: str
    code: str
    message: str
    param: str | None = None
    request_id: str | None = None


class ErrorBody(BaseModel):
    error: ErrorDetail


ERROR_TYPES: dict[int, str] = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    405: "invalid_request_error",
    409: "conflict_error",
    413: "payload_too_large",
    415: "invalid_request_error",
    422: "validation_error",
    429: "rate_limit_error",
    500: "api_error",
}


class Deleted(Resource):
    id: str
    object: str
    deleted: Literal[True] = True


# The largest page a list call may ask for.
MAX_LIMIT = 100
Limit = Annotated[int, Field(ge=1, le=MAX_LIMIT)]

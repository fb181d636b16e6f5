"""Typed errors, mapped from the HTTP status in one place (`error_for`)."""

from __future__ import annotations

import json
from typing import Any

import httpx

from talkya_console.api._constants import REQUEST_ID_HEADER


class APIError(Exception):
    """Anything the client raises for a failed call; `status` is None when no response came back."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        type: str | None = None,
        param: str | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.type = type
        self.param = param
        self.request_id = request_id

    def __str__(self) -> str:
        details = ", ".join(
            f"{name}={value}"
            for name, value in (("status", self.status), ("code", self.code), ("param", self.param))
            if value is not None
        )
        suffix = f" (request {self.request_id})" if self.request_id else ""
        return f"{self.message} [{details}]{suffix}" if details else f"{self.message}{suffix}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status={self.status!r}, code={self.code!r}, request_id={self.request_id!r})"


class BadRequest(APIError):
    """400 (and 405, 413, 415): the request itself is malformed, e.g. `invalid_cursor`."""


class ValidationError(BadRequest):
    """422: a parameter is invalid; `param` names it."""


class AuthenticationError(APIError):
    """401: the key or token is missing, wrong or expired."""


class PermissionDenied(APIError):
    """403: `insufficient_scope` or `workspace_mismatch`."""


class NotFound(APIError):
    """404: no such record in this workspace."""


class Conflict(APIError):
    """409: the record's state forbids the change (`note_signed`, `encounter_closed`, ...)."""


class RateLimited(APIError):
    """429: the workspace is over its rate limit; `retry_after` is the server's hint in seconds."""

    retry_after: float | None = None


class InternalServerError(APIError):
    """5xx: the server failed; the call may be retried."""


# Named as the issue names it; it shadows the builtin only where it is imported by name.
class ConnectionError(APIError):
    """No response: the connection failed or was dropped."""


class ConnectionTimeout(ConnectionError):
    """No response within the timeout."""


_BY_STATUS: dict[int, type[APIError]] = {
    400: BadRequest,
    401: AuthenticationError,
    403: PermissionDenied,
    404: NotFound,
    405: BadRequest,
    409: Conflict,
    413: BadRequest,
    415: BadRequest,
    422: ValidationError,
    429: RateLimited,
}


def error_fields(response: httpx.Response) -> dict[str, Any]:
    """The contract's error body, or an OAuth (RFC 6749) one, as keyword arguments for an APIError."""
    try:
        body = json.loads(response.content)
    except ValueError:
        body = None
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        fields: dict[str, Any] = {
            "message": str(error.get("message") or "The API returned an error."),
            "code": error.get("code"),
            "type": error.get("type"),
            "param": error.get("param"),
            "request_id": error.get("request_id"),
        }
    elif isinstance(error, str):  # the token endpoint answers as RFC 6749 section 5.2 says
        description = body.get("error_description") if isinstance(body, dict) else None
        fields = {"message": str(description or error), "code": error, "type": "oauth_error"}
    else:
        fields = {"message": f"The API answered {response.status_code} without an error body."}
    fields["request_id"] = fields.get("request_id") or response.headers.get(REQUEST_ID_HEADER)
    fields["status"] = response.status_code
    return fields


def error_for(response: httpx.Response) -> APIError:
    """The typed error for a non-2xx response whose body has been read."""
    fields = error_fields(response)
    status = response.status_code
    cls = _BY_STATUS.get(status) or (InternalServerError if status >= 500 else APIError)
    error = cls(**fields)
    if isinstance(error, RateLimited):
        error.retry_after = retry_after_seconds(response.headers)
    return error


def retry_after_seconds(headers: httpx.Headers) -> float | None:
    """`Retry-After` as seconds; the contract sends seconds, so an HTTP date is ignored."""
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None

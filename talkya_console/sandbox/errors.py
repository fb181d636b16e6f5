"""The contract's error body, and the handlers that turn every failure into one."""

from __future__ import annotations

import json
import logging
import re

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from talkya_console.wire.common import ERROR_TYPES

log = logging.getLogger("talkya.sandbox")


class ApiError(Exception):
    """An error the API answers with; the message is shown to integrators, so it names no PHI."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        param: str | None = None,
        type: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.param = param
        self.type = type or ERROR_TYPES.get(status, "api_error")
        self.headers = headers or {}


# What a Talkya id looks like (`pat_8f2k…`): such a value is named in a 404; anything else (an email
# or a name sent where an id belongs) may be PHI and is not repeated back.
_ID_SHAPE = re.compile(r"^[a-z]{2,12}_[A-Za-z0-9]{1,64}$")


def not_found(noun: str, id_: str, param: str | None = None) -> ApiError:
    if _ID_SHAPE.match(id_):
        return ApiError(404, "resource_missing", f"No such {noun}: '{id_}'.", param=param)
    return ApiError(404, "resource_missing", f"No such {noun}: the value is not a {noun} id.", param=param)


def error_bytes(err: ApiError, request_id: str | None) -> bytes:
    body = {
        "error": {
            "type": err.type,
            "code": err.code,
            "message": err.message,
            "param": err.param,
            "request_id": request_id,
        }
    }
    return json.dumps(body).encode()


def error_response(err: ApiError, request_id: str | None) -> Response:
    return Response(
        error_bytes(err, request_id),
        status_code=err.status,
        media_type="application/json",
        headers=err.headers,
    )


def _request_id(request: Request) -> str | None:
    return getattr(request.state, "request_id", None)


def _param(loc: tuple) -> str | None:
    parts = (
        [str(p) for p in loc[1:]] if loc and loc[0] in ("body", "query", "path", "header") else [str(p) for p in loc]
    )
    return ".".join(parts) or None


_MESSAGES = {
    "missing": "is required",
    "extra_forbidden": "is not a recognised parameter",
    "literal_error": "must be one of the allowed values",
    "enum": "must be one of the allowed values",
}


def validation_error(exc: RequestValidationError) -> ApiError:
    """Map pydantic's first complaint to the contract's body. Input values are never echoed."""
    errors = exc.errors()
    first = errors[0] if errors else {"type": "value_error", "loc": (), "msg": "Invalid request."}
    kind = first.get("type", "")
    loc = tuple(first.get("loc", ()))
    if kind in ("json_invalid", "json_type"):
        return ApiError(400, "invalid_json", "The request body is not valid JSON.")
    param = _param(loc)
    expected = (first.get("ctx") or {}).get("expected")
    detail = f"must be {expected}" if expected else _MESSAGES.get(kind)
    if detail is None:
        detail = str(first.get("msg", "is invalid")).replace("Value error, ", "")
        detail = detail[0].lower() + detail[1:] if detail else "is invalid"
    if param is None and loc and loc[0] == "body":
        return ApiError(400, "invalid_json", "The request body must be a JSON object.")
    message = f"'{param}' {detail}." if param else f"The request {detail}."
    if loc and loc[0] in ("query", "path", "header"):
        return ApiError(400, "parameter_invalid", message, param=param)
    code = {"missing": "parameter_missing", "extra_forbidden": "parameter_unknown"}.get(kind, "parameter_invalid")
    return ApiError(422, code, message, param=param)


def install(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> Response:
        return error_response(exc, _request_id(request))

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        return error_response(validation_error(exc), _request_id(request))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404:
            err = ApiError(404, "route_not_found", f"Unrecognised request URL ({request.method} {request.url.path}).")
        elif exc.status_code == 405:
            err = ApiError(405, "method_not_allowed", f"{request.method} is not allowed on {request.url.path}.")
        else:
            err = ApiError(exc.status_code, "http_error", str(exc.detail))
        return error_response(err, _request_id(request))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        # The exception's text may quote data; log only its class and where it happened.
        log.error(
            "unhandled %s on %s %s (%s)",
            type(exc).__name__,
            request.method,
            request.scope.get("route").path if request.scope.get("route") else "?",
            _request_id(request),
        )
        return error_response(
            ApiError(500, "internal_error", "Something went wrong on our side; it has been logged."),
            _request_id(request),
        )

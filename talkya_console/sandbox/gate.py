"""The ASGI gate every request passes: request id, body limits, credentials, the workspace
header, rate limits and idempotency. Plain ASGI, so the hot path stays cheap."""

from __future__ import annotations

import hashlib
import json
import math
import secrets
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from talkya_console.sandbox.context import Sandbox
from talkya_console.sandbox.errors import ApiError, error_bytes

PUBLIC_PREFIXES = ("/v1/oauth/", "/v1/openapi.json", "/healthz", "/docs", "/redoc")
WRITE_METHODS = {"POST", "PATCH", "PUT", "DELETE"}
IDEMPOTENT_METHODS = {"POST", "PATCH"}
NOT_STORED = {401, 403, 429}


class _Replay:
    __slots__ = ("body", "headers", "status")

    def __init__(self) -> None:
        self.status = 0
        self.headers: list[tuple[bytes, bytes]] = []
        self.body = bytearray()


class RateLimiter:
    """A fixed window per workspace."""

    def __init__(self, limit: int | None, window: float) -> None:
        self.limit = limit
        self.window = window
        self._windows: dict[str, list[float]] = {}

    def hit(self, workspace_id: str) -> tuple[bool, list[tuple[bytes, bytes]]]:
        if self.limit is None:
            return True, []
        now = time.monotonic()
        state = self._windows.get(workspace_id)
        if state is None or now >= state[0] + self.window:
            state = [now, 0]
            self._windows[workspace_id] = state
        state[1] += 1
        reset = max(1, math.ceil(state[0] + self.window - now))
        remaining = max(0, self.limit - int(state[1]))
        headers = [
            (b"ratelimit-limit", str(self.limit).encode()),
            (b"ratelimit-remaining", str(remaining).encode()),
            (b"ratelimit-reset", str(reset).encode()),
        ]
        if state[1] > self.limit:
            return False, [*headers, (b"retry-after", str(reset).encode())]
        return True, headers


class Gate:
    def __init__(self, app: ASGIApp, sandbox: Sandbox) -> None:
        self.app = app
        self.sandbox = sandbox
        self.limiter = RateLimiter(sandbox.limits.rate_limit, sandbox.limits.rate_window)
        self._in_flight: set[tuple[str, str]] = set()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = "req_" + secrets.token_hex(8)
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        extra_headers: list[tuple[bytes, bytes]] = [(b"talkya-request-id", request_id.encode())]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = list(message.get("headers", [])) + extra_headers
            await send(message)

        try:
            await self._handle(scope, receive, send_with_headers, state, extra_headers)
        except ApiError as err:
            await self._send_error(send_with_headers, err, request_id)

    async def _handle(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        state: dict[str, Any],
        extra_headers: list[tuple[bytes, bytes]],
    ) -> None:
        path: str = scope["path"]
        method: str = scope["method"]
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        body: bytes | None = None
        if method in WRITE_METHODS:
            body = await self._read_body(receive, headers)
            receive = _replaying(body, receive)
        if not path.startswith("/v1/") or path.startswith(PUBLIC_PREFIXES):
            await self.app(scope, receive, send)
            return
        principal = self.sandbox.auth.authenticate(headers.get("authorization"))
        workspace = headers.get("talkya-workspace")
        if not workspace:
            raise ApiError(400, "workspace_required", "Send the workspace id in the 'Talkya-Workspace' header.")
        if workspace != principal.workspace_id:
            raise ApiError(
                403,
                "workspace_mismatch",
                "This credential belongs to another workspace than the 'Talkya-Workspace' header names.",
            )
        allowed, rate_headers = self.limiter.hit(principal.workspace_id)
        extra_headers.extend(rate_headers)
        if not allowed:
            raise ApiError(
                429,
                "rate_limited",
                "Too many requests for this workspace; retry after the number of seconds in Retry-After.",
            )
        state["principal"] = principal
        key = headers.get("idempotency-key")
        if key is None or method not in IDEMPOTENT_METHODS:
            await self.app(scope, receive, send)
            return
        await self._idempotent(scope, receive, send, principal.workspace_id, key, _canonical(body or b"", headers))

    async def _read_body(self, receive: Receive, headers: dict[str, str]) -> bytes:
        limits = self.sandbox.limits
        is_upload = headers.get("content-type", "").startswith("multipart/")
        cap = limits.file_bytes + 64 * 1024 if is_upload else limits.json_body_bytes
        declared = headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > cap:
            raise _too_large(cap)
        chunks = bytearray()
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunks.extend(message.get("body", b""))
            if len(chunks) > cap:
                raise _too_large(cap)
            if not message.get("more_body", False):
                break
        return bytes(chunks)

    async def _idempotent(
        self, scope: Scope, receive: Receive, send: Send, workspace: str, key: str, body: bytes
    ) -> None:
        if not 1 <= len(key) <= 255:
            raise ApiError(400, "idempotency_key_invalid", "The Idempotency-Key header must be 1 to 255 characters.")
        fingerprint = hashlib.sha256(
            b"\n".join([scope["method"].encode(), scope["path"].encode(), scope.get("query_string", b""), body])
        ).hexdigest()
        ident = (workspace, key)
        if ident in self._in_flight:
            raise ApiError(
                409,
                "idempotency_key_in_use",
                "A request with this Idempotency-Key is still being processed; retry shortly.",
            )
        db = self.sandbox.db
        row = db.conn.execute(
            "SELECT fingerprint, status, headers, body, created_at FROM idempotency WHERE workspace_id = ? AND key = ?",
            ident,
        ).fetchone()
        if row and row[4] < time.time() - self.sandbox.limits.idempotency_ttl:
            db.conn.execute("DELETE FROM idempotency WHERE workspace_id = ? AND key = ?", ident)
            row = None
        if row:
            if row[0] != fingerprint:
                raise ApiError(
                    422,
                    "idempotency_key_reused",
                    "This Idempotency-Key was used with another request; use a new key for a new request.",
                )
            stored_headers = [(k.encode(), v.encode()) for k, v in json.loads(row[2])]
            await send(
                {
                    "type": "http.response.start",
                    "status": row[1],
                    "headers": [*stored_headers, (b"idempotent-replayed", b"true")],
                }
            )
            await send({"type": "http.response.body", "body": row[3]})
            return
        self._in_flight.add(ident)
        replay = _Replay()

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                replay.status = message["status"]
                replay.headers = [
                    (k, v) for k, v in message.get("headers", []) if k.lower() in (b"content-type", b"location")
                ]
            elif message["type"] == "http.response.body":
                replay.body.extend(message.get("body", b""))
                if not message.get("more_body", False) and replay.status < 500 and replay.status not in NOT_STORED:
                    db.conn.execute(
                        "INSERT OR REPLACE INTO idempotency (workspace_id, key, fingerprint, status, headers, body, created_at) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?)",
                        (
                            *ident,
                            fingerprint,
                            replay.status,
                            json.dumps([(k.decode(), v.decode()) for k, v in replay.headers]),
                            bytes(replay.body),
                            time.time(),
                        ),
                    )
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            self._in_flight.discard(ident)

    @staticmethod
    async def _send_error(send: Send, err: ApiError, request_id: str) -> None:
        body = error_bytes(err, request_id)
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        headers += [(k.lower().encode(), v.encode()) for k, v in err.headers.items()]
        await send({"type": "http.response.start", "status": err.status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def _canonical(body: bytes, headers: dict[str, str]) -> bytes:
    """The body as idempotency compares it: a multipart boundary is random per request (httpx
    picks a new one on each retry), so it is replaced by a constant before hashing."""
    content_type = headers.get("content-type", "")
    if content_type.startswith("multipart/"):
        for part in content_type.split(";")[1:]:
            name, _, value = part.strip().partition("=")
            if name.lower() == "boundary" and value:
                return body.replace(value.strip('"').encode("latin-1"), b"talkya-boundary")
    return body


def _too_large(cap: int) -> ApiError:
    return ApiError(
        413, "payload_too_large", f"The request body is larger than the {cap // 1024} KiB this route accepts."
    )


def _replaying(body: bytes, downstream: Receive) -> Receive:
    """Hand the body already read to the app, then pass on what the server says next."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await downstream()

    return receive

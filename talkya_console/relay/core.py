"""The relay's running state, shared by its routes: log, writer, hub, metrics, secrets."""

from __future__ import annotations

import asyncio
import logging
import re
import secrets as _secrets
from collections.abc import Callable
from typing import Any, TypeVar

from starlette.responses import JSONResponse

from talkya_console.relay.hub import Hub, Subscription, Writer
from talkya_console.relay.log import Appended, EventLog, Head, Incoming
from talkya_console.relay.metrics import Metrics
from talkya_console.relay.settings import RelaySettings, Secret
from talkya_console.relay.tokens import token_workspace
from talkya_console.wire.common import ERROR_TYPES

log = logging.getLogger("talkya.relay")
T = TypeVar("T")
_UNSAFE = re.compile(r"[^A-Za-z0-9_.:-]")


def loggable(value: str | None) -> str:
    """A caller-supplied id made safe for a log line: short, no control characters."""
    if value is None:
        return "-"
    return _UNSAFE.sub("?", value[:64])


def request_id() -> str:
    return "req_" + _secrets.token_hex(12)


def error_response(status: int, code: str, message: str, param: str | None = None) -> JSONResponse:
    """The contract's error shape, with a request id in the body and the header."""
    rid = request_id()
    body = {
        "error": {
            "type": ERROR_TYPES.get(status, "invalid_request_error"),
            "code": code,
            "message": message,
            "param": param,
            "request_id": rid,
        }
    }
    return JSONResponse(body, status_code=status, headers={"Talkya-Request-Id": rid})


class Relay:
    """Everything a request needs; built by the app's lifespan, closed with it."""

    def __init__(self, event_log: EventLog, secrets: dict[str, tuple[Secret, ...]], settings: RelaySettings) -> None:
        self.log = event_log
        self.secrets = secrets
        self.settings = settings
        self.metrics = Metrics()
        self.hub = Hub(self._overflowed)
        self.writer = Writer(event_log, self.hub, self._stored)
        # Every open stream, registered with the hub or still replaying: revocation must reach both.
        self.streams: set[Subscription] = set()

    def _overflowed(self, sub: Subscription) -> None:
        self.metrics.slow_disconnects[sub.workspace_id] += 1
        log.warning("slow subscriber %d of %s disconnected (buffer full)", sub.id, sub.workspace_id)

    def _stored(self, item: Incoming, result: Appended) -> None:
        if result.duplicate:
            self.metrics.duplicates[item.workspace_id] += 1
        else:
            self.metrics.events_in[item.workspace_id] += 1

    def refuse(self, status: int, reason: str, message: str, workspace_id: str, webhook_id: str | None) -> JSONResponse:
        """A refused delivery: counted, logged with its reason and ids, never its body."""
        self.metrics.refused[reason] += 1
        log.warning(
            "webhook refused: reason=%s workspace=%s webhook_id=%s",
            reason,
            loggable(workspace_id),
            loggable(webhook_id),
        )
        return error_response(status, reason, message)

    async def db(self, fn: Callable[..., T], *args: Any) -> T:
        """Run a log call on a worker thread so SQLite never blocks the loop."""
        return await asyncio.to_thread(fn, *args)

    async def head(self, workspace_id: str) -> Head:
        return await self.db(self.log.head, workspace_id)

    async def workspace_for(self, token: str) -> str | None:
        return await self.db(token_workspace, self.log, token)

    async def cut_revoked(self) -> int:
        """Close the streams whose token was revoked (by `relay token revoke`, maybe in another process)."""
        streams = list(self.streams)
        if not streams:
            return 0
        live = await self.db(self.log.live_token_hashes, sorted({sub.token_hash for sub in streams}))
        revoked = [sub for sub in streams if sub.token_hash not in live]
        for sub in revoked:
            self.hub.remove(sub)
            sub.end("token_revoked")
            self.metrics.stream_refused["token_revoked"] += 1
            log.warning("stream %d of %s closed: its token was revoked", sub.id, sub.workspace_id)
        return len(revoked)

    def render_metrics(self) -> str:
        return self.metrics.render(self.hub.counts, self.hub.lags)

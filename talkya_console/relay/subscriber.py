"""The console side of the stream: an async iterator of events that resumes, reconnects and dedupes."""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
from collections import OrderedDict
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from pydantic import ValidationError
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

from talkya_console.wire.events import Event

Status = Literal["connecting", "connected", "reconnecting", "offline", "closed"]
AUTH_FAILURES = frozenset({"invalid_token", "auth_required", "token_revoked"})


@dataclass(frozen=True)
class Reset:
    """The relay could not resume from our position (log pruned or lost): refetch views, then carry on."""

    epoch: str


@dataclass(frozen=True)
class SubscriberState:
    """What the status bar shows: `reconnecting` turns `offline` after `offline_after` seconds down."""

    status: Status
    retry_in: float | None = None
    retry_at: datetime | None = None
    offline_since: datetime | None = None
    error: str | None = None


class RelayAuthError(Exception):
    """The relay refused the token; retrying will not help."""


class RelaySubscriber:
    """`async for item in RelaySubscriber(url, token)`: wire `Event`s in seq order, and `Reset` markers."""

    def __init__(
        self,
        url: str,
        token: str,
        *,
        since: int | None = None,
        epoch: str | None = None,
        on_state_change: Callable[[SubscriberState], None] | None = None,
        backoff_base: float = 0.5,
        backoff_cap: float = 30.0,
        offline_after: float = 30.0,
        open_timeout: float = 10.0,
        close_timeout: float = 2.0,
        dedupe_size: int = 10_000,
        auth_in_message: bool = False,
    ) -> None:
        self._url = url
        self._token = token
        self._last_seq = since
        self._epoch = epoch
        self._on_state_change = on_state_change
        self._backoff_base = backoff_base
        self._backoff_cap = backoff_cap
        self._offline_after = offline_after
        self._open_timeout = open_timeout
        self._close_timeout = close_timeout
        self._auth_in_message = auth_in_message
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._dedupe_size = dedupe_size
        self._state = SubscriberState("connecting")
        self._stop = asyncio.Event()
        self._ws: ClientConnection | None = None
        self._gen: AsyncGenerator[Event | Reset, None] | None = None

    @property
    def state(self) -> SubscriberState:
        return self._state

    @property
    def last_seq(self) -> int | None:
        """The seq of the last event yielded; persist it with `epoch` to resume after a restart."""
        return self._last_seq

    @property
    def epoch(self) -> str | None:
        return self._epoch

    def __aiter__(self) -> AsyncGenerator[Event | Reset, None]:
        if self._gen is None:
            self._gen = self._run()
        return self._gen

    async def __aenter__(self) -> RelaySubscriber:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Stop for good: close the socket, end the iteration."""
        self._stop.set()
        if self._ws is not None:
            await self._ws.close()
        if self._gen is not None:
            # Raises when another task is inside __anext__; the stop flag ends that iteration instead.
            with contextlib.suppress(RuntimeError):
                await self._gen.aclose()
        self._set_state(SubscriberState("closed"))

    def _set_state(self, state: SubscriberState) -> None:
        if state != self._state:
            self._state = state
            if self._on_state_change is not None:
                self._on_state_change(state)

    def _connect_url(self) -> str:
        parts = urlsplit(self._url)
        query = [(k, v) for k, v in parse_qsl(parts.query) if k not in ("since", "epoch")]
        if self._last_seq is not None:
            query.append(("since", str(self._last_seq)))
            if self._epoch is not None:
                query.append(("epoch", self._epoch))
        return urlunsplit(parts._replace(query=urlencode(query)))

    async def _run(self) -> AsyncGenerator[Event | Reset, None]:
        attempt = 0
        down_since: datetime | None = None
        while not self._stop.is_set():
            error: str | None
            try:
                headers = {} if self._auth_in_message else {"Authorization": f"Bearer {self._token}"}
                async with connect(
                    self._connect_url(),
                    additional_headers=headers,
                    open_timeout=self._open_timeout,
                    close_timeout=self._close_timeout,
                    max_size=2**21,
                    user_agent_header="talkya-console",
                ) as ws:
                    self._ws = ws
                    if self._auth_in_message:
                        await ws.send(json.dumps({"type": "auth", "token": self._token}))
                    idle = 45.0
                    while True:
                        async with asyncio.timeout(idle):
                            frame: dict[str, Any] = json.loads(await ws.recv())
                        kind = frame.get("type")
                        if "event" in frame:
                            event = self._accept(frame)
                            if event is not None:
                                yield event
                        elif kind in ("hello", "reset"):
                            attempt, down_since = 0, None
                            # Silence for this long means the link is dead even if TCP hasn't noticed.
                            idle = float(frame.get("ping_interval") or 18.0) * 2.5
                            self._set_state(SubscriberState("connected"))
                            if kind == "hello":
                                self._epoch = frame["epoch"]
                                if self._last_seq is None:
                                    self._last_seq = int(frame["head"])
                            else:
                                self._epoch, self._last_seq = frame["epoch"], int(frame["seq"])
                                yield Reset(frame["epoch"])
            except InvalidStatus as exc:
                if exc.response.status_code in (401, 403):
                    self._fail("invalid_token")
                error = f"http_{exc.response.status_code}"
            except ConnectionClosed as exc:
                reason = exc.rcvd.reason if exc.rcvd is not None else ""
                if reason in AUTH_FAILURES:
                    self._fail(reason)
                error = reason or "connection_closed"
            except (OSError, TimeoutError, InvalidHandshake, ValueError, KeyError) as exc:
                error = type(exc).__name__
            finally:
                self._ws = None
            if self._stop.is_set():
                break
            now = datetime.now(UTC)
            down_since = down_since or now
            delay = random.uniform(0, min(self._backoff_cap, self._backoff_base * 2**attempt))
            attempt += 1
            down_for = (now - down_since).total_seconds()
            status: Status = "offline" if down_for >= self._offline_after else "reconnecting"
            self._set_state(SubscriberState(status, delay, now + timedelta(seconds=delay), down_since, error))
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(delay):
                    await self._stop.wait()
        self._set_state(SubscriberState("closed"))

    def _fail(self, reason: str) -> None:
        self._set_state(SubscriberState("offline", offline_since=datetime.now(UTC), error=reason))
        raise RelayAuthError(f"the relay refused the token ({reason})")

    def _accept(self, frame: dict[str, Any]) -> Event | None:
        """The frame's event, or None for one already seen (by seq, or by id across a reset)."""
        seq = int(frame["seq"])
        if self._last_seq is not None and seq <= self._last_seq and frame.get("epoch") == self._epoch:
            return None
        self._last_seq, self._epoch = seq, frame.get("epoch", self._epoch)
        try:
            event = Event.model_validate(frame["event"])
        except ValidationError:
            return None  # skipped, not retried: reconnecting would replay the same frame forever
        if event.id in self._seen:
            self._seen.move_to_end(event.id)
            return None
        self._seen[event.id] = None
        if len(self._seen) > self._dedupe_size:
            self._seen.popitem(last=False)
        return event

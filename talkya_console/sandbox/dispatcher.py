"""The webhook dispatcher: delivers the pending rows of `delivery_queue`, at least once.

`records.emit()` stores each event with one queue row per endpoint that wants it, in the write's
own transaction, so nothing is lost between the API write and the delivery, nor across a restart.
The dispatcher wakes when an event is emitted (via `sandbox.event_listeners`) and on a timer for
retries, and runs each delivery as its own task under a per-endpoint and a global cap, so a slow
or dead endpoint holds only its own slots. All database access stays on the event loop thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from talkya_console.sandbox.context import Sandbox
from talkya_console.sandbox.webhook_sender import SendError, WebhookSender
from talkya_console.wire.common import now
from talkya_console.wire.signing import SIGNATURE_HEADER, WEBHOOK_ID_HEADER, sign
from talkya_console.wire.webhooks import WebhookDelivery, WebhookEndpoint

log = logging.getLogger("talkya.sandbox.webhooks")

SANDBOX_SCHEDULE: tuple[float, ...] = (1, 2, 5, 10, 30)
PRODUCTION_SCHEDULE: tuple[float, ...] = (5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600, 10 * 3600)
USER_AGENT = "Talkya-Webhooks/1"


_ENDPOINT_DUE_SQL = """
SELECT delivery_id FROM delivery_queue WHERE endpoint_id = ? AND next_attempt <= ?
ORDER BY next_attempt LIMIT ?
"""
_WORKSPACE_ENDPOINTS_SQL = """
SELECT id FROM records WHERE workspace_id = ? AND kind = 'webhook_endpoint'
AND json_extract(data, '$.status') = 'enabled'
"""
_ENABLED_SQL = (
    "SELECT json_extract(data, '$.status') = 'enabled' FROM records WHERE id = ? AND kind = 'webhook_endpoint'"
)
# Driven from the queue (small) into records by primary key, never the other way round.
_QUEUED_SQL = """
SELECT 1 FROM delivery_queue AS q WHERE EXISTS (
    SELECT 1 FROM records AS r WHERE r.id = q.endpoint_id AND r.kind = 'webhook_endpoint'
    AND json_extract(r.data, '$.status') = 'enabled'
) LIMIT 1
"""
_CLAIM_SQL = """
SELECT q.event_id, r.workspace_id, r.data FROM delivery_queue AS q
JOIN records AS r ON r.id = q.endpoint_id AND r.kind = 'webhook_endpoint'
WHERE q.delivery_id = ?
"""


@dataclass
class Outcome:
    """One attempt's result; never the response body."""

    status_code: int | None
    error: str | None
    latency_ms: float

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class Dispatcher:
    """Delivers queued webhooks with retries; `start()` inside the server's event loop, `stop()` at exit."""

    def __init__(
        self,
        sandbox: Sandbox,
        *,
        schedule: Sequence[float] = SANDBOX_SCHEDULE,
        timeout: float = 10.0,
        per_endpoint: int = 8,
        max_in_flight: int = 256,
        poll_interval: float = 1.0,
        flush_interval: float = 0.01,
    ) -> None:
        self.sandbox = sandbox
        self.schedule = tuple(schedule)
        self.timeout = timeout
        self.per_endpoint = per_endpoint
        self.max_in_flight = max_in_flight
        self.poll_interval = poll_interval
        self.flush_interval = flush_interval
        # Rows read ahead per endpoint, so a burst costs one queue read per batch, not per delivery.
        self.batch = per_endpoint * 8
        self._ready: dict[str, deque[str]] = defaultdict(deque)
        self._held: dict[str, set[str]] = defaultdict(set)  # read, in flight, or awaiting its log write
        self._busy: dict[str, int] = defaultdict(int)
        self._in_flight = 0
        # Only endpoints that may have new due rows are read: a dead endpoint's backlog is not rescanned.
        self._dirty: set[str] = set()
        self._dirty_workspaces: set[str] = set()
        self._last_scan = 0.0
        self._last_full_scan = 0.0
        self._tasks: set[asyncio.Task[None]] = set()
        self._outcomes: list[tuple[str, str, str, Outcome, bool]] = []
        self._flush_handle: asyncio.TimerHandle | None = None
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: asyncio.Task[None] | None = None
        self._client: WebhookSender | None = None
        self._stopping = False

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        # No proxies from the environment, no redirects: a delivery goes where the endpoint says.
        self._client = WebhookSender(max_idle_per_origin=self.per_endpoint * 2)
        self.sandbox.event_listeners.append(self._on_event)
        self._runner = asyncio.create_task(self._run(), name="webhook-dispatcher")

    async def stop(self) -> None:
        """Stop at once; an attempt cut short stays queued and is sent again after a restart."""
        self._stopping = True
        with contextlib.suppress(ValueError):
            self.sandbox.event_listeners.remove(self._on_event)
        tasks = [t for t in (self._runner, *self._tasks) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._flush_handle is not None:
            self._flush_handle.cancel()
        self._flush()
        if self._client is not None:
            await self._client.aclose()

    async def idle(self) -> None:
        """Return once every queued delivery to an enabled endpoint has succeeded or failed."""
        await self._idle.wait()

    # -- scheduling ---------------------------------------------------------------------------
    def _on_event(self, workspace_id: str, event: Any) -> None:
        self._idle.clear()
        try:
            same_loop = asyncio.get_running_loop() is self._loop
        except RuntimeError:
            same_loop = False
        if same_loop or self._loop is None:
            self._dirty_workspaces.add(workspace_id)
            self._wake.set()
        else:  # an event emitted off the loop thread (a script, a worker thread)
            self._loop.call_soon_threadsafe(self._on_event, workspace_id, event)

    async def _run(self) -> None:
        while True:
            self._wake.clear()
            delay = self.poll_interval
            try:
                self._scan()
                delay = self._next_delay()
            except Exception as exc:  # a locked or broken database: try again on the next tick
                log.error("webhook queue scan failed (%s)", type(exc).__name__)
            self._launch()
            if not self._in_flight and not self._outcomes and not self._queued():
                self._idle.set()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(delay):
                    await self._wake.wait()

    def _scan(self) -> None:
        """Find the endpoints that may have due rows, then read ahead for each."""
        conn = self.sandbox.db.conn
        at = time.time()
        if at - self._last_full_scan >= self.poll_interval:  # also catches re-enabled endpoints
            found = conn.execute("SELECT DISTINCT endpoint_id FROM delivery_queue WHERE next_attempt <= ?", (at,))
            self._last_full_scan = at
        else:  # only the retries that fell due since the last look
            found = conn.execute(
                "SELECT DISTINCT endpoint_id FROM delivery_queue WHERE next_attempt > ? AND next_attempt <= ?",
                (self._last_scan, at),
            )
        self._last_scan = at
        self._dirty.update(row[0] for row in found)
        while self._dirty_workspaces:
            rows = conn.execute(_WORKSPACE_ENDPOINTS_SQL, (self._dirty_workspaces.pop(),))
            self._dirty.update(row[0] for row in rows)
        for endpoint_id in list(self._dirty):
            self._read_ahead(endpoint_id, at)

    def _read_ahead(self, endpoint_id: str, at: float) -> None:
        ready, held = self._ready[endpoint_id], self._held[endpoint_id]
        if len(ready) >= self.per_endpoint:
            return  # enough queued in memory; stays dirty until the buffer runs low
        self._dirty.discard(endpoint_id)
        enabled = self.sandbox.db.conn.execute(_ENABLED_SQL, (endpoint_id,)).fetchone()
        if not enabled or not enabled[0]:
            return
        # The oldest due rows come first, the held ones among them; read past those.
        limit = len(held) + self.batch - len(ready)
        for (delivery_id,) in self.sandbox.db.conn.execute(_ENDPOINT_DUE_SQL, (endpoint_id, at, limit)):
            if delivery_id not in held:
                ready.append(delivery_id)
                held.add(delivery_id)

    def _queued(self) -> bool:
        return self.sandbox.db.conn.execute(_QUEUED_SQL).fetchone() is not None

    def _next_delay(self) -> float:
        row = self.sandbox.db.conn.execute(
            "SELECT min(next_attempt) FROM delivery_queue WHERE next_attempt > ?", (time.time(),)
        ).fetchone()
        if row[0] is None:
            return self.poll_interval
        return max(0.0, min(row[0] - time.time(), self.poll_interval))

    def _launch(self) -> None:
        if self._stopping:
            return
        for endpoint_id, ready in self._ready.items():
            while ready and self._busy[endpoint_id] < self.per_endpoint and self._in_flight < self.max_in_flight:
                delivery_id = ready.popleft()
                self._busy[endpoint_id] += 1
                self._in_flight += 1
                self._idle.clear()
                task = asyncio.create_task(self._deliver(endpoint_id, delivery_id))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)

    def _free_slot(self, endpoint_id: str) -> None:
        self._busy[endpoint_id] -= 1
        self._in_flight -= 1
        self._launch()
        if len(self._ready[endpoint_id]) < self.per_endpoint:  # time to read ahead again
            self._dirty.add(endpoint_id)
            self._wake.set()

    def _unclaim(self, endpoint_id: str, delivery_id: str, *, cool_down: bool = False) -> None:
        if cool_down and self._loop is not None:  # a row that broke an attempt is not re-read at once
            self._loop.call_later(self.poll_interval, self._held[endpoint_id].discard, delivery_id)
        else:
            self._held[endpoint_id].discard(delivery_id)

    # -- one attempt --------------------------------------------------------------------------
    async def _deliver(self, endpoint_id: str, delivery_id: str) -> None:
        settled = broken = False
        try:
            claim = self.sandbox.db.conn.execute(_CLAIM_SQL, (delivery_id,)).fetchone()
            if claim is None:  # its endpoint was deleted meanwhile; the delete settled the row
                return
            event_id, workspace_id, endpoint_raw = claim
            endpoint = WebhookEndpoint.model_validate_json(endpoint_raw)
            if endpoint.status != "enabled":  # disabled meanwhile: the row waits for it
                return
            body = self._event_body(workspace_id, event_id)
            if body is None:
                outcome = Outcome(None, "event no longer exists", 0.0)
            else:
                outcome = await self._post(endpoint, delivery_id, body)
            self._settle(endpoint_id, workspace_id, delivery_id, outcome, final=body is None)
            settled = True
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # never let one delivery take the dispatcher down
            log.error("webhook delivery %s failed unexpectedly (%s)", delivery_id, type(exc).__name__)
            broken = True
        finally:
            if not settled:  # a settled row stays claimed until its outcome is written
                self._unclaim(endpoint_id, delivery_id, cool_down=broken)
            self._free_slot(endpoint_id)

    def _event_body(self, workspace_id: str, event_id: str) -> bytes | None:
        raw = self.sandbox.db.get_raw("event", workspace_id, event_id)
        return raw.encode() if raw is not None else None

    def _secrets(self, endpoint: WebhookEndpoint) -> list[str]:
        current = [endpoint.secret] if endpoint.secret else []
        expires = endpoint.previous_secret_expires_at
        if endpoint.previous_secret and expires is not None and expires > datetime.now(UTC):
            return [*current, endpoint.previous_secret]
        return current

    async def _post(self, endpoint: WebhookEndpoint, delivery_id: str, body: bytes) -> Outcome:
        assert self._client is not None
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            SIGNATURE_HEADER: sign(self._secrets(endpoint), body),
            WEBHOOK_ID_HEADER: delivery_id,
        }
        started = time.perf_counter()
        status: int | None = None
        error: str | None = None
        try:
            # One bound on the whole exchange, trickling answers included.
            async with asyncio.timeout(self.timeout):
                status = await self._client.post(endpoint.url, headers, body)
        except TimeoutError:
            status, error = None, f"no answer within {self.timeout:g} s"
        except SendError as exc:
            error = str(exc)
        latency = round((time.perf_counter() - started) * 1000, 2)
        if error is None and status is not None and not 200 <= status < 300:
            error = f"receiver answered {status}"
        return Outcome(status, error, latency)

    def _settle(self, endpoint_id: str, workspace_id: str, delivery_id: str, outcome: Outcome, *, final: bool) -> None:
        self._outcomes.append((endpoint_id, workspace_id, delivery_id, outcome, final))
        if self._flush_handle is None and self._loop is not None:
            self._flush_handle = self._loop.call_later(self.flush_interval, self._flush)

    def _flush(self) -> None:
        """Write the outcomes gathered in the last few ms in one transaction: a commit per delivery
        would cost more than its POST. A crash before this only means a delivery is sent again."""
        self._flush_handle = None
        outcomes, self._outcomes = self._outcomes, []
        if not outcomes:
            return
        broken: set[str] = set()
        retrying = False
        try:
            with self.sandbox.db.tx():
                for _, workspace_id, delivery_id, outcome, final in outcomes:
                    try:
                        retrying |= self._record(workspace_id, delivery_id, outcome, final=final)
                    except Exception as exc:  # an unreadable log entry must not undo the others
                        log.error("recording webhook delivery %s failed (%s)", delivery_id, type(exc).__name__)
                        broken.add(delivery_id)
        except Exception as exc:  # a locked or broken database: the rows stay due and are sent again
            log.error("recording %d webhook attempts failed (%s)", len(outcomes), type(exc).__name__)
            broken.update(item[2] for item in outcomes)
        for endpoint_id, _, delivery_id, _, _ in outcomes:
            self._unclaim(endpoint_id, delivery_id, cool_down=delivery_id in broken)
        if retrying or not self._in_flight:  # re-arm the retry timer, or let the loop see it is idle
            self._wake.set()

    def _record(self, workspace_id: str, delivery_id: str, outcome: Outcome, *, final: bool) -> bool:
        """Log the attempt and settle or reschedule the row; True when it will be tried again."""
        db = self.sandbox.db
        with db.tx() as conn:
            queued = conn.execute("SELECT 1 FROM delivery_queue WHERE delivery_id = ?", (delivery_id,)).fetchone()
            if queued is None:  # settled by an endpoint delete during the attempt
                return False
            delivery = db.get("webhook_delivery", workspace_id, delivery_id, WebhookDelivery)
            if delivery is None:  # no log entry to keep: drop the row rather than retry it forever
                conn.execute("DELETE FROM delivery_queue WHERE delivery_id = ?", (delivery_id,))
                return False
            delivery.attempts += 1
            delivery.last_status_code = outcome.status_code
            delivery.last_error = outcome.error
            delivery.latency_ms = outcome.latency_ms
            delivery.updated_at = now()
            retry_in = None if outcome.ok or final else self._retry_delay(delivery.attempts)
            if retry_in is None:
                delivery.status = "succeeded" if outcome.ok else "failed"
                delivery.next_attempt_at = None
                conn.execute("DELETE FROM delivery_queue WHERE delivery_id = ?", (delivery_id,))
            else:
                at = time.time() + retry_in
                delivery.next_attempt_at = datetime.fromtimestamp(at, UTC)
                conn.execute("UPDATE delivery_queue SET next_attempt = ? WHERE delivery_id = ?", (at, delivery_id))
            db.update("webhook_delivery", workspace_id, delivery)
        if not outcome.ok:
            log.info("webhook delivery %s attempt %d: %s", delivery_id, delivery.attempts, outcome.error or "failed")
        return retry_in is not None

    def _retry_delay(self, attempts: int) -> float | None:
        """Seconds until the next try after `attempts` tries, or None when the schedule is spent."""
        return self.schedule[attempts - 1] if attempts <= len(self.schedule) else None


def dispatcher_hook_with(**options: Any) -> Callable[[Sandbox], Awaitable[Callable[[], Awaitable[None]]]]:
    """A `create_app(on_startup=[...])` hook running a Dispatcher built with `options`."""

    async def hook(sandbox: Sandbox) -> Callable[[], Awaitable[None]]:
        dispatcher = Dispatcher(sandbox, **options)
        await dispatcher.start()
        return dispatcher.stop

    return hook


async def dispatcher_hook(sandbox: Sandbox) -> Callable[[], Awaitable[None]]:
    """The hook with the sandbox defaults: `create_app(on_startup=[dispatcher_hook])`."""
    return await dispatcher_hook_with()(sandbox)

"""Fan-out (per subscriber a bounded queue, a full one drops that subscriber) and the group-commit writer."""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections.abc import Callable, Iterable, Iterator

from talkya_console.relay.log import Appended, EventLog, Incoming, event_frame

log = logging.getLogger("talkya.relay")
PING = '{"type":"ping"}'


class Subscription:
    """One connected console: its queue of (seq, frame), and how far it has been sent."""

    _ids = itertools.count(1)

    def __init__(self, workspace_id: str, queue_size: int, token_hash: str = "") -> None:
        self.id = next(self._ids)
        self.workspace_id = workspace_id
        self.token_hash = token_hash
        self.queue: asyncio.Queue[tuple[int, str]] = asyncio.Queue(queue_size)
        self.cut = asyncio.Event()
        self.cut_reason = ""
        self.last_sent = 0
        self.last_active = time.monotonic()

    def end(self, reason: str) -> None:
        """Ask the stream to close with `reason` (slow_consumer, token_revoked)."""
        if not self.cut.is_set():
            self.cut_reason = reason
            self.cut.set()


class Hub:
    """Who listens to which workspace, and the last seq published per workspace."""

    def __init__(self, on_overflow: Callable[[Subscription], None]) -> None:
        self._subs: dict[str, set[Subscription]] = {}
        self._on_overflow = on_overflow
        self.head: dict[str, int] = {}

    def add(self, sub: Subscription) -> None:
        self._subs.setdefault(sub.workspace_id, set()).add(sub)

    def remove(self, sub: Subscription) -> None:
        subs = self._subs.get(sub.workspace_id)
        if subs is not None:
            subs.discard(sub)
            if not subs:
                del self._subs[sub.workspace_id]

    def publish(self, workspace_id: str, seq: int, frame: str) -> None:
        """Offer a stored event to every subscriber of its workspace, without waiting on any."""
        self.head[workspace_id] = max(seq, self.head.get(workspace_id, 0))
        for sub in tuple(self._subs.get(workspace_id, ())):
            self._offer(sub, seq, frame)

    def _offer(self, sub: Subscription, seq: int, frame: str) -> None:
        try:
            sub.queue.put_nowait((seq, frame))
        except asyncio.QueueFull:
            # It resumes later with `since`; holding the event for it would grow without bound.
            self.remove(sub)
            sub.end("slow_consumer")
            self._on_overflow(sub)

    def ping_idle(self, interval: float) -> None:
        """Queue a ping (seq -1) for every subscriber silent for `interval`; one sweep, no timer per frame."""
        cutoff = time.monotonic() - interval
        for subs in tuple(self._subs.values()):
            for sub in tuple(subs):
                if sub.last_active <= cutoff:
                    self._offer(sub, -1, PING)

    def counts(self) -> Iterator[tuple[str, int]]:
        return ((ws, len(subs)) for ws, subs in sorted(self._subs.items()))

    def lags(self) -> Iterator[tuple[str, int, int]]:
        for ws, subs in sorted(self._subs.items()):
            head = self.head.get(ws, 0)
            for sub in sorted(subs, key=lambda s: s.id):
                yield ws, sub.id, max(0, head - sub.last_sent)


class Writer:
    """Group commit in two stages, each batching whatever arrived while the previous one ran.

    Stage one commits (the event now survives a relay crash) and publishes to subscribers; stage two
    flushes the log to disk (it now survives power loss) and only then lets the 2xx go out. Live
    consoles see an event without waiting on the disk, and Talkya is never told "stored" early."""

    def __init__(self, event_log: EventLog, hub: Hub, on_stored: Callable[[Incoming, Appended], None]) -> None:
        self._log = event_log
        self._hub = hub
        self._on_stored = on_stored
        self._pending: list[tuple[Incoming, asyncio.Future[Appended]]] = []
        self._wake = asyncio.Event()
        self._unsynced: list[tuple[asyncio.Future[Appended], Appended]] = []
        self._sync_wake = asyncio.Event()
        self.max_batch = 1000

    async def append(self, item: Incoming) -> Appended:
        """Resolves once the event is committed and on disk (or found to be a duplicate)."""
        future: asyncio.Future[Appended] = asyncio.get_running_loop().create_future()
        self._pending.append((item, future))
        self._wake.set()
        return await future

    async def run(self) -> None:
        syncer = asyncio.create_task(self._sync_forever())
        try:
            await self._commit_forever()
        finally:
            syncer.cancel()
            await asyncio.gather(syncer, return_exceptions=True)

    async def _commit_forever(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._pending:
                batch, self._pending = self._pending[: self.max_batch], self._pending[self.max_batch :]
                try:
                    results = await asyncio.to_thread(self._log.append_batch, [item for item, _ in batch])
                except Exception as exc:
                    log.exception("event log write failed; %d deliveries will be retried by Talkya", len(batch))
                    _fail((future for _, future in batch), exc)
                    continue
                for (item, future), result in zip(batch, results, strict=True):
                    if not result.duplicate:
                        # Published only after the commit, in seq order, so the stream never runs ahead of the log.
                        self._hub.publish(
                            item.workspace_id, result.seq, event_frame(result.seq, result.epoch, item.body)
                        )
                    self._on_stored(item, result)
                    # A duplicate waits for the flush too: its original may still be in flight to the disk.
                    self._unsynced.append((future, result))
                self._sync_wake.set()

    async def _sync_forever(self) -> None:
        while True:
            await self._sync_wake.wait()
            self._sync_wake.clear()
            if not self._unsynced:
                continue
            batch, self._unsynced = self._unsynced, []
            if self._log.durable:
                try:
                    await asyncio.to_thread(self._log.sync)
                except Exception as exc:
                    # The events are committed; Talkya's retry will find them as duplicates and get its 2xx.
                    log.exception("event log flush failed; %d deliveries will be retried by Talkya", len(batch))
                    _fail((future for future, _ in batch), exc)
                    continue
            for future, result in batch:
                if not future.done():
                    future.set_result(result)


def _fail(futures: Iterable[asyncio.Future[Appended]], exc: Exception) -> None:
    for future in futures:
        if not future.done():
            future.set_exception(exc)

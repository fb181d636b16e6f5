"""The writer's two stages: subscribers get an event once it is committed; Talkya's 2xx waits for the flush."""

from __future__ import annotations

import asyncio
import threading

import pytest

from talkya_console.relay.hub import Hub, Subscription, Writer
from talkya_console.relay.log import Appended, EventLog, Incoming


def incoming(n: int, workspace_id: str = "ws_alpha") -> Incoming:
    return Incoming(workspace_id, f"evt_{n}", f"wh_{n}", "patient.created", "2026-05-18T14:00:00Z", f'{{"n":{n}}}')


class GatedLog:
    """A log whose flush waits for the test to open a gate, and which records what happened when."""

    durable = True

    def __init__(self) -> None:
        self.inner = EventLog(":memory:")
        self.gate = threading.Event()
        self.syncs = 0
        self.fail_sync = False

    def append_batch(self, items: list[Incoming]) -> list[Appended]:
        return self.inner.append_batch(items)

    def sync(self) -> None:
        if not self.gate.wait(10):
            raise TimeoutError("the test never opened the gate")
        self.syncs += 1
        if self.fail_sync:
            raise OSError("disk went away")


@pytest.fixture
async def rig():
    log = GatedLog()
    hub = Hub(lambda sub: None)
    stored: list[Appended] = []
    writer = Writer(log, hub, lambda item, result: stored.append(result))  # type: ignore[arg-type]
    task = asyncio.create_task(writer.run())
    sub = Subscription("ws_alpha", 100)
    hub.add(sub)
    yield log, writer, sub, stored
    log.gate.set()
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    log.inner.close()


async def test_subscribers_get_the_event_before_the_flush_and_the_ack_waits_for_it(rig):
    log, writer, sub, _ = rig
    ack = asyncio.create_task(writer.append(incoming(1)))
    seq, frame = await asyncio.wait_for(sub.queue.get(), 5)
    assert seq == 1 and '"event":{"n":1}' in frame
    assert not ack.done() and log.syncs == 0
    log.gate.set()
    result = await asyncio.wait_for(ack, 5)
    assert result == Appended(1, result.epoch, False)
    assert log.syncs == 1


async def test_deliveries_arriving_during_a_flush_share_the_next_one(rig):
    log, writer, sub, _ = rig
    first = asyncio.create_task(writer.append(incoming(1)))
    await asyncio.wait_for(sub.queue.get(), 5)
    rest = [asyncio.create_task(writer.append(incoming(n))) for n in range(2, 12)]
    for _ in range(10):
        await asyncio.wait_for(sub.queue.get(), 5)  # all committed and streamed while the first flush waits
    log.gate.set()
    results = await asyncio.wait_for(asyncio.gather(first, *rest), 5)
    assert [r.seq for r in results] == list(range(1, 12))
    assert log.syncs <= 2


async def test_a_failed_flush_is_not_acknowledged_and_the_retry_is_a_duplicate(rig):
    log, writer, _, stored = rig
    log.fail_sync = True
    log.gate.set()
    with pytest.raises(OSError):
        await asyncio.wait_for(writer.append(incoming(1)), 5)
    log.fail_sync = False
    retried = await asyncio.wait_for(writer.append(incoming(1)), 5)
    assert retried.duplicate
    assert [r.duplicate for r in stored] == [False, True]


def test_sync_flushes_a_real_log_across_a_reopen(tmp_path):
    path = tmp_path / "relay.db"
    log = EventLog(path)
    assert log.durable
    log.append_batch([incoming(1)])
    log.sync()
    log.close()
    # A fresh process: the WAL was removed at close and is made anew.
    log = EventLog(path)
    log.append_batch([incoming(2)])
    log.sync()
    assert log.count("ws_alpha") == 2
    log.close()
    assert not EventLog(tmp_path / "other.db", synchronous="NORMAL").durable

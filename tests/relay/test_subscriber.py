"""RelaySubscriber: resumes across a relay restart, yields each event once, and reports its state."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

import pytest

from talkya_console.relay.settings import RelaySettings
from talkya_console.relay.subscriber import RelayAuthError, RelaySubscriber, Reset, SubscriberState
from talkya_console.wire.events import Event

from .conftest import RelayServer, listening_socket, make_event, stop_relay


class Watcher:
    """What a subscriber yielded and which states it passed through, with a way to await either."""

    def __init__(self) -> None:
        self.items: list[Event | Reset] = []
        self.states: list[SubscriberState] = []
        self._changed = asyncio.Condition()
        self.task: asyncio.Task[None] | None = None

    def on_state(self, state: SubscriberState) -> None:
        self.states.append(state)
        asyncio.get_running_loop().create_task(self._notify())

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def consume(self, subscriber: RelaySubscriber) -> None:
        async for item in subscriber:
            self.items.append(item)
            await self._notify()

    async def until(self, predicate: Callable[[], bool], timeout: float = 15) -> None:
        async with asyncio.timeout(timeout), self._changed:
            await self._changed.wait_for(predicate)

    def events(self) -> list[Event]:
        return [item for item in self.items if isinstance(item, Event)]


@contextlib.asynccontextmanager
async def subscribed(relay: RelayServer, watcher: Watcher, **kw: Any) -> Any:
    subscriber = RelaySubscriber(
        relay.stream_url,
        relay.token("ws_alpha"),
        on_state_change=watcher.on_state,
        backoff_base=0.05,
        backoff_cap=0.3,
        **kw,
    )
    watcher.task = asyncio.create_task(watcher.consume(subscriber))
    try:
        yield subscriber
    finally:
        await subscriber.aclose()
        watcher.task.cancel()
        with contextlib.suppress(asyncio.CancelledError, RelayAuthError):
            await watcher.task


async def test_reconnects_after_a_restart_and_yields_every_event_once(relay_factory: Any) -> None:
    relay: RelayServer = await relay_factory(RelaySettings(ping_interval=1.0))
    watcher = Watcher()
    async with subscribed(relay, watcher) as subscriber:
        await watcher.until(lambda: bool(watcher.states) and watcher.states[-1].status == "connected")
        posted = [make_event() for _ in range(5)]
        for event in posted:
            await relay.post(event)
        await watcher.until(lambda: len(watcher.items) == 5)
        await stop_relay(relay)
        await watcher.until(lambda: watcher.states[-1].status == "reconnecting")
        down = watcher.states[-1]
        assert down.retry_in is not None and down.offline_since is not None and down.retry_at is not None
        restarted: RelayServer = await relay_factory(RelaySettings(ping_interval=1.0), port=relay.port)
        restarted.tokens = relay.tokens
        more = [make_event() for _ in range(5)]
        for event in more:
            await restarted.post(event)
        await watcher.until(lambda: len(watcher.items) == 10)
        await watcher.until(lambda: watcher.states[-1].status == "connected")
        assert [e.id for e in watcher.events()] == [e["id"] for e in posted + more]
        assert subscriber.last_seq == 10 and subscriber.epoch == (await restarted.relay.head("ws_alpha")).epoch


async def test_a_stale_position_yields_a_reset_then_live_events(relay: RelayServer) -> None:
    await relay.post(make_event())
    watcher = Watcher()
    async with subscribed(relay, watcher, since=7, epoch="feedfacefeedface") as subscriber:
        await watcher.until(lambda: len(watcher.items) == 1)
        head = await relay.relay.head("ws_alpha")
        assert watcher.items == [Reset(head.epoch)]
        assert (subscriber.last_seq, subscriber.epoch) == (1, head.epoch)
        event = make_event()
        await relay.post(event)
        await watcher.until(lambda: len(watcher.items) == 2)
        assert watcher.events()[0].id == event["id"]


async def test_token_in_first_message_mode(relay: RelayServer) -> None:
    watcher = Watcher()
    async with subscribed(relay, watcher, auth_in_message=True):
        await watcher.until(lambda: bool(watcher.states) and watcher.states[-1].status == "connected")
        await relay.post(make_event())
        await watcher.until(lambda: len(watcher.items) == 1)


@pytest.mark.parametrize("auth_in_message", [False, True], ids=["header", "message"])
async def test_a_refused_token_raises(relay: RelayServer, auth_in_message: bool) -> None:
    subscriber = RelaySubscriber(relay.stream_url, "rt_wrong", auth_in_message=auth_in_message)
    with pytest.raises(RelayAuthError):
        async with asyncio.timeout(10):
            async for _ in subscriber:
                pass
    assert subscriber.state.status == "offline" and subscriber.state.error == "invalid_token"


@pytest.mark.parametrize(("offline_after", "status"), [(60.0, "reconnecting"), (0.0, "offline")])
async def test_state_while_the_relay_is_unreachable(offline_after: float, status: str) -> None:
    sock = listening_socket()
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now: connections are refused
    states: list[SubscriberState] = []
    changed = asyncio.Event()

    def on_state(state: SubscriberState) -> None:
        states.append(state)
        changed.set()

    subscriber = RelaySubscriber(
        f"ws://127.0.0.1:{port}/v1/stream",
        "rt_x",
        on_state_change=on_state,
        offline_after=offline_after,
        backoff_base=5.0,
    )
    task = asyncio.create_task(subscriber.__aiter__().__anext__())
    async with asyncio.timeout(10):
        await changed.wait()
    assert states[-1].status == status and 0 <= (states[-1].retry_in or 0) <= 5.0 and states[-1].error
    await subscriber.aclose()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError, StopAsyncIteration):
        await task
    assert subscriber.state.status == "closed"


def test_duplicates_are_dropped_by_seq_and_by_event_id() -> None:
    subscriber = RelaySubscriber("ws://127.0.0.1:1/v1/stream", "rt_x", dedupe_size=2)
    one, two = make_event(event_id="evt_one"), make_event(event_id="evt_two")
    assert subscriber._accept({"seq": 1, "epoch": "e1", "event": one}) is not None
    assert subscriber._accept({"seq": 1, "epoch": "e1", "event": one}) is None  # same seq
    assert subscriber._accept({"seq": 2, "epoch": "e1", "event": one}) is None  # same id, new seq
    assert subscriber._accept({"seq": 3, "epoch": "e1", "event": two}) is not None
    assert subscriber.last_seq == 3

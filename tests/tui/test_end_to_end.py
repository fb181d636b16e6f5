"""The whole path, as the front desk sees it: a call the simulator places in the embedded
sandbox is signed, delivered to the relay, streamed to the console and shown in the calls
pane; and the live indicator follows the relay link."""

from __future__ import annotations

import asyncio

from textual.message import Message
from textual.widgets import DataTable

from talkya_console.config import Config
from talkya_console.console import build_app
from talkya_console.embedded import EmbeddedRuntime
from talkya_console.tui.messages import LiveEvent, LiveStatus
from talkya_console.tui.widgets.calls import CallsPane
from tests.tui.conftest import until


async def test_a_simulator_call_reaches_the_calls_pane_through_the_relay(tmp_path):
    runtime = EmbeddedRuntime(tmp_path / "embedded", rate=100, simulate=True, patients=60)
    started: list[str] = []
    arrived = asyncio.Event()
    statuses: list[str] = []

    def hook(message: Message) -> None:
        if isinstance(message, LiveEvent) and message.event.type == "receptionist.call.started":
            started.append(message.event.data["call_id"])
            arrived.set()
        elif isinstance(message, LiveStatus):
            statuses.append(message.status)

    app = build_app(runtime, Config(path=tmp_path / "config.toml"))
    try:
        async with app.run_test(size=(160, 48), message_hook=hook) as pilot:
            await asyncio.wait_for(arrived.wait(), 60)
            table = app.query_one(CallsPane).query_one(DataTable)
            await until(pilot, lambda: started[0] in {row.value for row in table.rows})
            assert "connected" in statuses
    finally:
        await runtime.stop()


async def test_the_live_indicator_follows_a_relay_restart(tmp_path, sandbox):
    """A real relay, stopped and started again on the same port: live → reconnecting → live."""
    from talkya_console.relay.subscriber import RelaySubscriber
    from talkya_console.tui.app import TalkyaConsole
    from talkya_console.tui.widgets.header import LiveIndicator
    from tests.relay.conftest import start_relay, stop_relay
    from tests.tui.conftest import client_factory_for, fixed_clock

    relay = await start_relay(tmp_path / "relay.db")
    token = relay.token("ws_alpha")
    statuses: list[str] = []
    changed = asyncio.Event()
    app: TalkyaConsole

    def report(state) -> None:  # type: ignore[no-untyped-def]
        app.post_message(LiveStatus(state.status, state.retry_in, state.offline_since))

    def subscribe(since, epoch):  # type: ignore[no-untyped-def]
        return RelaySubscriber(relay.stream_url, token, on_state_change=report, backoff_base=0.05).__aiter__()

    def hook(message: Message) -> None:
        if isinstance(message, LiveStatus) and (not statuses or statuses[-1] != message.status):
            statuses.append(message.status)
            changed.set()

    async def status_becomes(wanted: str) -> None:
        while not statuses or statuses[-1] != wanted:
            changed.clear()
            await asyncio.wait_for(changed.wait(), 30)

    app = TalkyaConsole(
        client_factory=client_factory_for(sandbox), subscribe=subscribe, workspace="ws_alpha", clock=fixed_clock
    )
    http = relay.http
    try:
        async with app.run_test(size=(120, 40), message_hook=hook) as pilot:
            indicator = app.query_one(LiveIndicator)
            await status_becomes("connected")
            await pilot.pause()
            assert "live" in str(indicator.render())
            await stop_relay(relay)
            await status_becomes("reconnecting")
            await pilot.pause()
            assert "reconnecting in" in str(indicator.render())
            relay = await start_relay(tmp_path / "relay.db", port=relay.port, http=http)
            await status_becomes("connected")
            await pilot.pause()
            assert "live" in str(indicator.render())
            assert statuses[-3:] == ["connected", "reconnecting", "connected"]
    finally:
        if not relay.task.done():
            await stop_relay(relay)
        await http.aclose()

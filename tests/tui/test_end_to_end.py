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

"""Faults end to end, bounded: the embedded sandbox (simulator at a high rate) and relay in this
loop, the console headless in front. The relay is killed and restarted on its port and its
database, and the console's API link is cut and restored while a new patient is typed. After
that, the calls pane shows every call the API lists (none twice, each in the API's state), the
tasks pane only tasks the API holds (none twice), and the patient typed offline landed once.

The full-size version, with the sandbox and relay as separate processes SIGKILLed and restarted
several times, is `scripts/faults.py`."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
from textual.message import Message
from textual.pilot import Pilot
from textual.widgets import DataTable

from talkya_console.api import TalkyaClient
from talkya_console.embedded import EmbeddedRuntime, _serve
from talkya_console.outbox import Outbox
from talkya_console.relay.app import UVICORN_OPTIONS, create_relay_app
from talkya_console.runtime import STATE_FILE
from talkya_console.tui.app import TalkyaConsole
from talkya_console.tui.messages import LiveEvent, LiveStatus
from talkya_console.tui.outgoing import Queued
from talkya_console.tui.widgets.calls import PAGE, CallsPane
from talkya_console.tui.widgets.tasks import TasksPane
from tests.relay.conftest import listening_socket
from tests.tui.conftest import settle
from tests.tui.test_forms import capture_consent, open_form, type_into

WS = "ws_truebliss"
RATE = 60  # the simulator at sixty times its normal pace: a call every second or so


class SwitchLink(httpx.AsyncBaseTransport):
    """The console's real HTTP link to the sandbox, behind a switch; counts the writes that got through."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.down = False
        self.writes: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.down:
            raise httpx.ConnectError("link down", request=request)
        response = await self.inner.handle_async_request(request)
        if request.method != "GET":
            self.writes.append(f"{request.method} {request.url.path}")
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


async def kill_relay(runtime: EmbeddedRuntime) -> int:
    """Stop the embedded relay (uvicorn's shutdown, streams cut within two seconds); returns its port."""
    server, task = runtime._servers.pop()
    server.should_exit = True
    await asyncio.gather(task, return_exceptions=True)
    return int(runtime.relay_url.rsplit(":", 1)[1].split("/")[0])


async def restart_relay(runtime: EmbeddedRuntime, port: int) -> None:
    """The relay again, on the same port and database, with the endpoint's secret."""
    state = json.loads((runtime.data_dir / STATE_FILE).read_text())
    app = create_relay_app(runtime.data_dir / "relay.db", {WS: [state["webhook_secret"]]})
    sock = listening_socket(port)
    sock.setblocking(False)
    runtime._servers.append(await _serve(app, sock, **UVICORN_OPTIONS))


async def waiting(pilot: Pilot[None], condition: Any, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await pilot.pause(0.1)


async def calls_match(pilot: Pilot[None], pane: CallsPane, api: TalkyaClient, seconds: float) -> list[str]:
    """Wait until the pane shows the API's newest calls, each in the API's state; the mismatches if never."""
    deadline = time.monotonic() + seconds
    while True:
        page = await api.calls.list().page(limit=PAGE)
        wanted = {call.id: call.status for call in page.data}
        shown = {call_id: call.status for call_id, call in pane.calls.items()}
        missing = sorted(set(wanted) - set(shown))
        stale = sorted(cid for cid in wanted if cid in shown and shown[cid] != wanted[cid])
        if not missing and not stale:
            return []
        if time.monotonic() > deadline:
            return [f"missing {cid}" for cid in missing] + [
                f"stale {cid}: {shown[cid]} vs {wanted[cid]}" for cid in stale
            ]
        await pilot.pause(0.5)


def assert_no_doubles(table: DataTable[Any], known: dict[str, Any]) -> None:
    keys = [row.value for row in table.rows]
    assert len(keys) == len(set(keys)) == len(known), "a row shown twice"
    assert set(keys) == set(known)


async def test_relay_kills_and_a_cut_link_lose_nothing_and_double_nothing(tmp_path: Path) -> None:
    runtime = EmbeddedRuntime(tmp_path / "embedded", rate=RATE, simulate=True, patients=60, sign_in_as=None)
    await runtime.start()
    await runtime.start_live()
    link = SwitchLink()
    statuses: list[str] = []
    events: list[str] = []
    app: TalkyaConsole

    def report(state: Any) -> None:
        app.post_message(LiveStatus(state.status, state.retry_in, state.offline_since))

    def subscribe(since: int | None, epoch: str | None) -> AsyncIterator[Any]:
        from talkya_console.relay.subscriber import RelaySubscriber

        subscriber = RelaySubscriber(
            runtime.relay_url, runtime.relay_token, on_state_change=report, backoff_base=0.05, backoff_cap=0.5
        )
        return subscriber.__aiter__()

    def hook(message: Message) -> None:
        if isinstance(message, LiveStatus) and (not statuses or statuses[-1] != message.status):
            statuses.append(message.status)
        elif isinstance(message, LiveEvent):
            events.append(message.event.id)

    app = TalkyaConsole(
        client_factory=lambda: TalkyaClient(
            runtime.api_base, WS, api_key=runtime.api_key, transport=link, max_retries=0
        ),
        subscribe=subscribe,
        workspace=WS,
        idle_lock_minutes=0,
        outbox=Outbox(tmp_path / "outbox.sqlite3", WS),
    )
    api = TalkyaClient(runtime.api_base, WS, api_key=runtime.api_key)
    try:
        async with app.run_test(size=(160, 48), message_hook=hook) as pilot:
            await settle(pilot)
            await waiting(pilot, lambda: "connected" in statuses and len(events) >= 3, 20, "live events")
            # Two relay kills, the second while events are due to it.
            for _ in range(2):
                port = await kill_relay(runtime)
                await waiting(pilot, lambda: statuses[-1] != "connected", 10, "the console to see the relay gone")
                await asyncio.sleep(1.5)  # deliveries fail meanwhile; the sandbox retries them
                await restart_relay(runtime, port)
                await waiting(pilot, lambda: statuses[-1] == "connected", 10, "the console to reconnect")
            seen_before_cut = len(events)
            # The API link cut while a new patient is typed and saved.
            results = await open_form(pilot, _new_patient_screen())
            await capture_consent(pilot)
            await type_into(pilot, "first_name", "Faye")
            await type_into(pilot, "last_name", "Linkcut")
            link.down = True
            await pilot.press("ctrl+s")
            await pilot.pause(0.3)
            [queued] = results
            assert isinstance(queued, Queued)
            await asyncio.sleep(2.5)  # events arrive; their fetches fail on the cut link
            link.down = False
            await waiting(pilot, lambda: app.outbox is not None and app.outbox.count() == 0, 20, "the outbox to drain")
            assert len(events) > seen_before_cut
            # Every call the API lists is shown, in its state, once.
            calls = app.query_one(CallsPane)
            mismatches = await calls_match(pilot, calls, api, 12)
            assert not mismatches, mismatches
            assert_no_doubles(calls.query_one(DataTable), calls.calls)
            held = {call.id async for call in api.calls.list(limit=100)}
            assert set(calls.calls) <= held
            # Tasks: only what the API holds, none twice.
            tasks = app.query_one(TasksPane)
            assert set(tasks.tasks) <= {task.id async for task in api.tasks.list(limit=100)}
            queue = [item.id for item in tasks.shown]
            assert len(queue) == len(set(queue)), "a task or handoff queued twice"
            rows = [row.value for row in tasks.query_one(DataTable).rows]  # the table shows a window of the queue
            assert len(rows) == len(set(rows)) and set(rows) <= set(queue)
            # The patient typed offline landed exactly once.
            found = (await api.patients.search(query="Linkcut").page(limit=10)).data
            assert [p.first_name for p in found if p.last_name == "Linkcut"] == ["Faye"]
            assert link.writes.count("POST /v1/patients") == 1, link.writes
            assert app.return_code is None and app._exception is None
    finally:
        await api.aclose()
        await link.aclose()
        await runtime.stop()


def _new_patient_screen() -> Any:
    from talkya_console.tui.forms import NewPatientScreen

    return NewPatientScreen

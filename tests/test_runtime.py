"""The embedded default: sandbox and relay on loopback in this loop, wired together, restartable."""

from __future__ import annotations

import asyncio
import json
import stat
from pathlib import Path

import pytest
from sandbox_helpers import patient_body

from talkya_console.api import TalkyaClient
from talkya_console.console import make_session
from talkya_console.embedded import EmbeddedRuntime
from talkya_console.relay.subscriber import RelaySubscriber
from talkya_console.runtime import RuntimeBusy
from talkya_console.wire.events import Event


async def _created_patient_arrives(rt: EmbeddedRuntime) -> None:
    """A patient created through the client reaches a relay subscriber (replaying from seq 0, so no race)."""
    async with (
        TalkyaClient(rt.api_base, rt.workspace, api_key=rt.api_key) as client,
        RelaySubscriber(rt.relay_url, rt.relay_token, since=0) as subscriber,
    ):
        patient = await client.patients.create(patient_body())

        async def arrival() -> None:
            async for item in subscriber:
                if (
                    isinstance(item, Event)
                    and item.type == "patient.created"
                    and item.data.get("patient_id") == patient.id
                ):
                    return

        await asyncio.wait_for(arrival(), timeout=15)


async def _endpoints(rt: EmbeddedRuntime) -> list[str]:
    async with TalkyaClient(rt.api_base, rt.workspace, api_key=rt.api_key) as client:
        return [endpoint.url async for endpoint in client.webhook_endpoints.list()]


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def test_events_flow_and_a_restart_reuses_endpoint_secret_and_token(tmp_path: Path) -> None:
    async with EmbeddedRuntime(tmp_path, simulate=False, patients=10) as rt:
        assert rt.api_base.startswith("http://127.0.0.1:")
        assert rt.relay_url.startswith("ws://127.0.0.1:") and rt.relay_url.endswith("/v1/stream")
        assert (rt.workspace, rt.api_key) == ("ws_truebliss", "tk_test_truebliss")
        assert rt.relay_token.startswith("rt_")
        await _created_patient_arrives(rt)
        first = json.loads((tmp_path / "embedded.json").read_text())
        token = rt.relay_token
    assert not rt.running
    for name in ("embedded.json", "sandbox.db", "relay.db"):
        assert _mode(tmp_path / name) == 0o600, name

    async with EmbeddedRuntime(tmp_path, simulate=False) as again:
        assert again.relay_token == token
        relay_port = again.relay_url.split(":")[2].split("/")[0]
        assert await _endpoints(again) == [f"http://127.0.0.1:{relay_port}/webhooks/ws_truebliss"]
        assert json.loads((tmp_path / "embedded.json").read_text()) == first, "same endpoint, secret and token"
        await _created_patient_arrives(again)


async def test_a_lost_state_file_rotates_the_secret_and_issues_a_token(tmp_path: Path) -> None:
    async with EmbeddedRuntime(tmp_path, simulate=False, patients=10) as rt:
        first = json.loads((tmp_path / "embedded.json").read_text())
    (tmp_path / "embedded.json").unlink()
    async with EmbeddedRuntime(tmp_path, simulate=False) as rt:
        state = json.loads((tmp_path / "embedded.json").read_text())
        assert state["endpoint_id"] == first["endpoint_id"]
        assert state["webhook_secret"] != first["webhook_secret"]
        assert state["relay_token"] != first["relay_token"]
        assert len(await _endpoints(rt)) == 1
        await _created_patient_arrives(rt)


async def test_one_runtime_per_data_dir_and_stop_with_a_subscriber_connected(tmp_path: Path) -> None:
    rt = EmbeddedRuntime(tmp_path, simulate=False, patients=10)
    await rt.start()
    await rt.start_live()
    connected = asyncio.Event()
    subscriber = RelaySubscriber(
        rt.relay_url, rt.relay_token, on_state_change=lambda state: state.status == "connected" and connected.set()
    )
    consumer = asyncio.create_task(anext(aiter(subscriber)))
    try:
        with pytest.raises(RuntimeBusy):
            await EmbeddedRuntime(tmp_path, simulate=False).start()
        await asyncio.wait_for(connected.wait(), timeout=15)
    finally:
        await asyncio.wait_for(rt.stop(), timeout=10)
        consumer.cancel()
        await asyncio.gather(consumer, return_exceptions=True)
        await subscriber.aclose()
    assert not rt.running
    await rt.stop()  # a second stop is harmless
    async with EmbeddedRuntime(tmp_path, simulate=False) as again:
        assert again.running


async def test_the_embedded_process_serves_streams_and_stops_cleanly_on_eof(tmp_path: Path) -> None:
    """The console's default: the demo in a child process, API first, then the relay."""
    import httpx

    from talkya_console.runtime import EmbeddedProcess

    rt = EmbeddedProcess(tmp_path, simulate=False, patients=10, sign_in_as="usr_114")
    rt.launch()
    try:
        await asyncio.wait_for(rt.start(), 60)
        async with httpx.AsyncClient() as http:
            assert (await http.get(f"{rt.api_base}/healthz")).status_code == 200
        # It comes up signed in as the staff member asked for, with a refreshable sign-in.
        session = make_session(rt)  # type: ignore[arg-type]
        assert session.api_key is None and session.tokens is not None and session.tokens.refresh_token
        async with session.client() as client:
            assert (await client.users.me()).name == "Dr. Hannah Cho"
        assert not rt.relay_url
        await asyncio.wait_for(rt.start_live(), 60)
        await _created_patient_arrives(rt)  # type: ignore[arg-type]
        with pytest.raises(RuntimeBusy, match="another console"):
            await asyncio.wait_for(EmbeddedProcess(tmp_path, simulate=False).start(), 60)
        assert _mode(rt.log_path) == 0o600
        proc = rt._proc
        assert proc is not None
    finally:
        await rt.stop()
    assert proc.returncode == 0  # it left on the EOF, not on a signal
    assert (rt.api_base, rt.relay_url) == ("", "")
    await rt.stop()  # a second stop is harmless


async def test_the_embedded_demo_refuses_to_sign_in_someone_not_on_its_staff(tmp_path: Path) -> None:
    from talkya_console.runtime import EmbeddedProcess, StartError

    rt = EmbeddedProcess(tmp_path, simulate=False, patients=10, sign_in_as="usr_999")
    with pytest.raises(StartError, match="usr_999 is not on the demo clinic's staff"):
        await asyncio.wait_for(rt.start(), 60)


async def test_the_embedded_process_reports_a_failed_start(tmp_path: Path) -> None:
    from talkya_console.runtime import EmbeddedProcess, StartError

    (tmp_path / "sandbox.db").mkdir()  # the sandbox cannot open its database
    rt = EmbeddedProcess(tmp_path, simulate=False)
    with pytest.raises(StartError, match="the embedded demo failed to start"):
        await asyncio.wait_for(rt.start(), 60)
    assert rt.returncode is None and not rt.api_base  # stopped and forgotten
    assert "Traceback" in rt.log_path.read_text()  # the details are in the owner-only log

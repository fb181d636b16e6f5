"""The client object itself: construction, secrets kept out of sight, the connection's lifetime."""

from __future__ import annotations

import logging
from collections.abc import Callable

import httpx
import pytest

from talkya_console.api import InternalServerError, NotFound, TalkyaClient
from tests.api.conftest import DEMO_KEY, Recorder


def test_needs_exactly_one_kind_of_credential() -> None:
    with pytest.raises(ValueError):
        TalkyaClient("http://sandbox", "ws_truebliss")
    with pytest.raises(ValueError):
        TalkyaClient("http://sandbox", "ws_truebliss", api_key=DEMO_KEY, client_id="client_truebliss")
    with pytest.raises(ValueError):
        TalkyaClient("http://sandbox", "ws_truebliss", client_id="client_truebliss")


@pytest.mark.parametrize("base_url", ["http://sandbox", "http://sandbox/", "http://sandbox/v1", "http://sandbox/v1/"])
def test_base_url_with_or_without_v1_reaches_v1(base_url: str) -> None:
    assert TalkyaClient(base_url, "ws_truebliss", api_key=DEMO_KEY).base_url == "http://sandbox/v1"


def test_repr_never_shows_the_key_or_secret() -> None:
    by_key = TalkyaClient("http://sandbox", "ws_truebliss", api_key=DEMO_KEY)
    by_client = TalkyaClient(
        "http://sandbox", "ws_truebliss", client_id="client_truebliss", client_secret="secret_truebliss"
    )
    assert DEMO_KEY not in repr(by_key) and "truebliss'" not in repr(by_key._auth)
    assert "secret_truebliss" not in repr(by_client)
    assert "client_truebliss" in repr(by_client)


async def test_sends_credentials_workspace_and_user_agent(client: TalkyaClient, recorder: Recorder) -> None:
    await client.users.list(limit=1).page()
    headers = recorder.requests[0].headers
    assert headers["Authorization"] == f"Bearer {DEMO_KEY}"
    assert headers["Talkya-Workspace"] == "ws_truebliss"
    assert headers["User-Agent"].startswith("talkya-console-python")


class Captured(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


async def test_errors_and_logs_never_show_the_key(
    client: TalkyaClient, make_client: Callable[..., TalkyaClient]
) -> None:
    captured = Captured()
    root = logging.getLogger()
    root.addHandler(captured)
    previous = root.level
    root.setLevel(logging.DEBUG)
    try:
        with pytest.raises(NotFound) as caught:
            await client.patients.get("pat_missing")
        flaky = make_client(httpx.MockTransport(lambda request: httpx.Response(503)))
        with pytest.raises(InternalServerError) as dropped:
            await flaky.users.me()
    finally:
        root.removeHandler(captured)
        root.setLevel(previous)
    assert any("retrying GET /v1/users/me" in line for line in captured.lines)
    shown = [str(caught.value), repr(caught.value), str(dropped.value), repr(dropped.value), *captured.lines]
    assert not [line for line in shown if DEMO_KEY in line]


async def test_context_manager_closes_the_pool(make_client: Callable[..., TalkyaClient]) -> None:
    async with make_client() as client:
        await client.users.list(limit=1).page()
    assert client._http.is_closed

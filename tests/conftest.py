from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest

from talkya_console.sandbox.app import create_app
from talkya_console.sandbox.context import Limits

DEMO_TODAY = datetime(2026, 11, 20, tzinfo=UTC)
DEMO_HEADERS = {"Authorization": "Bearer tk_test_truebliss", "Talkya-Workspace": "ws_truebliss"}
READONLY_HEADERS = {"Authorization": "Bearer tk_test_truebliss_readonly", "Talkya-Workspace": "ws_truebliss"}
NORTHSIDE_HEADERS = {"Authorization": "Bearer tk_test_northside", "Talkya-Workspace": "ws_northside"}


@pytest.fixture(autouse=True)
def private_dirs(tmp_path_factory, monkeypatch):
    """Each test's own data and config dirs: nothing a test writes (an outbox, tokens, a PIN) lands in
    the home of whoever runs the suite."""
    home = tmp_path_factory.mktemp("xdg")
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))


@pytest.fixture
def sandbox_app():
    """A sandbox in memory with the demo credentials, staff and 60 patients, and nothing else,
    so each test states the records it relies on; tests/test_demo_seed.py covers the full demo."""
    return create_app(":memory:", seed="empty", patients=60, limits=Limits(rate_limit=None), today=DEMO_TODAY)


@pytest.fixture
async def api(sandbox_app) -> AsyncIterator[httpx.AsyncClient]:
    """An httpx client on the sandbox app in-process, with the demo key of ws_truebliss."""
    transport = httpx.ASGITransport(app=sandbox_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox", headers=DEMO_HEADERS) as client:
        yield client


@pytest.fixture
def sandbox(sandbox_app):
    return sandbox_app.state.sandbox

"""Signing in for real: the console's staff session against the sandbox's OAuth, driven as a person
would (the code read off the screen, approved on the sandbox's device page), then the PIN."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from textual.widgets import Static

from talkya_console.api import AuthenticationError, TalkyaClient
from talkya_console.pin import PinStore
from talkya_console.sandbox.app import create_app
from talkya_console.sandbox.context import Limits
from talkya_console.session import StaffSession
from talkya_console.tui.app import TalkyaConsole
from talkya_console.tui.screens.lock import LockScreen, SetPinScreen
from talkya_console.tui.screens.signin import SignInScreen
from tests.tui.conftest import DEMO_TODAY, fixed_clock, settle, until

VA = "usr_104"  # Marcus Bell


@pytest.fixture
def sandbox() -> object:
    # Device-grant polls at once (no interval), so the test waits on the approval, not on a clock.
    return create_app(":memory:", seed="demo", patients=30, today=DEMO_TODAY, limits=Limits(device_interval=0))


def text(app: TalkyaConsole, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


async def approve(sandbox: object, user_code: str, user_id: str) -> None:
    """What the staff member does in a browser: the device page, pick themselves, allow."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=sandbox), base_url="http://sandbox") as http:  # type: ignore[arg-type]
        page = await http.get("/v1/oauth/device", params={"user_code": user_code})
        assert page.status_code == 200 and "Marcus Bell" in page.text
        done = await http.post(
            "/v1/oauth/device", data={"user_code": user_code, "user_id": user_id, "decision": "allow"}
        )
        assert done.status_code == 200


async def test_sign_in_set_a_pin_lock_unlock_and_five_wrong_pins_revoke_the_sign_in(
    sandbox: object, tmp_path: Path
) -> None:
    transport = httpx.ASGITransport(app=sandbox)  # type: ignore[arg-type]
    session = StaffSession("http://sandbox", "ws_truebliss", pins=PinStore(tmp_path / "pins.json"), transport=transport)
    app = TalkyaConsole(
        client_factory=session.client, subscribe=None, workspace="ws_truebliss", clock=fixed_clock, identity=session
    )
    async with app.run_test(size=(120, 40)) as pilot:
        # Nobody signed in and no key: the desk waits behind the sign-in screen.
        await until(pilot, lambda: isinstance(app.screen, SignInScreen) and "-" in text(app, "#signin-code"))
        assert app.client is None
        user_code = text(app, "#signin-code")
        assert re.fullmatch(r"[A-Z]{4}-[A-Z]{4}", user_code)
        assert "http://sandbox/v1/oauth/device" in text(app, "#signin-status")
        await approve(sandbox, user_code, VA)

        await until(pilot, lambda: app.me is not None)
        await settle(pilot)
        assert str(app.query_one("#who", Static).render()) == "Marcus Bell · va"
        assert session.tokens is not None and session.tokens.refresh_token is not None
        # First sign-in: choose the PIN.
        await until(pilot, lambda: isinstance(app.screen, SetPinScreen))
        await pilot.press(*"4321", "enter", *"4321", "enter")
        await pilot.pause()
        assert session.has_pin(VA)
        stored = (tmp_path / "pins.json").read_text()
        assert "4321" not in stored  # a salted hash, never the PIN
        assert (tmp_path / "pins.json").stat().st_mode & 0o077 == 0

        await pilot.press("ctrl+l")
        await pilot.press(*"4321", "enter")
        await pilot.pause()
        assert not app.locked

        access = session.tokens.access_token.get_secret_value()
        await pilot.press("ctrl+l")
        for _ in range(5):
            await pilot.press(*"9999", "enter")
        await until(pilot, lambda: isinstance(app.screen, SignInScreen) and "-" in text(app, "#signin-code"))
        assert not isinstance(app.screen, LockScreen)
        assert session.tokens is None and not session.has_pin(VA)
        # The sign-in was revoked at Talkya, not only forgotten here.
        async with TalkyaClient("http://sandbox", "ws_truebliss", api_key=access, transport=transport) as old:
            with pytest.raises(AuthenticationError):
                await old.users.me()

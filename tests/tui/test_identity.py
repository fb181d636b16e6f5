"""Who is at the keyboard: the header, the idle lock and its PIN, signing out and in, "mine", mentions.

The identity here is a fake (PINs in a dict, sign-in approved by the test); the real one, against
the sandbox's OAuth, is exercised in tests/tui/test_signin_real.py."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx
import pytest
from textual.widgets import DataTable, Input, Static

from talkya_console.api import DeviceAuthorization, SignInDenied, TalkyaClient
from talkya_console.tui.app import TalkyaConsole
from talkya_console.tui.screens.lock import LockScreen, SetPinScreen
from talkya_console.tui.screens.signin import SignInScreen
from talkya_console.wire import Event
from talkya_console.wire.users import ALL_SCOPES
from tests.tui.conftest import fixed_clock, settle, until
from tests.tui.test_lookup_live import hits

FRONT_DESK = "usr_102"  # Jordan Reyes
PROVIDER = "usr_114"  # Dr. Hannah Cho


@dataclass
class Check:
    ok: bool
    attempts_left: int = 0
    signed_out: bool = False


@dataclass
class FakeIdentity:
    """PINs in memory; sign-in waits for the test to approve (as a browser elsewhere would)."""

    sandbox: object
    workspace: str = "ws_truebliss"
    user_id: str = FRONT_DESK
    pins: dict[str, str] = field(default_factory=dict)
    failures: int = 0
    sign_outs: int = 0
    approval: asyncio.Future[str] | None = None

    def token_for(self, user_id: str) -> str:
        token = "tk_at_test_" + secrets.token_urlsafe(16)
        state = self.sandbox.state.sandbox  # type: ignore[attr-defined]
        state.auth.issue_token(token, "access", self.workspace, " ".join(ALL_SCOPES), 900, "talkya-console", user_id)
        return token

    def client(self) -> TalkyaClient:
        transport = httpx.ASGITransport(app=self.sandbox)  # type: ignore[arg-type]
        return TalkyaClient("http://sandbox", self.workspace, api_key=self.token_for(self.user_id), transport=transport)

    async def ready(self) -> bool:
        return True

    def has_pin(self, user_id: str) -> bool:
        return user_id in self.pins

    def set_pin(self, user_id: str, pin: str) -> None:
        if not (pin.isdigit() and 4 <= len(pin) <= 8):
            raise ValueError("A PIN is 4 to 8 digits.")
        self.pins[user_id] = pin

    def check_pin(self, user_id: str, pin: str) -> Check:
        if self.pins.get(user_id) == pin:
            self.failures = 0
            return Check(ok=True)
        self.failures += 1
        return Check(ok=False, attempts_left=max(0, 5 - self.failures), signed_out=self.failures >= 5)

    async def sign_out(self, client: TalkyaClient | None) -> None:
        self.sign_outs += 1

    async def start_sign_in(self) -> DeviceAuthorization:
        self.approval = asyncio.get_running_loop().create_future()
        return DeviceAuthorization(
            device_code="dc_secret",
            user_code="BCDF-GHJK",
            verification_uri="http://sandbox/v1/oauth/device",
            verification_uri_complete="http://sandbox/v1/oauth/device?user_code=BCDF-GHJK",
            expires_in=600,
        )

    async def finish_sign_in(self, device: DeviceAuthorization) -> None:
        assert self.approval is not None
        outcome = await self.approval
        if outcome == "deny":
            raise SignInDenied("The sign-in request was denied.", "access_denied")
        self.user_id = outcome


class Ticker:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def ticker() -> Ticker:
    return Ticker()


@pytest.fixture
def identity(sandbox: object) -> FakeIdentity:
    return FakeIdentity(sandbox, pins={FRONT_DESK: "2468"})


def staff_console(identity: FakeIdentity, ticker: Ticker, feed: asyncio.Queue[Event] | None = None) -> TalkyaConsole:
    async def subscribe(after: int | None, epoch: str | None) -> AsyncIterator[Event]:
        assert feed is not None
        while True:
            yield await feed.get()

    return TalkyaConsole(
        client_factory=identity.client,
        subscribe=subscribe if feed is not None else None,
        workspace="ws_truebliss",
        clock=fixed_clock,
        identity=identity,
        idle_lock_minutes=10,
        monotonic=ticker,
    )


def who(app: TalkyaConsole) -> str:
    return str(app.query_one("#who", Static).render())


async def test_the_header_names_the_signed_in_staff_member_and_role(identity: FakeIdentity, ticker: Ticker) -> None:
    app = staff_console(identity, ticker)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert who(app) == "Jordan Reyes · front desk"
        assert app.me is not None and app.me.id == FRONT_DESK


async def test_idle_for_the_configured_minutes_locks_and_the_pin_unlocks(
    identity: FakeIdentity, ticker: Ticker
) -> None:
    app = staff_console(identity, ticker)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        patients = app.query_one("#patients-table", DataTable)
        surname = str(patients.get_row_at(0)[0]).split()[-1]
        assert surname in app.export_screenshot()
        ticker.now += 9 * 60
        app.check_idle_lock()
        assert not app.locked
        await pilot.press("down")  # input restarts the clock
        ticker.now += 9 * 60
        app.check_idle_lock()
        assert not app.locked
        ticker.now += 60
        app.check_idle_lock()
        await pilot.pause()
        assert isinstance(app.screen, LockScreen)
        assert "Jordan Reyes" in str(app.screen.query_one("#lock-who", Static).render())
        # Nothing of the desk shows through, and desk keys do nothing.
        assert surname not in app.export_screenshot()
        await pilot.press("3", "ctrl+p")
        assert isinstance(app.screen, LockScreen)

        await pilot.press(*"1111", "enter")
        assert "Wrong PIN. 4 tries left." in str(app.screen.query_one("#lock-message", Static).render())
        assert app.screen.query_one("#lock-pin", Input).value == ""
        await pilot.press(*"2468", "enter")
        await pilot.pause()
        assert not app.locked
        assert not isinstance(app.screen, LockScreen)
        assert app.focused_pane() is not None


async def test_ctrl_l_locks_and_toasts_wait_until_unlocked(identity: FakeIdentity, ticker: Ticker) -> None:
    app = staff_console(identity, ticker)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+l")
        assert isinstance(app.screen, LockScreen)
        app.notify("Maria Lopez called back")  # a toast could name a patient: not while locked
        await pilot.pause()
        assert not app._notifications
        app.try_unlock("2468")
        await pilot.pause()
        app.notify("now it may show")
        await pilot.pause()
        assert len(app._notifications) == 1


async def test_five_wrong_pins_sign_out_and_a_new_sign_in_unlocks(identity: FakeIdentity, ticker: Ticker) -> None:
    app = staff_console(identity, ticker)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+l")
        for _ in range(4):
            await pilot.press(*"0000", "enter")
        assert "1 try left" in str(app.screen.query_one("#lock-message", Static).render())
        await pilot.press(*"0000", "enter")
        await until(pilot, lambda: isinstance(app.screen, SignInScreen))
        assert identity.sign_outs == 1
        assert app.client is None and app.me is None
        assert who(app) == "signed out"
        assert "too many wrong PINs" in str(app.screen.query_one("#signin-reason", Static).render())
        await until(pilot, lambda: "BCDF-GHJK" in str(app.screen.query_one("#signin-code", Static).render()))
        await pilot.press("escape")  # after a sign-out there is no going back to the desk
        assert isinstance(app.screen, SignInScreen)

        assert identity.approval is not None
        identity.approval.set_result(PROVIDER)  # someone else signs in at this desk
        await until(pilot, lambda: not app.locked and app.me is not None)
        assert who(app) == "Dr. Hannah Cho · provider"
        # No PIN yet for this user: the console asks for one (typed twice).
        await until(pilot, lambda: isinstance(app.screen, SetPinScreen))
        await pilot.press(*"1357", "enter", *"1358", "enter")
        assert "differ" in str(app.screen.query_one("#pin-message", Static).render())
        await pilot.press(*"1357", "enter")
        await pilot.pause()
        assert identity.pins[PROVIDER] == "1357"
        assert not isinstance(app.screen, SetPinScreen)


async def test_a_denied_sign_in_says_so_and_r_asks_for_a_new_code(identity: FakeIdentity, ticker: Ticker) -> None:
    app = staff_console(identity, ticker)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.action_sign_in()
        await until(pilot, lambda: identity.approval is not None)
        assert identity.approval is not None
        identity.approval.set_result("deny")
        await until(pilot, lambda: "denied" in str(app.screen.query_one("#signin-status", Static).render()))
        first = identity.approval
        await pilot.press("r")
        await until(pilot, lambda: identity.approval is not first)
        await pilot.press("escape")  # opened from the desk: back to it
        await pilot.pause()
        assert not app.locked and not isinstance(app.screen, SignInScreen)


async def test_sign_out_from_the_palette_hides_the_desk(identity: FakeIdentity, ticker: Ticker) -> None:
    app = staff_console(identity, ticker)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.remember_chart("pat_1", "Maria Lopez  ·  TB100001")
        await pilot.press("ctrl+p")
        await pilot.press(*"sign out")
        await until(pilot, lambda: any(hit.startswith("Sign out") for hit in hits(app)))
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, SignInScreen))
        assert identity.sign_outs == 1
        assert not app.recent_charts  # the next person does not see whose charts were open


async def test_wrong_pin_format_is_refused_inline(identity: FakeIdentity, ticker: Ticker) -> None:
    identity.pins.clear()
    app = staff_console(identity, ticker)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.action_set_pin()
        await pilot.pause()
        await pilot.press(*"12", "enter", *"12", "enter")
        assert "4 to 8 digits" in str(app.screen.query_one("#pin-message", Static).render())
        await pilot.press("escape")
        await pilot.pause()
        assert FRONT_DESK not in identity.pins


async def test_m_shows_only_my_tasks(identity: FakeIdentity, ticker: Ticker) -> None:
    app = staff_console(identity, ticker)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        pane = app.query_one("#tasks")
        table = app.query_one("#tasks-table", DataTable)
        everything = table.row_count
        await pilot.press("4", "m")
        mine = table.row_count
        assert 0 < mine < everything
        assert "mine" in str(pane.border_title)
        for key in table.rows:
            item = pane.tasks.get(key.value) or pane.handoffs[key.value]  # type: ignore[attr-defined]
            assert item.assignee_user_id == FRONT_DESK or (
                item.assignee_user_id is None and item.assignee_role == "front_desk"
            )
        await pilot.press("m")
        assert table.row_count == everything


async def test_a_mention_of_me_raises_a_toast_and_marks_the_channel(
    identity: FakeIdentity, ticker: Ticker, sandbox: object
) -> None:
    feed: asyncio.Queue[Event] = asyncio.Queue()
    app = staff_console(identity, ticker, feed)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        messenger = app.query_one("#messenger")
        other = next(c for c in messenger.channels if c != messenger.selected)  # type: ignore[attr-defined]
        data = {"channel_id": other, "message_id": "msg_x", "mentions": [FRONT_DESK]}
        stamp = datetime(2026, 11, 20, 15, 29, tzinfo=UTC)
        await feed.put(
            Event(id="evt_1", type="message.created", created_at=stamp, workspace_id="ws_truebliss", data=data)
        )
        await until(pilot, lambda: bool(app._notifications))
        assert "You were mentioned in #" in next(iter(app._notifications)).message
        cell = app.query_one("#channels-table", DataTable).get_cell(other, "unread")
        assert str(cell).startswith("@")
        # A mention of someone else is only an unread message.
        app.clear_notifications()
        data = {**data, "mentions": [PROVIDER], "message_id": "msg_y"}
        await feed.put(
            Event(id="evt_2", type="message.created", created_at=stamp, workspace_id="ws_truebliss", data=data)
        )
        await until(pilot, lambda: str(app.query_one("#channels-table", DataTable).get_cell(other, "unread")) == "@2")
        assert not app._notifications

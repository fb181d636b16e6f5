"""`talkya-console login` / `logout` against the sandbox in-process: the device flow approved from
the test, the loopback flow with a stand-in browser, the PIN prompt, and sign-out."""

from __future__ import annotations

import asyncio
import io
import re
import stat
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from talkya_console import cli, login
from talkya_console.api import SignedOut, TalkyaClient
from talkya_console.credentials import TokenStore
from talkya_console.pin import PinStore
from talkya_console.sandbox.app import create_app
from talkya_console.sandbox.context import Limits
from tests.conftest import DEMO_HEADERS, DEMO_TODAY

BASE_URL = "http://sandbox"
WORKSPACE = "ws_truebliss"


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def app(clock: Clock) -> Any:
    return create_app(
        ":memory:", seed="empty", patients=0, limits=Limits(rate_limit=None, clock=clock), today=DEMO_TODAY
    )


@pytest.fixture
def staff(app: Any) -> dict[str, Any]:
    async def first() -> dict[str, Any]:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL) as http:
            response = await http.get("/v1/users", params={"role": "front_desk", "limit": 1}, headers=DEMO_HEADERS)
            return response.json()["data"][0]

    return asyncio.run(first())


@pytest.fixture
def deps(tmp_path: Path, app: Any, clock: Clock) -> login.LoginDeps:
    async def sleep(delay: float) -> None:
        clock.now += delay

    return login.LoginDeps(
        env={
            "TALKYA_CONFIG": str(tmp_path / "config.toml"),
            "TALKYA_BASE_URL": BASE_URL,
            "TALKYA_WORKSPACE": WORKSPACE,
        },
        transport=httpx.ASGITransport(app=app),
        open_browser=None,
        getpass=lambda prompt: pytest.fail(f"unexpected prompt {prompt!r}"),
        isatty=lambda: False,
        out=io.StringIO(),
        err=io.StringIO(),
        sleep=sleep,
        token_dir=tmp_path / "tokens",
        token_backend="file",
        pin_path=tmp_path / "pins.json",
    )


def run(argv: list[str], deps: login.LoginDeps) -> int:
    args = cli.build_parser().parse_args(argv)
    return login.run_login(args, deps) if args.command == "login" else login.run_logout(args, deps)


def store(deps: login.LoginDeps, profile: str = "default") -> TokenStore:
    return TokenStore(profile, directory=deps.token_dir, backend="file")


def browser(app: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL)


def approve_when_shown(deps: login.LoginDeps, app: Any, user_id: str, decision: str = "allow") -> None:
    """Approve the device sign-in during the first wait, with the code the terminal printed."""
    waited = deps.sleep

    async def sleep(delay: float) -> None:
        await waited(delay)
        printed = deps.out.getvalue()  # type: ignore[attr-defined]
        code = re.search(r"enter the code ([A-Z]{4}-[A-Z]{4})", printed)
        assert code, printed
        async with browser(app) as http:
            form = {"user_code": code[1], "user_id": user_id, "decision": decision}
            assert (await http.post("/v1/oauth/device", data=form)).status_code < 400

    deps.sleep = sleep


def test_device_login_saves_the_tokens_and_sets_a_pin(deps, app, staff) -> None:
    approve_when_shown(deps, app, staff["id"])
    answers = iter(["12", "1234", "1235", "1234", "1234"])  # too short; a mismatch; then agreed
    prompts: list[str] = []
    deps.getpass = lambda prompt: prompts.append(prompt) or next(answers)
    deps.isatty = lambda: True
    assert run(["login", "--device"], deps) == 0, deps.err.getvalue()
    out = deps.out.getvalue()
    assert f"Signed in as {staff['name']} ({staff['role']}) to {WORKSPACE}." in out
    assert "no OS keyring found" in out
    saved = store(deps).load()
    assert saved is not None and saved.user_id == staff["id"] and saved.workspace == WORKSPACE
    assert stat.S_IMODE(store(deps).path.stat().st_mode) == 0o600
    assert saved.access_token.get_secret_value() not in out
    assert prompts[0] == login.PIN_PROMPT
    assert "4 to 8 digits" in out and "differ" in out
    assert PinStore(deps.pin_path).check(f"{WORKSPACE}/{staff['id']}", "1234").ok


def test_no_pin_and_no_tty_skip_the_pin(deps, app, staff) -> None:
    approve_when_shown(deps, app, staff["id"])
    assert run(["login", "--device", "--no-pin"], deps) == 0
    assert not PinStore(deps.pin_path).has_pin(f"{WORKSPACE}/{staff['id']}")


def test_a_denied_device_sign_in_saves_nothing(deps, app, staff) -> None:
    approve_when_shown(deps, app, staff["id"], "deny")
    assert run(["login", "--device"], deps) == 1
    assert "declined" in deps.err.getvalue()
    assert store(deps).load() is None


def test_loopback_login_through_the_browser(deps, app, staff) -> None:
    pages: list[httpx.Response] = []
    tasks: list[asyncio.Task[None]] = []

    async def follow(url: str) -> None:
        async with browser(app) as http:
            page = await http.get(url)
            request_id = re.search(r'name="request"\s+value="([^"]+)"', page.text)
            assert request_id, page.text
            form = {"request": request_id[1], "user_id": staff["id"], "decision": "allow"}
            redirect = (await http.post("/v1/oauth/authorize", data=form)).headers["location"]
        # The real loopback server, over real (loopback) HTTP; proxies from the environment are ignored.
        async with httpx.AsyncClient(trust_env=False) as local:
            forged = redirect.replace("state=", "state=x")
            pages.append(await local.get(forged))
            pages.append(await local.get(redirect))

    def open_browser(url: str) -> bool:
        assert url.startswith(f"{BASE_URL}/v1/oauth/authorize?")
        tasks.append(asyncio.get_running_loop().create_task(follow(url)))
        return True

    deps.open_browser = open_browser
    deps.callback_timeout = 10  # a failed assertion in `follow` then fails the test in seconds, not minutes
    assert run(["login"], deps) == 0, deps.err.getvalue()
    assert [p.status_code for p in pages] == [400, 200], "only the redirect with our state is believed"
    assert "return to your terminal" in pages[1].text
    assert f"Signed in as {staff['name']}" in deps.out.getvalue()
    saved = store(deps).load()
    assert saved is not None and saved.user_id == staff["id"]


def test_loopback_gives_up_when_the_browser_never_comes_back(deps) -> None:
    deps.open_browser = lambda url: True
    deps.callback_timeout = 0.05
    assert run(["login"], deps) == 1
    assert "did not come back" in deps.err.getvalue()


def test_login_with_nothing_configured_names_what_to_set(deps) -> None:
    deps.env = {"TALKYA_CONFIG": deps.env["TALKYA_CONFIG"]}
    assert run(["login"], deps) == 1
    err = deps.err.getvalue()
    assert "TALKYA_BASE_URL" in err and "TALKYA_WORKSPACE" in err and "--profile" in err


def test_logout_revokes_forgets_and_clears_the_pin(deps, app, staff) -> None:
    approve_when_shown(deps, app, staff["id"])
    assert run(["login", "--device", "--no-pin"], deps) == 0
    saved = store(deps).load()
    assert saved is not None
    PinStore(deps.pin_path).set_pin(f"{WORKSPACE}/{staff['id']}", "1234")
    deps.out = io.StringIO()
    assert run(["logout"], deps) == 0
    out = deps.out.getvalue()
    assert f"Revoked the session at {BASE_URL}" in out and "Cleared the unlock PIN" in out
    assert store(deps).load() is None and not store(deps).path.exists()
    assert not PinStore(deps.pin_path).has_pin(f"{WORKSPACE}/{staff['id']}")

    async def me() -> None:
        async with TalkyaClient(BASE_URL, WORKSPACE, tokens=saved, transport=deps.transport) as client:
            await client.users.me()

    with pytest.raises(SignedOut):
        asyncio.run(me())


def test_logout_with_the_server_down_still_forgets_locally(deps, app, staff) -> None:
    approve_when_shown(deps, app, staff["id"])
    assert run(["login", "--device", "--no-pin"], deps) == 0

    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused")

    deps.transport = httpx.MockTransport(down)
    assert run(["logout"], deps) == 0
    assert "Could not reach Talkya" in deps.out.getvalue()
    assert store(deps).load() is None


def test_logout_when_not_signed_in(deps) -> None:
    assert run(["logout"], deps) == 0
    assert "Not signed in" in deps.out.getvalue()


def test_the_cli_wires_login_and_keeps_a_leading_profile(deps, app, staff, monkeypatch, tmp_path) -> None:
    (tmp_path / "config.toml").write_text(f'[profiles.clinic]\nbase_url = "{BASE_URL}"\nworkspace = "{WORKSPACE}"\n')
    deps.env = {"TALKYA_CONFIG": str(tmp_path / "config.toml")}
    approve_when_shown(deps, app, staff["id"])
    monkeypatch.setattr(login, "LoginDeps", lambda: deps)
    assert cli.main(["--profile", "clinic", "login", "--device"]) == 0, deps.err.getvalue()
    assert store(deps, "clinic").load() is not None


@pytest.fixture
def linux(monkeypatch) -> Iterator[None]:
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setattr(login.webbrowser, "get", lambda: type("B", (), {"open": lambda self, url: True})())
    yield


@pytest.mark.parametrize(
    ("env", "found"),
    [
        ({"DISPLAY": ":0"}, True),
        ({"WAYLAND_DISPLAY": "wayland-0"}, True),
        ({}, False),
        ({"DISPLAY": ":0", "SSH_CONNECTION": "10.0.0.1 22 10.0.0.2 5000"}, False),
        ({"DISPLAY": ":0", "SSH_TTY": "/dev/pts/1"}, False),
    ],
)
def test_a_browser_is_used_only_when_one_is_at_hand(linux, env: dict[str, str], found: bool) -> None:
    assert (login.browser_opener(env) is not None) is found

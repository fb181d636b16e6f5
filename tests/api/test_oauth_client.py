"""Staff sign-in from the client's side: PKCE, the code and device flows, refresh-token rotation in
`UserTokenAuth`, and sign-out. Fault cases run on MockTransport; the flows also run end to end on the
sandbox, driving its sign-in pages as a browser would."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import re
import time
from collections.abc import AsyncIterator, Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from pydantic import SecretStr

from talkya_console.api import (
    CONSOLE_CLIENT_ID,
    AuthenticationError,
    SignedOut,
    SignInDenied,
    SignInError,
    SignInExpired,
    TalkyaClient,
    UserTokens,
    authorize_url,
    exchange_code,
    new_pkce,
    oauth_http,
    poll_device,
    refresh_tokens,
    start_device,
)
from talkya_console.sandbox.app import create_app
from talkya_console.sandbox.context import Limits
from tests.api.conftest import BASE_URL, WORKSPACE
from tests.conftest import DEMO_HEADERS, DEMO_TODAY

USER_JSON = {
    "id": "usr_1",
    "object": "user",
    "name": "Ana Ruiz",
    "email": "ana@example.com",
    "role": "front_desk",
    "created_at": "2026-01-01T00:00:00Z",
}


def token_body(n: int, expires_in: int = 900) -> dict[str, Any]:
    return {
        "access_token": f"tk_at_{n}",
        "token_type": "Bearer",
        "expires_in": expires_in,
        "scope": "users:read",
        "refresh_token": f"tk_rt_{n}",
    }


def oauth_error(error: str, status: int = 400) -> httpx.Response:
    return httpx.Response(status, json={"error": error, "error_description": f"server says {error}"})


def tokens(n: int = 0, *, expires_in: float = 900) -> UserTokens:
    return UserTokens(
        access_token=SecretStr(f"tk_at_{n}"),
        refresh_token=SecretStr(f"tk_rt_{n}"),
        expires_at=time.time() + expires_in,
        scope="users:read",
        workspace=WORKSPACE,
        user_id="usr_1",
    )


class FakeTime:
    """A clock the fake sleeps move forward; shared with the sandbox so its poll intervals agree."""

    def __init__(self) -> None:
        self.now = time.time()
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, delay: float) -> None:
        self.sleeps.append(delay)
        self.now += delay


# -- PKCE and the authorize URL ----------------------------------------------------------------
def test_pkce_verifier_is_long_random_urlsafe_and_challenge_is_its_s256() -> None:
    verifier, challenge = new_pkce()
    assert 43 <= len(verifier) <= 128
    assert re.fullmatch(r"[A-Za-z0-9_-]+", verifier)
    digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    assert challenge == digest
    assert "=" not in challenge
    assert new_pkce()[0] != verifier


def test_authorize_url_carries_the_pkce_challenge_state_and_workspace() -> None:
    url = authorize_url(
        "https://api.example/",
        workspace="ws_a",
        redirect_uri="http://127.0.0.1:5/callback",
        challenge="c" * 43,
        state="s1",
    )
    parts = urlsplit(url)
    assert parts.path == "/v1/oauth/authorize"
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert query == {
        "response_type": "code",
        "client_id": CONSOLE_CLIENT_ID,
        "redirect_uri": "http://127.0.0.1:5/callback",
        "code_challenge": "c" * 43,
        "code_challenge_method": "S256",
        "state": "s1",
        "workspace": "ws_a",
    }


# -- tokens never show their secrets -----------------------------------------------------------
def test_user_tokens_hide_secrets_except_in_storage_form() -> None:
    t = tokens(7)
    for shown in (repr(t), str(t), t.model_dump_json()):
        assert "tk_at_7" not in shown and "tk_rt_7" not in shown
    stored = t.to_storage()
    assert "tk_at_7" in stored and "tk_rt_7" in stored
    assert UserTokens.from_storage(stored) == t
    with pytest.raises(ValueError):
        UserTokens.from_storage("not json")


# -- the device flow on MockTransport ----------------------------------------------------------
DEVICE_BODY = {
    "device_code": "tk_dc_secret",
    "user_code": "BCDF-GHJK",
    "verification_uri": "http://sandbox/v1/oauth/device",
    "verification_uri_complete": "http://sandbox/v1/oauth/device?user_code=BCDF-GHJK",
    "expires_in": 600,
    "interval": 5,
}


@pytest.fixture
async def device_http() -> AsyncIterator[Callable[[list[httpx.Response]], httpx.AsyncClient]]:
    """An oauth_http client whose token endpoint answers the polls in the order given."""
    made: list[httpx.AsyncClient] = []

    def make(answers: list[httpx.Response]) -> httpx.AsyncClient:
        def handler(request: httpx.Request) -> httpx.Response:
            if request.url.path == "/v1/oauth/device_authorization":
                return httpx.Response(200, json=DEVICE_BODY)
            assert request.url.path == "/v1/oauth/token"
            form = parse_qs(request.content.decode())
            assert form["grant_type"] == ["urn:ietf:params:oauth:grant-type:device_code"]
            assert form["device_code"] == ["tk_dc_secret"]
            return answers.pop(0)

        http = oauth_http(BASE_URL, transport=httpx.MockTransport(handler))
        made.append(http)
        return http

    yield make
    for http in made:
        await http.aclose()


async def test_device_flow_waits_the_interval_while_pending(device_http) -> None:
    http = device_http([oauth_error("authorization_pending"), httpx.Response(200, json=token_body(1))])
    fake = FakeTime()
    device = await start_device(http, workspace=WORKSPACE)
    assert device.user_code == "BCDF-GHJK"
    assert "tk_dc_secret" not in repr(device)
    signed_in = await poll_device(http, device, sleep=fake.sleep, clock=fake.clock)
    assert signed_in.access_token.get_secret_value() == "tk_at_1"
    assert fake.sleeps == [5, 5]


async def test_slow_down_adds_five_seconds_to_every_later_wait(device_http) -> None:
    answers = [oauth_error("slow_down"), oauth_error("authorization_pending"), oauth_error("slow_down")]
    http = device_http([*answers, httpx.Response(200, json=token_body(1))])
    fake = FakeTime()
    await poll_device(http, await start_device(http, workspace=WORKSPACE), sleep=fake.sleep, clock=fake.clock)
    assert fake.sleeps == [5, 10, 10, 15]


@pytest.mark.parametrize(
    ("error", "kind"),
    [("access_denied", SignInDenied), ("expired_token", SignInExpired), ("invalid_grant", SignInError)],
)
async def test_device_flow_ends_on_a_final_answer(device_http, error: str, kind: type[SignInError]) -> None:
    http = device_http([oauth_error("authorization_pending"), oauth_error(error)])
    fake = FakeTime()
    with pytest.raises(kind) as caught:
        await poll_device(http, await start_device(http, workspace=WORKSPACE), sleep=fake.sleep, clock=fake.clock)
    assert caught.value.error == error
    assert "tk_dc_secret" not in str(caught.value)
    assert "again" in caught.value.message


async def test_device_flow_gives_up_when_the_code_expires_unapproved(device_http) -> None:
    http = device_http([oauth_error("authorization_pending")] * 200)
    fake = FakeTime()
    with pytest.raises(SignInExpired):
        await poll_device(http, await start_device(http, workspace=WORKSPACE), sleep=fake.sleep, clock=fake.clock)
    assert sum(fake.sleeps) == 600


# -- UserTokenAuth on MockTransport --------------------------------------------------------------
class FakeServer:
    """Token endpoint that rotates (or refuses) and a /users/me that accepts only the newest access token."""

    def __init__(self, *, refuse_refresh: bool = False) -> None:
        self.issued = 0
        self.current = "tk_at_0"
        self.refuse_refresh = refuse_refresh
        self.refresh_forms: list[dict[str, list[str]]] = []
        self.revoked: list[tuple[str, str]] = []

    def handler(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/v1/oauth/token":
            form = parse_qs(request.content.decode())
            self.refresh_forms.append(form)
            if self.refuse_refresh:
                return oauth_error("invalid_grant")
            self.issued += 1
            self.current = f"tk_at_{self.issued}"
            return httpx.Response(200, json=token_body(self.issued))
        if path == "/v1/oauth/revoke":
            form = parse_qs(request.content.decode())
            self.revoked.append((form["token_type_hint"][0], form["token"][0]))
            return httpx.Response(200, json={})
        if request.headers["Authorization"] != f"Bearer {self.current}":
            return httpx.Response(
                401,
                json={"error": {"type": "authentication_error", "code": "invalid_token", "message": "expired"}},
                headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
            )
        return httpx.Response(200, json=USER_JSON)


async def test_tokens_near_expiry_are_refreshed_first_and_handed_to_on_tokens(make_client) -> None:
    server = FakeServer()
    saved: list[UserTokens] = []
    client = make_client(
        api_key=None,
        transport=httpx.MockTransport(server.handler),
        tokens=tokens(0, expires_in=30),
        on_tokens=saved.append,
    )
    await client.users.me()
    (form,) = server.refresh_forms
    assert form == {"grant_type": ["refresh_token"], "refresh_token": ["tk_rt_0"], "client_id": [CONSOLE_CLIENT_ID]}
    assert [t.refresh_token.get_secret_value() for t in saved] == ["tk_rt_1"]
    assert saved[0].user_id == "usr_1" and saved[0].workspace == WORKSPACE, "who it is survives a refresh"
    assert client.signed_in_tokens == saved[0]


async def test_a_401_refreshes_once_and_retries(make_client) -> None:
    server = FakeServer()
    server.current = "tk_at_rotated_elsewhere"
    saved: list[UserTokens] = []
    client = make_client(
        api_key=None, transport=httpx.MockTransport(server.handler), tokens=tokens(0), on_tokens=saved.append
    )
    assert (await client.users.me()).id == "usr_1"
    assert len(server.refresh_forms) == 1
    assert len(saved) == 1


async def test_concurrent_calls_share_one_refresh(make_client) -> None:
    server = FakeServer()
    client = make_client(api_key=None, transport=httpx.MockTransport(server.handler), tokens=tokens(0, expires_in=0))
    await asyncio.gather(*(client.users.me() for _ in range(5)))
    assert len(server.refresh_forms) == 1


async def test_a_refused_refresh_is_signed_out_and_stays_so(make_client) -> None:
    server = FakeServer(refuse_refresh=True)
    client = make_client(api_key=None, transport=httpx.MockTransport(server.handler), tokens=tokens(0, expires_in=0))
    with pytest.raises(SignedOut) as caught:
        await client.users.me()
    assert isinstance(caught.value, AuthenticationError)
    assert "sign in again" in caught.value.message
    assert "tk_rt_0" not in str(caught.value) and "tk_rt_0" not in repr(client)
    with pytest.raises(SignedOut):
        await client.users.me()
    assert len(server.refresh_forms) == 1, "a signed-out session does not keep asking"


async def test_sign_out_revokes_refresh_then_access_and_refuses_later_calls(make_client) -> None:
    server = FakeServer()
    client = make_client(api_key=None, transport=httpx.MockTransport(server.handler), tokens=tokens(0))
    assert await client.sign_out() is True
    assert server.revoked == [("refresh_token", "tk_rt_0"), ("access_token", "tk_at_0")]
    with pytest.raises(SignedOut):
        await client.users.me()


async def test_sign_out_reports_an_unreachable_server(make_client) -> None:
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused")

    client = make_client(api_key=None, transport=httpx.MockTransport(down), tokens=tokens(0))
    assert await client.sign_out() is False


def test_tokens_exclude_other_credentials() -> None:
    with pytest.raises(ValueError, match="or tokens"):
        TalkyaClient(BASE_URL, WORKSPACE, api_key="tk_test_x", tokens=tokens())
    with pytest.raises(ValueError, match="or tokens"):
        TalkyaClient(BASE_URL, WORKSPACE, client_id="c", client_secret="s", tokens=tokens())


async def test_refresh_keeps_the_old_refresh_token_when_the_server_does_not_rotate() -> None:
    body = {k: v for k, v in token_body(2).items() if k != "refresh_token"}
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json=body))
    async with oauth_http(BASE_URL, transport=transport) as http:
        fresh = await refresh_tokens(http, tokens(0))
    assert fresh.access_token.get_secret_value() == "tk_at_2"
    assert fresh.refresh_token == SecretStr("tk_rt_0")


# -- end to end on the sandbox -------------------------------------------------------------------
@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def oauth_app(fake_time: FakeTime) -> Any:
    return create_app(
        ":memory:", seed="empty", patients=0, limits=Limits(rate_limit=None, clock=fake_time.clock), today=DEMO_TODAY
    )


@pytest.fixture
async def browser(oauth_app: Any) -> AsyncIterator[httpx.AsyncClient]:
    """A browser on the sandbox: no API credentials, follows nothing by itself."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=oauth_app), base_url=BASE_URL) as client:
        yield client


@pytest.fixture
async def http(oauth_app: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with oauth_http(BASE_URL, transport=httpx.ASGITransport(app=oauth_app)) as client:
        yield client


async def staff_member(browser: httpx.AsyncClient, role: str = "front_desk") -> dict[str, Any]:
    response = await browser.get("/v1/users", params={"role": role, "limit": 1}, headers=DEMO_HEADERS)
    return response.json()["data"][0]


async def sign_in_in_browser(browser: httpx.AsyncClient, url: str, user_id: str, decision: str = "allow") -> str:
    """Open the sign-in page, pick the user, decide; returns where the browser is sent."""
    page = await browser.get(url)
    assert page.status_code == 200, page.text
    request_id = re.search(r'name="request"\s+value="([^"]+)"', page.text)
    assert request_id, "the sign-in page carries its pending request in a hidden field"
    form = {"request": request_id[1], "user_id": user_id, "decision": decision}
    answer = await browser.post("/v1/oauth/authorize", data=form)
    assert answer.status_code in (302, 303), answer.text
    return answer.headers["location"]


async def approve_device(browser: httpx.AsyncClient, user_code: str, user_id: str, decision: str = "allow") -> None:
    answer = await browser.post(
        "/v1/oauth/device", data={"user_code": user_code, "user_id": user_id, "decision": decision}
    )
    assert answer.status_code < 400, answer.text


def client_on(app: Any, signed_in: UserTokens, **kwargs: Any) -> TalkyaClient:
    return TalkyaClient(BASE_URL, WORKSPACE, tokens=signed_in, transport=httpx.ASGITransport(app=app), **kwargs)


async def test_code_flow_signs_in_the_user_who_chose_themselves(browser, http, oauth_app) -> None:
    user = await staff_member(browser)
    verifier, challenge = new_pkce()
    redirect_uri = "http://127.0.0.1:49152/callback"
    url = authorize_url(BASE_URL, workspace=WORKSPACE, redirect_uri=redirect_uri, challenge=challenge, state="st8")
    location = urlsplit(await sign_in_in_browser(browser, url, user["id"]))
    assert f"http://{location.netloc}{location.path}" == redirect_uri
    query = {k: v[0] for k, v in parse_qs(location.query).items()}
    assert query["state"] == "st8"
    signed_in = await exchange_code(http, code=query["code"], verifier=verifier, redirect_uri=redirect_uri)
    assert signed_in.refresh_token is not None
    async with client_on(oauth_app, signed_in) as client:
        assert (await client.users.me()).id == user["id"]
    with pytest.raises(SignInError) as caught:  # a code works once
        await exchange_code(http, code=query["code"], verifier=verifier, redirect_uri=redirect_uri)
    assert caught.value.error == "invalid_grant"
    assert query["code"] not in str(caught.value)


async def test_code_flow_denied_in_the_browser_redirects_with_access_denied(browser) -> None:
    user = await staff_member(browser)
    _, challenge = new_pkce()
    url = authorize_url(
        BASE_URL, workspace=WORKSPACE, redirect_uri="http://127.0.0.1:5/callback", challenge=challenge, state="s"
    )
    query = parse_qs(urlsplit(await sign_in_in_browser(browser, url, user["id"], "deny")).query)
    assert query["error"] == ["access_denied"] and query["state"] == ["s"]


async def test_device_flow_on_the_sandbox_pending_then_approved(browser, http, oauth_app, fake_time) -> None:
    user = await staff_member(browser, "provider")
    device = await start_device(http, workspace=WORKSPACE)
    polls = 0

    async def sleep(delay: float) -> None:
        nonlocal polls
        await fake_time.sleep(delay)
        polls += 1
        if polls == 2:  # the first poll is answered authorization_pending
            await approve_device(browser, device.user_code, user["id"])

    signed_in = await poll_device(http, device, sleep=sleep, clock=fake_time.clock)
    assert fake_time.sleeps == [device.interval, device.interval]
    async with client_on(oauth_app, signed_in) as client:
        assert (await client.users.me()).id == user["id"]


async def test_device_flow_on_the_sandbox_slow_down_and_denied(browser, http, fake_time) -> None:
    user = await staff_member(browser)
    device = await start_device(http, workspace=WORKSPACE)
    waits: list[float] = []

    async def sleep(delay: float) -> None:
        waits.append(delay)
        if len(waits) == 2:  # too soon: the sandbox answers slow_down
            fake_time.now += 1
        elif len(waits) == 3:
            await approve_device(browser, device.user_code, user["id"], "deny")
            fake_time.now += delay
        else:
            fake_time.now += delay

    with pytest.raises(SignInDenied):
        await poll_device(http, device, sleep=sleep, clock=fake_time.clock)
    assert waits[2] == waits[0] + 5


async def test_device_code_expires_unapproved_on_the_sandbox(http, fake_time) -> None:
    device = await start_device(http, workspace=WORKSPACE)
    with pytest.raises(SignInExpired):
        await poll_device(http, device, sleep=fake_time.sleep, clock=fake_time.clock)


async def _device_sign_in(browser: httpx.AsyncClient, http: httpx.AsyncClient, fake_time: FakeTime) -> UserTokens:
    user = await staff_member(browser)
    device = await start_device(http, workspace=WORKSPACE)
    await approve_device(browser, device.user_code, user["id"])
    signed_in = await poll_device(http, device, sleep=fake_time.sleep, clock=fake_time.clock)
    return signed_in.model_copy(update={"workspace": WORKSPACE, "user_id": user["id"]})


async def test_refresh_rotates_and_a_reused_token_revokes_the_family(browser, http, oauth_app, fake_time) -> None:
    first = await _device_sign_in(browser, http, fake_time)
    second = await refresh_tokens(http, first)
    assert second.refresh_token != first.refresh_token
    with pytest.raises(SignedOut):
        await refresh_tokens(http, first)  # the old one again: a leak, so the whole sign-in goes
    with pytest.raises(SignedOut):
        await refresh_tokens(http, second)
    async with client_on(oauth_app, second) as client:
        with pytest.raises(AuthenticationError):
            await client.users.me()


async def test_user_token_auth_refreshes_on_the_sandbox_and_saves_the_rotation(browser, http, oauth_app, fake_time):
    signed_in = await _device_sign_in(browser, http, fake_time)
    saved: list[UserTokens] = []
    async with client_on(oauth_app, signed_in, on_tokens=saved.append) as client:
        await client.users.me()
        fake_time.now += 901  # the sandbox now refuses the access token as expired (once out of its cache)
        oauth_app.state.sandbox.auth.forget()
        assert (await client.users.me()).id == signed_in.user_id
    assert len(saved) == 1
    assert saved[0].refresh_token != signed_in.refresh_token


async def test_user_token_auth_refreshes_ahead_of_expiry_on_the_sandbox(browser, http, oauth_app, fake_time):
    signed_in = await _device_sign_in(browser, http, fake_time)
    nearly_expired = signed_in.model_copy(update={"expires_at": time.time() + 10})
    saved: list[UserTokens] = []
    async with client_on(oauth_app, nearly_expired, on_tokens=saved.append) as client:
        assert (await client.users.me()).id == signed_in.user_id
        assert client.signed_in_tokens == saved[0]
    assert saved[0].expires_at > time.time() + 800


async def test_sign_out_on_the_sandbox_makes_both_tokens_refused(browser, http, oauth_app, fake_time) -> None:
    signed_in = await _device_sign_in(browser, http, fake_time)
    async with client_on(oauth_app, signed_in) as client:
        await client.users.me()
        assert await client.sign_out() is True
    async with client_on(oauth_app, signed_in) as again:
        with pytest.raises(SignedOut):  # the access token is refused, and so is the refresh token
            await again.users.me()


def test_storage_form_is_json_with_expiry_as_unix_time() -> None:
    data = json.loads(tokens(3, expires_in=100).to_storage())
    assert data["access_token"] == "tk_at_3"
    assert abs(data["expires_at"] - (time.time() + 100)) < 5

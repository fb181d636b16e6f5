"""Staff sign-in against the real sandbox app: the authorization code flow with PKCE and
loopback redirects (RFC 8252, RFC 7636), the device grant (RFC 8628), refresh-token rotation
with token families, and revocation (RFC 7009). A replaceable clock stands in for waiting."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import time
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from talkya_console.sandbox.app import create_app
from talkya_console.sandbox.context import Limits
from talkya_console.sandbox.db import Where
from talkya_console.sandbox.seed.credentials import CONSOLE_CLIENT_ID
from talkya_console.wire.ehr import AuditEntry
from talkya_console.wire.users import ALL_SCOPES
from tests.sandbox_helpers import patient_body

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
REDIRECT = "http://127.0.0.1:53682/callback"
TB = "ws_truebliss"


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def app(clock: Clock) -> Any:
    return create_app(":memory:", seed="empty", limits=Limits(rate_limit=None, clock=clock))


@pytest.fixture
def sandbox(app: Any) -> Any:
    return app.state.sandbox


@pytest.fixture
async def http(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sandbox") as client:
        yield client


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    return verifier, challenge


def authorize_query(challenge: str, **overrides: str) -> dict[str, str]:
    query = {
        "response_type": "code",
        "client_id": CONSOLE_CLIENT_ID,
        "redirect_uri": REDIRECT,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "state": "st-123",
        "workspace": TB,
    }
    query.update(overrides)
    return query


def hidden(page: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]+)"', page)
    assert match, page
    return match.group(1)


def redirected(response: httpx.Response) -> tuple[str, dict[str, str]]:
    """The redirect's target (without the query) and its query parameters."""
    assert response.status_code == 302, response.text
    parts = urlsplit(response.headers["location"])
    return f"{parts.scheme}://{parts.netloc}{parts.path}", {k: v[0] for k, v in parse_qs(parts.query).items()}


async def get_code(http: httpx.AsyncClient, user_id: str = "usr_114", redirect_uri: str = REDIRECT) -> tuple[str, str]:
    """Walk the sign-in page as the user would; returns the code and the PKCE verifier."""
    verifier, challenge = pkce()
    page = await http.get("/v1/oauth/authorize", params=authorize_query(challenge, redirect_uri=redirect_uri))
    assert page.status_code == 200, page.text
    decision = {"request": hidden(page.text, "request"), "user_id": user_id, "decision": "allow"}
    target, query = redirected(await http.post("/v1/oauth/authorize", data=decision))
    assert target == redirect_uri
    assert query["state"] == "st-123"
    return query["code"], verifier


async def redeem(http: httpx.AsyncClient, code: str, verifier: str, redirect_uri: str = REDIRECT) -> httpx.Response:
    form = {
        "grant_type": "authorization_code",
        "client_id": CONSOLE_CLIENT_ID,
        "code": code,
        "code_verifier": verifier,
        "redirect_uri": redirect_uri,
    }
    return await http.post("/v1/oauth/token", data=form)


async def sign_in(http: httpx.AsyncClient, user_id: str = "usr_114") -> dict[str, Any]:
    code, verifier = await get_code(http, user_id)
    response = await redeem(http, code, verifier)
    assert response.status_code == 200, response.text
    return response.json()


async def refresh(http: httpx.AsyncClient, refresh_token: str) -> httpx.Response:
    form = {"grant_type": "refresh_token", "client_id": CONSOLE_CLIENT_ID, "refresh_token": refresh_token}
    return await http.post("/v1/oauth/token", data=form)


async def me(http: httpx.AsyncClient, access_token: str, workspace: str = TB) -> httpx.Response:
    headers = {"Authorization": f"Bearer {access_token}", "Talkya-Workspace": workspace}
    return await http.get("/v1/users/me", headers=headers)


def assert_oauth_error(response: httpx.Response, error: str, status: int = 400) -> None:
    assert response.status_code == status, response.text
    assert response.json()["error"] == error
    assert response.json()["error_description"]
    assert response.headers["cache-control"] == "no-store"


# -- authorization code + PKCE ---------------------------------------------------------------
async def test_code_flow_signs_in_the_staff_member_and_audits_their_writes(http, sandbox):
    verifier, challenge = pkce()
    page = await http.get("/v1/oauth/authorize", params=authorize_query(challenge))
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "Sign in to TrueBliss Med Spa &amp; Wellness" in page.text
    assert 'value="usr_114"' in page.text and "Dr. Hannah Cho" in page.text and "provider" in page.text
    assert "usr_201" not in page.text  # another workspace's staff
    assert "demo sign-in" in page.text and "no password" in page.text
    assert 'name="decision" value="allow"' in page.text and 'name="decision" value="deny"' in page.text
    assert challenge not in page.text and REDIRECT not in page.text  # kept server-side

    decision = {"request": hidden(page.text, "request"), "user_id": "usr_114", "decision": "allow"}
    target, query = redirected(await http.post("/v1/oauth/authorize", data=decision))
    assert target == REDIRECT and query["state"] == "st-123" and query["code"]

    response = await redeem(http, query["code"], verifier)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    tokens = response.json()
    assert tokens["token_type"] == "Bearer"
    assert tokens["expires_in"] == 900
    assert tokens["refresh_token"]
    assert tokens["scope"] == " ".join(ALL_SCOPES)

    user = await me(http, tokens["access_token"])
    assert user.status_code == 200, user.text
    assert user.json()["id"] == "usr_114" and user.json()["name"] == "Dr. Hannah Cho"

    headers = {"Authorization": f"Bearer {tokens['access_token']}", "Talkya-Workspace": TB}
    created = await http.post("/v1/patients", json=patient_body(), headers=headers)
    assert created.status_code == 201, created.text
    entries = sandbox.db.all("audit_entry", TB, AuditEntry, Where().eq("record_id", created.json()["id"]))
    assert [(e.action, e.actor.type, e.actor.id) for e in entries] == [("created", "user", "usr_114")]
    # Not only the chart: every write records who made it.
    task = await http.post("/v1/tasks", json={"title": "Call back about results"}, headers=headers)
    assert task.status_code == 201, task.text
    entries = sandbox.db.all("audit_entry", TB, AuditEntry, Where().eq("record_id", task.json()["id"]))
    assert [(e.record_type, e.actor.type, e.actor.id) for e in entries] == [("task", "user", "usr_114")]


async def test_the_page_post_is_single_use(http):
    _, challenge = pkce()
    page = await http.get("/v1/oauth/authorize", params=authorize_query(challenge))
    decision = {"request": hidden(page.text, "request"), "user_id": "usr_114", "decision": "allow"}
    assert (await http.post("/v1/oauth/authorize", data=decision)).status_code == 302
    again = await http.post("/v1/oauth/authorize", data=decision)
    assert again.status_code == 400 and "location" not in again.headers


async def test_a_user_of_another_workspace_or_an_unknown_request_is_a_400_page(http):
    _, challenge = pkce()
    page = await http.get("/v1/oauth/authorize", params=authorize_query(challenge))
    request_id = hidden(page.text, "request")
    for form in (
        {"request": request_id, "user_id": "usr_201", "decision": "allow"},  # Northside staff
        {"request": request_id, "decision": "allow"},
        {"request": "ar_made_up", "user_id": "usr_114", "decision": "allow"},
    ):
        response = await http.post("/v1/oauth/authorize", data=form)
        assert response.status_code == 400 and "location" not in response.headers
        assert response.headers["content-type"].startswith("text/html")


async def test_pkce_verifier_mismatch_is_invalid_grant(http):
    code, _ = await get_code(http)
    other_verifier, _ = pkce()
    assert_oauth_error(await redeem(http, code, other_verifier), "invalid_grant")


async def test_redirect_uri_must_match_the_authorization_request(http):
    code, verifier = await get_code(http)
    assert_oauth_error(await redeem(http, code, verifier, "http://127.0.0.1:1/callback"), "invalid_grant")


async def test_expired_code_is_invalid_grant(http, clock):
    code, verifier = await get_code(http)
    clock.advance(601)
    response = await redeem(http, code, verifier)
    assert_oauth_error(response, "invalid_grant")
    assert code not in response.text


async def test_reused_code_is_refused_and_revokes_the_first_grants_tokens(http):
    code, verifier = await get_code(http)
    first = (await redeem(http, code, verifier)).json()
    assert (await me(http, first["access_token"])).status_code == 200  # now cached by the authenticator
    assert_oauth_error(await redeem(http, code, verifier), "invalid_grant")
    assert (await me(http, first["access_token"])).status_code == 401
    assert_oauth_error(await refresh(http, first["refresh_token"]), "invalid_grant")


async def test_denied_sign_in_redirects_access_denied_with_state(http):
    _, challenge = pkce()
    page = await http.get("/v1/oauth/authorize", params=authorize_query(challenge))
    target, query = redirected(
        await http.post("/v1/oauth/authorize", data={"request": hidden(page.text, "request"), "decision": "deny"})
    )
    assert target == REDIRECT
    assert query["error"] == "access_denied" and query["state"] == "st-123" and "code" not in query


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"code_challenge_method": ""}, "invalid_request"),
        ({"code_challenge": ""}, "invalid_request"),
        ({"code_challenge": "short"}, "invalid_request"),
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"workspace": "ws_nowhere"}, "invalid_request"),
        ({"workspace": ""}, "invalid_request"),
        ({"scope": "patients:read admin:everything"}, "invalid_scope"),
    ],
)
async def test_invalid_requests_redirect_back_with_the_error_and_state(http, overrides, error):
    _, challenge = pkce()
    target, query = redirected(await http.get("/v1/oauth/authorize", params=authorize_query(challenge, **overrides)))
    assert target == REDIRECT
    assert query["error"] == error and query["error_description"] and query["state"] == "st-123"


@pytest.mark.parametrize(
    "overrides",
    [
        {"redirect_uri": "https://evil.example/callback"},
        {"redirect_uri": "http://127.0.0.1:8080/other"},
        {"redirect_uri": "https://127.0.0.1:8080/callback"},
        {"redirect_uri": "http://127.0.0.1:8080@evil.example/callback"},
        {"redirect_uri": "http://127.0.0.1:99999/callback"},
        {"redirect_uri": "http://127.0.0.1:8080/callback?next=x"},
        {"redirect_uri": ""},
        {"client_id": "nobody"},
    ],
)
async def test_bad_client_or_redirect_uri_is_a_400_page_with_no_redirect(http, overrides):
    _, challenge = pkce()
    response = await http.get("/v1/oauth/authorize", params=authorize_query(challenge, **overrides))
    assert response.status_code == 400
    assert "location" not in response.headers
    assert response.headers["content-type"].startswith("text/html")


@pytest.mark.parametrize(
    "redirect_uri",
    ["http://127.0.0.1:1/callback", "http://[::1]:49152/callback", "http://localhost:65535/callback"],
)
async def test_loopback_redirect_on_any_port_is_accepted(http, redirect_uri):
    code, verifier = await get_code(http, redirect_uri=redirect_uri)
    response = await redeem(http, code, verifier, redirect_uri)
    assert response.status_code == 200, response.text


async def test_the_page_escapes_what_it_shows(http, sandbox):
    sandbox.db.conn.execute("UPDATE workspaces SET name = '<script>x</script>' WHERE id = ?", (TB,))
    _, challenge = pkce()
    page = await http.get("/v1/oauth/authorize", params=authorize_query(challenge))
    assert "<script>" not in page.text and "&lt;script&gt;" in page.text
    assert page.headers["x-frame-options"] == "DENY"


# -- device grant ----------------------------------------------------------------------------
async def start_device(http: httpx.AsyncClient, **extra: str) -> dict[str, Any]:
    response = await http.post(
        "/v1/oauth/device_authorization", data={"client_id": CONSOLE_CLIENT_ID, "workspace": TB, **extra}
    )
    assert response.status_code == 200, response.text
    return response.json()


async def poll(http: httpx.AsyncClient, device_code: str) -> httpx.Response:
    form = {"grant_type": DEVICE_GRANT, "device_code": device_code, "client_id": CONSOLE_CLIENT_ID}
    return await http.post("/v1/oauth/token", data=form)


async def decide_device(http: httpx.AsyncClient, user_code: str, decision: str, user_id: str = "usr_114") -> Any:
    page = await http.get("/v1/oauth/device", params={"user_code": user_code})
    assert page.status_code == 200 and 'value="usr_114"' in page.text, page.text
    form = {"user_code": hidden(page.text, "user_code"), "user_id": user_id, "decision": decision}
    return await http.post("/v1/oauth/device", data=form)


async def test_device_authorization_answers_codes_and_where_to_enter_them(http):
    grant = await start_device(http)
    assert re.fullmatch(r"[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}", grant["user_code"])
    assert grant["verification_uri"] == "http://sandbox/v1/oauth/device"
    assert grant["verification_uri_complete"] == f"http://sandbox/v1/oauth/device?user_code={grant['user_code']}"
    assert grant["expires_in"] == 600 and grant["interval"] == 5
    assert grant["device_code"]


async def test_device_authorization_refuses_unknown_clients_and_workspaces(http):
    unknown = await http.post("/v1/oauth/device_authorization", data={"client_id": "nobody", "workspace": TB})
    assert_oauth_error(unknown, "invalid_client", 401)
    for workspace in ("ws_nowhere", ""):
        response = await http.post(
            "/v1/oauth/device_authorization", json={"client_id": CONSOLE_CLIENT_ID, "workspace": workspace}
        )
        assert_oauth_error(response, "invalid_request")


async def test_device_flow_pending_slow_down_then_tokens_once(http, clock):
    grant = await start_device(http)
    assert_oauth_error(await poll(http, grant["device_code"]), "authorization_pending")
    clock.advance(1)
    assert_oauth_error(await poll(http, grant["device_code"]), "slow_down")  # interval is now 10
    clock.advance(6)
    assert_oauth_error(await poll(http, grant["device_code"]), "slow_down")  # 6 < 10; now 15
    clock.advance(15)
    assert_oauth_error(await poll(http, grant["device_code"]), "authorization_pending")

    done = await decide_device(http, grant["user_code"], "allow")
    assert done.status_code == 200 and "Signed in: you can return to your terminal" in done.text

    clock.advance(15)
    response = await poll(http, grant["device_code"])
    assert response.status_code == 200, response.text
    tokens = response.json()
    assert tokens["token_type"] == "Bearer" and tokens["expires_in"] == 900 and tokens["refresh_token"]
    assert (await me(http, tokens["access_token"])).json()["id"] == "usr_114"

    clock.advance(15)
    again = await poll(http, grant["device_code"])
    assert_oauth_error(again, "invalid_grant")
    assert grant["device_code"] not in again.text


async def test_device_sign_in_denied_is_access_denied(http, clock):
    grant = await start_device(http)
    done = await decide_device(http, grant["user_code"], "deny")
    assert done.status_code == 200 and "Sign-in denied" in done.text
    assert_oauth_error(await poll(http, grant["device_code"]), "access_denied")
    again = await http.post("/v1/oauth/device", data={"user_code": grant["user_code"], "decision": "allow"})
    assert again.status_code == 400  # already decided


async def test_device_code_expires(http, clock):
    grant = await start_device(http)
    clock.advance(601)
    assert_oauth_error(await poll(http, grant["device_code"]), "expired_token")
    late = await http.post(
        "/v1/oauth/device", data={"user_code": grant["user_code"], "user_id": "usr_114", "decision": "allow"}
    )
    assert late.status_code == 400


async def test_user_code_typed_lowercase_without_dash_works(http):
    grant = await start_device(http)
    typed = grant["user_code"].replace("-", "").lower()
    done = await decide_device(http, typed, "allow")
    assert done.status_code == 200
    assert (await poll(http, grant["device_code"])).status_code == 200


async def test_device_page_without_or_with_a_wrong_code_asks_for_one(http):
    empty = await http.get("/v1/oauth/device")
    assert empty.status_code == 200 and 'name="user_code"' in empty.text and 'method="get"' in empty.text
    wrong = await http.get("/v1/oauth/device", params={"user_code": "BBBB-BBBB"})
    assert wrong.status_code == 200 and "not valid or has expired" in wrong.text
    assert "BBBB" not in wrong.text


async def test_device_approval_needs_staff_of_the_workspace(http):
    grant = await start_device(http)
    response = await http.post(
        "/v1/oauth/device", data={"user_code": grant["user_code"], "user_id": "usr_201", "decision": "allow"}
    )
    assert response.status_code == 400


# -- refresh, families, revocation -----------------------------------------------------------
async def test_refresh_rotates_and_a_reused_refresh_token_revokes_the_family(http):
    first = await sign_in(http)
    rotated = await refresh(http, first["refresh_token"])
    assert rotated.status_code == 200, rotated.text
    second = rotated.json()
    assert second["expires_in"] == 900 and second["refresh_token"] != first["refresh_token"]
    assert (await me(http, second["access_token"])).status_code == 200

    replay = await refresh(http, first["refresh_token"])
    assert_oauth_error(replay, "invalid_grant")
    assert first["refresh_token"] not in replay.text
    assert (await me(http, second["access_token"])).status_code == 401
    assert_oauth_error(await refresh(http, second["refresh_token"]), "invalid_grant")


async def test_another_sign_in_is_not_touched_by_a_replay(http):
    mine, theirs = await sign_in(http), await sign_in(http, "usr_110")
    await refresh(http, mine["refresh_token"])
    await refresh(http, mine["refresh_token"])  # replay: revokes my family only
    assert (await me(http, theirs["access_token"])).json()["id"] == "usr_110"


async def test_revoked_access_token_is_refused_at_once(http):
    tokens = await sign_in(http)
    assert (await me(http, tokens["access_token"])).status_code == 200  # cached for 30 s
    form = {"token": tokens["access_token"], "token_type_hint": "access_token", "client_id": CONSOLE_CLIENT_ID}
    response = await http.post("/v1/oauth/revoke", data=form)
    assert response.status_code == 200 and response.json() == {}
    assert (await me(http, tokens["access_token"])).status_code == 401
    assert (await refresh(http, tokens["refresh_token"])).status_code == 200  # the refresh token lives on


async def test_revoking_a_refresh_token_revokes_its_family(http):
    first = await sign_in(http)
    second = (await refresh(http, first["refresh_token"])).json()
    assert (await me(http, first["access_token"])).status_code == 200
    assert (await me(http, second["access_token"])).status_code == 200
    response = await http.post(
        "/v1/oauth/revoke", json={"token": second["refresh_token"], "client_id": CONSOLE_CLIENT_ID}
    )
    assert response.status_code == 200
    assert (await me(http, first["access_token"])).status_code == 401
    assert (await me(http, second["access_token"])).status_code == 401
    assert_oauth_error(await refresh(http, second["refresh_token"]), "invalid_grant")


async def test_revoking_an_unknown_token_is_200(http):
    response = await http.post("/v1/oauth/revoke", data={"token": "tk_rt_nothing", "client_id": CONSOLE_CLIENT_ID})
    assert response.status_code == 200 and response.json() == {}


async def test_revoke_needs_a_known_client_and_a_confidential_ones_secret(http):
    unknown = await http.post("/v1/oauth/revoke", data={"token": "x", "client_id": "nobody"})
    assert_oauth_error(unknown, "invalid_client", 401)
    no_secret = await http.post("/v1/oauth/revoke", data={"token": "x", "client_id": "client_truebliss"})
    assert_oauth_error(no_secret, "invalid_client", 401)
    form = {"token": "x", "client_id": "client_truebliss", "client_secret": "secret_truebliss"}
    assert (await http.post("/v1/oauth/revoke", data=form)).status_code == 200


async def test_user_tokens_live_900_seconds_and_client_credentials_keep_theirs(http, clock):
    tokens = await sign_in(http)
    assert tokens["expires_in"] == 900
    assert (await me(http, tokens["access_token"])).status_code == 200  # cached, but not beyond its expiry
    clock.advance(901)
    expired = await me(http, tokens["access_token"])
    assert expired.status_code == 401 and expired.json()["error"]["code"] == "invalid_token"
    refreshed = await refresh(http, tokens["refresh_token"])
    assert refreshed.json()["expires_in"] == 900
    form = {"grant_type": "client_credentials", "client_id": "client_truebliss", "client_secret": "secret_truebliss"}
    assert (await http.post("/v1/oauth/token", data=form)).json()["expires_in"] == 3600


async def test_the_public_client_cannot_use_client_credentials(http):
    form = {"grant_type": "client_credentials", "client_id": CONSOLE_CLIENT_ID}
    assert_oauth_error(await http.post("/v1/oauth/token", data=form), "invalid_client", 401)


async def test_databases_seeded_before_the_console_client_get_it(tmp_path):
    path = tmp_path / "sandbox.db"
    first = create_app(path, seed="empty")
    first.state.sandbox.db.conn.execute("DELETE FROM oauth_clients WHERE client_id = ?", (CONSOLE_CLIENT_ID,))
    first.state.sandbox.db.close()
    second = create_app(path, seed="empty")
    row = second.state.sandbox.db.conn.execute(
        "SELECT secret_hash, workspace_id FROM oauth_clients WHERE client_id = ?", (CONSOLE_CLIENT_ID,)
    ).fetchone()
    second.state.sandbox.db.close()
    assert row == ("", "*")

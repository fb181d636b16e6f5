"""Credentials: API keys, and OAuth client credentials exchanged, renewed before expiry, and
renewed once when the server refuses a token as expired."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from talkya_console.api import AuthenticationError, BadRequest, PermissionDenied, TalkyaClient
from talkya_console.api._auth import ClientCredentialsAuth
from talkya_console.wire import AccessToken
from tests.api.conftest import Recorder

OAUTH = {"client_id": "client_truebliss", "client_secret": "secret_truebliss"}


def token_posts(recorder: Recorder) -> int:
    return recorder.paths("POST").count("/v1/oauth/token")


async def test_client_credentials_are_exchanged_once_for_many_calls(
    make_client: Callable[..., TalkyaClient], recorder: Recorder
) -> None:
    client = make_client(**OAUTH, scopes=["patients:read", "users:read"])
    await asyncio.gather(*(client.users.list(limit=1).page() for _ in range(5)))
    assert token_posts(recorder) == 1
    token_request = recorder.requests[0]
    assert "Authorization" not in token_request.headers
    assert b"secret_truebliss" in token_request.content
    assert recorder.requests[-1].headers["Authorization"].startswith("Bearer tk_at_")


async def test_token_scopes_limit_what_the_client_may_do(make_client: Callable[..., TalkyaClient], new_patient) -> None:
    client = make_client(**OAUTH, scopes="patients:read")
    with pytest.raises(PermissionDenied) as caught:
        await client.patients.create(new_patient())
    assert caught.value.code == "insufficient_scope"


async def test_expired_token_is_renewed_once_and_the_call_retried(
    make_client: Callable[..., TalkyaClient], recorder: Recorder, sandbox: Any
) -> None:
    client = make_client(**OAUTH)
    await client.users.list(limit=1).page()
    sandbox.db.conn.execute("UPDATE tokens SET expires_at = 0 WHERE kind = 'access'")
    sandbox.auth.forget()
    page = await client.users.list(limit=1).page()
    assert page.data
    assert token_posts(recorder) == 2
    statuses = [r.url.path for r in recorder.requests]
    assert statuses.count("/v1/users") == 3  # ok, refused with invalid_token, ok after renewal


async def test_a_token_refused_twice_is_an_authentication_error(
    make_client: Callable[..., TalkyaClient], recorder: Recorder, sandbox: Any
) -> None:
    client = make_client(**OAUTH)
    await client.users.list(limit=1).page()
    sandbox.auth.issue_token = _expired_issue(sandbox.auth.issue_token)
    sandbox.db.conn.execute("UPDATE tokens SET expires_at = 0 WHERE kind = 'access'")
    sandbox.auth.forget()
    with pytest.raises(AuthenticationError) as caught:
        await client.users.list(limit=1).page()
    assert caught.value.code == "invalid_token"
    assert token_posts(recorder) == 2


def _expired_issue(issue: Callable[..., None]) -> Callable[..., None]:
    def issue_expired(token: str, kind: str, workspace_id: str, scopes: str, ttl: float, *args: Any) -> None:
        issue(token, kind, workspace_id, scopes, -1, *args)

    return issue_expired


async def test_wrong_client_secret_is_an_authentication_error(make_client: Callable[..., TalkyaClient]) -> None:
    client = make_client(client_id="client_truebliss", client_secret="wrong")
    with pytest.raises(AuthenticationError) as caught:
        await client.users.list().page()
    assert caught.value.code == "invalid_client"
    assert caught.value.status == 401
    assert "wrong" not in str(caught.value)


async def test_scope_beyond_the_client_is_invalid_scope(make_client: Callable[..., TalkyaClient]) -> None:
    client = make_client(**OAUTH, scopes="patients:read admin:everything")
    with pytest.raises(BadRequest) as caught:
        await client.users.list().page()
    assert caught.value.code == "invalid_scope"


async def test_unknown_api_key_is_an_authentication_error(make_client: Callable[..., TalkyaClient]) -> None:
    client = make_client(api_key="tk_test_nobody")
    with pytest.raises(AuthenticationError) as caught:
        await client.users.list().page()
    assert caught.value.code == "invalid_api_key"
    assert caught.value.request_id and caught.value.request_id.startswith("req_")


class FakeTokens:
    """A token endpoint that counts exchanges and issues tokens of a chosen lifetime."""

    def __init__(self, expires_in: int) -> None:
        self.expires_in = expires_in
        self.issued = 0

    async def fetch(self, form: dict[str, str]) -> AccessToken:
        self.issued += 1
        await asyncio.sleep(0)  # let concurrent callers pile up on the lock
        return AccessToken(access_token=f"tk_at_{self.issued}", expires_in=self.expires_in, scope=form.get("scope", ""))


async def test_token_is_renewed_before_it_expires() -> None:
    now = [1000.0]
    tokens = FakeTokens(expires_in=3600)
    auth = ClientCredentialsAuth("client_truebliss", "secret_truebliss", None, tokens.fetch, clock=lambda: now[0])
    assert await auth.authorization() == "Bearer tk_at_1"
    now[0] += 3600 - 61
    assert await auth.authorization() == "Bearer tk_at_1"
    now[0] += 2  # within the last minute of its life
    assert await auth.authorization() == "Bearer tk_at_2"


async def test_concurrent_callers_share_one_exchange() -> None:
    tokens = FakeTokens(expires_in=3600)
    auth = ClientCredentialsAuth("client_truebliss", "secret_truebliss", ["users:read"], tokens.fetch)
    headers = await asyncio.gather(*(auth.authorization() for _ in range(20)))
    assert set(headers) == {"Bearer tk_at_1"}
    assert tokens.issued == 1


async def test_invalidate_forgets_only_the_token_that_was_refused() -> None:
    tokens = FakeTokens(expires_in=3600)
    auth = ClientCredentialsAuth("client_truebliss", "secret_truebliss", None, tokens.fetch)
    first = await auth.authorization()
    await auth.invalidate(first)
    second = await auth.authorization()
    await auth.invalidate(first)  # a late 401 for the old token must not discard the new one
    assert await auth.authorization() == second == "Bearer tk_at_2"

"""Staff sign-in (RFC 8252): authorization code with PKCE, or the device grant (RFC 8628); refresh and revoke.

Every function takes an `httpx.AsyncClient` whose base_url is the API root (`oauth_http` builds one):

    async with oauth_http("https://api.talkya.ai") as http:
        device = await start_device(http, workspace="ws_truebliss")
        print(device.verification_uri, device.user_code)
        tokens = await poll_device(http, device)
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlencode

import httpx
from pydantic import BaseModel, ConfigDict, SecretStr

from talkya_console.api._constants import API_PREFIX, DEFAULT_TIMEOUT, USER_AGENT
from talkya_console.api._exceptions import APIError, AuthenticationError, ConnectionError, error_fields
from talkya_console.wire import AccessToken

CONSOLE_CLIENT_ID = "talkya-console"
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
SLOW_DOWN_STEP = 5.0  # RFC 8628 section 3.5: add 5 s to the interval on every slow_down

Sleep = Callable[[float], Awaitable[None]]


class SignInError(APIError):
    """Signing in failed; `error` is the OAuth code (`access_denied`, `invalid_grant`, ...)."""

    def __init__(self, message: str, error: str, *, status: int | None = None, request_id: str | None = None) -> None:
        super().__init__(message, status=status, code=error, type="oauth_error", request_id=request_id)

    @property
    def error(self) -> str:
        return self.code or "sign_in_failed"


class SignInDenied(SignInError):
    """The person declined the sign-in request."""


class SignInExpired(SignInError):
    """The sign-in request expired before it was approved."""


class SignedOut(SignInError, AuthenticationError):
    """The session is over (revoked, signed out elsewhere, or its refresh token expired): sign in again."""


# Messages a person can act on; the server's description is kept only for codes not listed here.
_MESSAGES = {
    "access_denied": (SignInDenied, "The sign-in request was declined. Start the sign-in again to continue."),
    "expired_token": (SignInExpired, "The sign-in request expired before it was approved; start it again."),
    "invalid_client": (
        SignInError,
        f"This Talkya does not accept the console's client id; check the base URL, or ask your admin to allow {CONSOLE_CLIENT_ID!r}.",
    ),
    "invalid_grant": (
        SignInError,
        "The sign-in code was refused (already used, expired or from another attempt); sign in again.",
    ),
}


def api_root(base_url: str) -> str:
    """`https://api.talkya.ai` or `.../v1` as the API root, without a trailing slash."""
    root = base_url.rstrip("/")
    return root if root.endswith(API_PREFIX) else root + API_PREFIX


def oauth_http(
    base_url: str,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
) -> httpx.AsyncClient:
    """An `httpx.AsyncClient` on the API root for the functions here; close it (`async with`) when done."""
    return httpx.AsyncClient(
        base_url=api_root(base_url) + "/",
        transport=transport,
        timeout=timeout,
        headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
    )


class UserTokens(BaseModel):
    """A staff member's tokens; `expires_at` is unix time. Only `to_storage` reveals the secrets."""

    model_config = ConfigDict(frozen=True)

    access_token: SecretStr
    refresh_token: SecretStr | None = None
    expires_at: float
    scope: str = ""
    # Whose tokens these are, filled in after `users.me()`, so a locked console knows whom to unlock.
    workspace: str | None = None
    user_id: str | None = None

    @classmethod
    def from_response(cls, token: AccessToken, *, now: float | None = None) -> UserTokens:
        """Tokens from a token endpoint answer."""
        issued = time.time() if now is None else now
        return cls(
            access_token=SecretStr(token.access_token),
            refresh_token=SecretStr(token.refresh_token) if token.refresh_token else None,
            expires_at=issued + token.expires_in,
            scope=token.scope,
        )

    def to_storage(self) -> str:
        """JSON with the secrets in clear, for the keyring or an owner-only file."""
        data: dict[str, Any] = self.model_dump()
        data["access_token"] = self.access_token.get_secret_value()
        data["refresh_token"] = self.refresh_token.get_secret_value() if self.refresh_token else None
        return json.dumps(data)

    @classmethod
    def from_storage(cls, text: str) -> UserTokens:
        """The inverse of `to_storage`; raises ValueError for anything else."""
        return cls.model_validate_json(text)


class DeviceAuthorization(BaseModel):
    """A pending device sign-in: show `verification_uri` and `user_code`, then `poll_device`."""

    model_config = ConfigDict(frozen=True)

    device_code: SecretStr
    user_code: str
    verification_uri: str
    verification_uri_complete: str | None = None
    expires_in: int
    interval: int = 5
    client_id: str = CONSOLE_CLIENT_ID


def new_pkce() -> tuple[str, str]:
    """A PKCE (verifier, S256 challenge) pair; the verifier is 86 characters."""
    verifier = secrets.token_urlsafe(64)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def authorize_url(
    base_url: str,
    *,
    workspace: str,
    redirect_uri: str,
    challenge: str,
    state: str,
    scope: str | None = None,
    client_id: str = CONSOLE_CLIENT_ID,
) -> str:
    """The sign-in page to open in the person's browser."""
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "state": state,
        "workspace": workspace,
    }
    if scope:
        params["scope"] = scope
    return f"{api_root(base_url)}/oauth/authorize?{urlencode(params)}"


async def exchange_code(
    http: httpx.AsyncClient, *, code: str, verifier: str, redirect_uri: str, client_id: str = CONSOLE_CLIENT_ID
) -> UserTokens:
    """The code from the redirect, with its PKCE verifier, for tokens."""
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "code_verifier": verifier,
        "client_id": client_id,
    }
    return await _token(http, form)


async def start_device(
    http: httpx.AsyncClient, *, workspace: str, scope: str | None = None, client_id: str = CONSOLE_CLIENT_ID
) -> DeviceAuthorization:
    """Ask for a device sign-in; the person approves it in a browser elsewhere."""
    form = {"client_id": client_id, "workspace": workspace}
    if scope:
        form["scope"] = scope
    body = await _post(http, "oauth/device_authorization", form)
    return DeviceAuthorization.model_validate({**body, "client_id": client_id})


async def poll_device(
    http: httpx.AsyncClient,
    device: DeviceAuthorization,
    *,
    sleep: Sleep = asyncio.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> UserTokens:
    """Poll until the person approves (tokens), declines (`SignInDenied`) or the request expires (`SignInExpired`)."""
    deadline = clock() + device.expires_in
    interval = float(max(device.interval, 1))
    form = {
        "grant_type": DEVICE_GRANT,
        "device_code": device.device_code.get_secret_value(),
        "client_id": device.client_id,
    }
    while True:
        await sleep(interval)
        try:
            return await _token(http, form)
        except SignInError as exc:
            if exc.error == "slow_down":
                interval += SLOW_DOWN_STEP
            elif exc.error != "authorization_pending":
                raise
        if clock() >= deadline:
            raise sign_in_error("expired_token")


async def refresh_tokens(http: httpx.AsyncClient, tokens: UserTokens, client_id: str = CONSOLE_CLIENT_ID) -> UserTokens:
    """New tokens for the refresh token (which the server rotates); a refused one raises `SignedOut`."""
    if tokens.refresh_token is None:
        raise SignedOut("This session cannot be renewed; sign in again.", "invalid_grant")
    form = {
        "grant_type": "refresh_token",
        "refresh_token": tokens.refresh_token.get_secret_value(),
        "client_id": client_id,
    }
    try:
        fresh = await _token(http, form)
    except SignInError as exc:
        if exc.error == "invalid_grant":
            raise SignedOut(
                "Your session has ended (signed out, revoked or expired); sign in again.",
                exc.error,
                status=exc.status,
                request_id=exc.request_id,
            ) from None
        raise
    # A server that does not rotate keeps the old refresh token valid.
    return fresh.model_copy(
        update={
            "refresh_token": fresh.refresh_token or tokens.refresh_token,
            "workspace": tokens.workspace,
            "user_id": tokens.user_id,
        }
    )


async def revoke(
    http: httpx.AsyncClient, token: str | SecretStr, hint: str, client_id: str = CONSOLE_CLIENT_ID
) -> None:
    """Revoke a token (RFC 7009); `hint` is `access_token` or `refresh_token`."""
    value = token.get_secret_value() if isinstance(token, SecretStr) else token
    await _post(http, "oauth/revoke", {"token": value, "token_type_hint": hint, "client_id": client_id})


async def _token(http: httpx.AsyncClient, form: dict[str, str]) -> UserTokens:
    body = await _post(http, "oauth/token", form)
    return UserTokens.from_response(AccessToken.model_validate(body))


async def _post(http: httpx.AsyncClient, path: str, form: dict[str, str]) -> dict[str, Any]:
    """POST a form; an OAuth error answer raises the matching `SignInError`."""
    try:
        response = await http.post(path, data=form)
    except httpx.TransportError as exc:
        raise ConnectionError(f"No response from Talkya: {type(exc).__name__}.", code="connection_error") from exc
    if response.is_success:
        body = response.json() if response.content else {}
        return body if isinstance(body, dict) else {}
    raise _sign_in_error(response)


def sign_in_error(
    error: str, description: str | None = None, *, status: int | None = None, request_id: str | None = None
) -> SignInError:
    """The typed error for an OAuth error code (from the token endpoint or a redirect's `error=`)."""
    kind, message = _MESSAGES.get(error, (SignInError, f"Sign-in failed: {description or error}"))
    return kind(message, error, status=status, request_id=request_id)


def _sign_in_error(response: httpx.Response) -> SignInError:
    fields = error_fields(response)
    code = str(fields.get("code") or "sign_in_failed")
    return sign_in_error(code, fields["message"], status=response.status_code, request_id=fields.get("request_id"))

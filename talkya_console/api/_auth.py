"""Credentials: an API key, OAuth client credentials, or a signed-in staff member's tokens; tokens are renewed
before they expire. Secrets live in `SecretStr`, so no repr, log line or traceback shows them."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence

from pydantic import SecretStr

from talkya_console.api._constants import TOKEN_REFRESH_MARGIN
from talkya_console.api.oauth import SignedOut, UserTokens
from talkya_console.wire import AccessToken

log = logging.getLogger("talkya.api")

TokenFetcher = Callable[[dict[str, str]], Awaitable[AccessToken]]
TokenRefresher = Callable[[UserTokens], Awaitable[UserTokens]]


class ApiKeyAuth:
    """A workspace API key (`tk_test_...`, `tk_live_...`), sent as a bearer token."""

    can_refresh = False

    def __init__(self, api_key: str | SecretStr) -> None:
        key = api_key.get_secret_value() if isinstance(api_key, SecretStr) else api_key
        if not key:
            raise ValueError("api_key is empty.")
        self._header = SecretStr(f"Bearer {key}")

    async def authorization(self) -> str:
        """The Authorization header value."""
        return self._header.get_secret_value()

    async def invalidate(self, used: str) -> None:
        """A key cannot be renewed; a refused key stays refused."""

    def __repr__(self) -> str:
        return "ApiKeyAuth(api_key=SecretStr('**********'))"


class ClientCredentialsAuth:
    """OAuth client credentials, exchanged at `/v1/oauth/token`; one exchange at a time under a lock."""

    can_refresh = True

    def __init__(
        self,
        client_id: str,
        client_secret: str | SecretStr,
        scopes: Sequence[str] | str | None,
        fetch: TokenFetcher,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client_id = client_id
        self._secret = client_secret if isinstance(client_secret, SecretStr) else SecretStr(client_secret)
        self.scope = scopes if isinstance(scopes, str) else " ".join(scopes or ())
        self._fetch = fetch
        self._clock = clock
        self._lock = asyncio.Lock()
        self._header: SecretStr | None = None
        self._renew_at = 0.0

    async def authorization(self) -> str:
        """The Authorization header value, exchanging or renewing the token first when it is due."""
        header = self._header
        if header is None or self._clock() >= self._renew_at:
            async with self._lock:
                # Another call may have renewed it while this one waited for the lock.
                if self._header is None or self._clock() >= self._renew_at:
                    await self._renew()
            header = self._header
        assert header is not None
        return header.get_secret_value()

    async def invalidate(self, used: str) -> None:
        """Forget the token a 401 refused, unless another call has renewed it meanwhile."""
        if self._header is not None and self._header.get_secret_value() == used:
            self._header = None

    async def _renew(self) -> None:
        started = self._clock()
        form = {
            "grant_type": "client_credentials",
            "client_id": self.client_id,
            "client_secret": self._secret.get_secret_value(),
        }
        if self.scope:
            form["scope"] = self.scope
        token = await self._fetch(form)
        margin = min(TOKEN_REFRESH_MARGIN, token.expires_in / 2)
        self._header = SecretStr(f"Bearer {token.access_token}")
        self._renew_at = started + token.expires_in - margin

    def __repr__(self) -> str:
        return f"ClientCredentialsAuth(client_id={self.client_id!r}, client_secret=SecretStr('**********'))"


class UserTokenAuth:
    """A staff member's tokens: the access token is sent, and renewed with the refresh token (one renewal at a
    time, under a lock) near expiry or after a 401. The server rotates refresh tokens, so every renewal is
    handed to `on_tokens` for the caller to persist."""

    can_refresh = True

    def __init__(
        self,
        tokens: UserTokens,
        refresh: TokenRefresher,
        on_tokens: Callable[[UserTokens], object] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._tokens = tokens
        self._refresh = refresh
        self._on_tokens = on_tokens
        self._clock = clock  # wall clock: expires_at is unix time, and survives a restart
        self._lock = asyncio.Lock()
        self._stale = False
        self._signed_out: SignedOut | None = None

    @property
    def tokens(self) -> UserTokens:
        """The current tokens (after any renewal)."""
        return self._tokens

    def _due(self) -> bool:
        return self._stale or self._clock() >= self._tokens.expires_at - TOKEN_REFRESH_MARGIN

    async def authorization(self) -> str:
        """The Authorization header value, renewing the tokens first when due; raises `SignedOut` once refused."""
        if self._signed_out is None and self._due():
            async with self._lock:
                # Another call may have renewed them while this one waited for the lock.
                if self._signed_out is None and self._due():
                    await self._renew()
        if self._signed_out is not None:
            raise SignedOut(self._signed_out.message, self._signed_out.error)  # fresh: no traceback piles up
        return f"Bearer {self._tokens.access_token.get_secret_value()}"

    async def invalidate(self, used: str) -> None:
        """Renew before the next call, unless another call has renewed since `used` was sent."""
        if used == f"Bearer {self._tokens.access_token.get_secret_value()}":
            self._stale = True

    def signed_out(self, reason: SignedOut) -> None:
        """Refuse every later call with `reason` (after a sign-out or a refused renewal)."""
        self._signed_out = reason

    async def _renew(self) -> None:
        try:
            fresh = await self._refresh(self._tokens)
        except SignedOut as exc:
            self._signed_out = exc
            raise
        self._tokens = fresh
        self._stale = False
        if self._on_tokens is not None:
            try:
                self._on_tokens(fresh)
            except Exception as exc:
                # The session goes on; only a restart would need the unsaved refresh token.
                log.warning("could not save the renewed sign-in tokens: %s", type(exc).__name__)

    def __repr__(self) -> str:
        return f"UserTokenAuth(user_id={self._tokens.user_id!r}, tokens=SecretStr('**********'))"


Auth = ApiKeyAuth | ClientCredentialsAuth | UserTokenAuth

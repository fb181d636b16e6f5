"""Credentials: API keys and OAuth tokens, hashed at rest; the principal a request acts as."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from talkya_console.sandbox.db import Database
from talkya_console.sandbox.errors import ApiError

WWW_AUTH = 'Bearer realm="talkya"'
ANY_WORKSPACE = "*"  # a client whose tokens take their workspace from the user who signs in


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class Principal:
    workspace_id: str
    scopes: frozenset[str]
    actor_type: str  # api_key | oauth_client | user
    actor_id: str
    user_id: str | None = None
    credential_hash: str = field(default="", repr=False)

    def require(self, scope: str) -> None:
        if scope not in self.scopes:
            raise ApiError(
                403,
                "insufficient_scope",
                f"This credential lacks the '{scope}' scope needed for this request.",
            )


def _unauthorized(code: str, message: str) -> ApiError:
    return ApiError(401, code, message, headers={"WWW-Authenticate": f'{WWW_AUTH}, error="invalid_token"'})


class Authenticator:
    """Looks credentials up by hash, with a small cache so the hot path is one dict lookup."""

    CACHE_SECONDS = 30.0

    def __init__(self, db: Database) -> None:
        self.db = db
        # digest -> (cached until, by time.monotonic; the token's expiry by `clock`, None for keys; principal)
        self._cache: dict[str, tuple[float, float | None, Principal]] = {}
        # Expiries are set and checked by this clock (the sandbox hands it `Limits.clock`).
        self.clock: Callable[[], float] = time.time

    def forget(self) -> None:
        self._cache.clear()

    def evict(self, digests: Iterable[str]) -> None:
        """Drop revoked credentials from the cache, so they are refused at once."""
        for digest in digests:
            self._cache.pop(digest, None)

    def authenticate(self, authorization: str | None) -> Principal:
        if not authorization:
            raise ApiError(
                401,
                "missing_credentials",
                "Send your API key or access token as 'Authorization: Bearer <key>'.",
                headers={"WWW-Authenticate": WWW_AUTH},
            )
        scheme, _, token = authorization.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise _unauthorized("invalid_authorization", "The Authorization header must be 'Bearer <key>'.")
        digest = hash_secret(token)
        cached = self._cache.get(digest)
        now = time.monotonic()
        # A cached token is good until its own expiry, not for the whole cache lifetime.
        if cached and cached[0] > now and (cached[1] is None or cached[1] > self.clock()):
            return cached[2]
        principal, expires_at = self._lookup(digest)
        self._cache[digest] = (now + self.CACHE_SECONDS, expires_at, principal)
        return principal

    def _lookup(self, digest: str) -> tuple[Principal, float | None]:
        row = self.db.conn.execute(
            "SELECT workspace_id, scopes, name, user_id FROM api_keys WHERE hash = ? AND revoked = 0",
            (digest,),
        ).fetchone()
        if row:
            return Principal(row[0], frozenset(row[1].split()), "api_key", row[2], row[3], digest), None
        row = self.db.conn.execute(
            "SELECT workspace_id, scopes, client_id, user_id, expires_at FROM tokens "
            "WHERE hash = ? AND kind = 'access' AND revoked = 0",
            (digest,),
        ).fetchone()
        if row is None:
            raise _unauthorized("invalid_api_key", "The API key or token is not valid.")
        if row[4] < self.clock():
            raise _unauthorized("invalid_token", "The access token has expired; request a new one.")
        actor_type, actor_id = ("user", row[3]) if row[3] else ("oauth_client", row[2])
        return Principal(row[0], frozenset(row[1].split()), actor_type, actor_id, row[3], digest), row[4]

    # -- provisioning ------------------------------------------------------------------------
    def add_key(
        self, key: str, workspace_id: str, name: str, scopes: list[str] | tuple[str, ...], user_id: str | None = None
    ) -> None:
        with self.db.tx():
            self.db.conn.execute(
                "INSERT OR REPLACE INTO api_keys (hash, workspace_id, name, scopes, user_id, created_at) "
                "VALUES (?, ?, ?, ?, ?, datetime('now'))",
                (hash_secret(key), workspace_id, name, " ".join(scopes), user_id),
            )

    def add_client(
        self,
        client_id: str,
        secret: str | None,
        workspace_id: str,
        scopes: list[str] | tuple[str, ...],
        redirect_uris: list[str] | None = None,
        name: str | None = None,
    ) -> None:
        """A confidential client, or with `secret=None` a public one (no secret: it never
        authenticates, PKCE protects its codes). `workspace_id` may be `ANY_WORKSPACE`."""
        with self.db.tx():
            self.db.conn.execute(
                "INSERT OR REPLACE INTO oauth_clients (client_id, secret_hash, workspace_id, scopes, redirect_uris, name) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (
                    client_id,
                    hash_secret(secret) if secret is not None else "",
                    workspace_id,
                    " ".join(scopes),
                    json.dumps(redirect_uris or []),
                    name or client_id,
                ),
            )

    def issue_token(
        self,
        token: str,
        kind: str,
        workspace_id: str,
        scopes: str,
        ttl: float,
        client_id: str | None = None,
        user_id: str | None = None,
        data: dict | None = None,
    ) -> None:
        with self.db.tx():
            self.db.conn.execute(
                "INSERT INTO tokens (hash, kind, workspace_id, client_id, user_id, scopes, expires_at, data) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    hash_secret(token),
                    kind,
                    workspace_id,
                    client_id,
                    user_id,
                    scopes,
                    self.clock() + ttl,
                    json.dumps(data or {}),
                ),
            )

"""How staff sign in (RFC 8252, RFC 7636): the clients, the sign-in page's pending requests,
authorization codes, refresh-token rotation, token families and revocation (RFC 7009). The
routes (routes/oauth.py for JSON, routes/oauth_pages.py for the browser) keep to HTTP.

Every credential is stored as its SHA-256 in `tokens` (kinds `authorize_request`, `code`,
`access`, `refresh`). The tokens issued from one grant (a code or a device approval) and all
their refreshes share a family id in `tokens.data.family`: replaying a spent code or an
already rotated refresh token, or revoking a refresh token, revokes the whole family."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
from dataclasses import dataclass
from typing import Any

from talkya_console.sandbox.auth import ANY_WORKSPACE, hash_secret
from talkya_console.sandbox.context import Sandbox
from talkya_console.sandbox.db import Database
from talkya_console.wire.users import User

# RFC 8252 section 7.3: a loopback redirect matches whatever port the app listens on this time.
_LOOPBACK = re.compile(r"http://(127\.0\.0\.1|\[::1\]|localhost)(?::(\d{1,5}))?(/[^?#]*)")
_CHALLENGE = re.compile(r"[A-Za-z0-9._~-]{43,128}")  # RFC 7636 section 4.2
_PURGE_AFTER = 24 * 3600.0  # spent and expired one-time rows are kept a day, then dropped


class GrantError(Exception):
    """An RFC 6749 section 5.2 error; the description never names a credential."""

    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error = error
        self.description = description


# -- clients ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Client:
    client_id: str
    name: str
    secret_hash: str
    workspace_id: str  # ANY_WORKSPACE: the workspace comes from the user who signs in
    scopes: tuple[str, ...]
    redirect_uris: tuple[str, ...]

    @property
    def public(self) -> bool:
        return not self.secret_hash

    def secret_matches(self, secret: str | None) -> bool:
        return bool(self.secret_hash and secret) and hmac.compare_digest(self.secret_hash, hash_secret(secret or ""))

    def redirect_allowed(self, uri: str) -> bool:
        if uri in self.redirect_uris:
            return True
        key = _loopback_key(uri)
        return key is not None and key in {_loopback_key(r) for r in self.redirect_uris}

    def grant_scopes(self, requested: Any) -> str | None:
        """The scopes asked for (all the client's when none are), or None when they exceed it."""
        asked = list(dict.fromkeys(str(requested or "").split())) or list(self.scopes)
        return " ".join(asked) if set(asked) <= set(self.scopes) else None

    def grant_workspace(self, db: Database, requested: Any) -> str | None:
        """The workspace a sign-in is for: the one asked for (a must for an any-workspace
        client), else the client's own; None when it is unknown or not the client's."""
        wanted = str(requested or "") or (self.workspace_id if self.workspace_id != ANY_WORKSPACE else "")
        if not wanted or self.workspace_id not in (ANY_WORKSPACE, wanted):
            return None
        return wanted if workspace_name(db, wanted) is not None else None


def _loopback_key(uri: str) -> str | None:
    match = _LOOPBACK.fullmatch(uri)
    if match is None or (match[2] is not None and not 0 < int(match[2]) < 65536):
        return None
    return f"http://{match[1]}{match[3]}"


def get_client(db: Database, client_id: Any) -> Client | None:
    if not client_id or not isinstance(client_id, str):
        return None
    row = db.conn.execute(
        "SELECT client_id, name, secret_hash, workspace_id, scopes, redirect_uris FROM oauth_clients "
        "WHERE client_id = ?",
        (client_id,),
    ).fetchone()
    if row is None:
        return None
    return Client(row[0], row[1], row[2], row[3], tuple(row[4].split()), tuple(json.loads(row[5] or "[]")))


def valid_challenge(challenge: Any, method: Any) -> str | None:
    """Why a PKCE challenge is refused, or None; only S256 is accepted (plain is not)."""
    if not challenge or not _CHALLENGE.fullmatch(str(challenge)):
        return "code_challenge is required: 43 to 128 characters of base64url (RFC 7636)."
    if method != "S256":
        return "code_challenge_method must be S256; plain is not accepted."
    return None


# -- the workspace and its staff -------------------------------------------------------------
def workspace_name(db: Database, workspace_id: str) -> str | None:
    row = db.conn.execute("SELECT name FROM workspaces WHERE id = ?", (workspace_id,)).fetchone()
    return row[0] if row else None


def staff(db: Database, workspace_id: str) -> list[User]:
    """The workspace's active staff, in directory order."""
    return [u for u in reversed(db.all("user", workspace_id, User)) if u.active]


def is_staff(db: Database, workspace_id: str, user_id: Any) -> bool:
    if not user_id or not isinstance(user_id, str):
        return False
    user = db.get("user", workspace_id, user_id, User)
    return user is not None and user.active


# -- stored one-time credentials -------------------------------------------------------------
@dataclass(frozen=True)
class Stored:
    digest: str
    kind: str
    workspace_id: str
    client_id: str | None
    user_id: str | None
    scopes: str
    expires_at: float
    data: dict[str, Any]
    revoked: bool

    @property
    def family(self) -> str | None:
        return self.data.get("family")


def find(db: Database, value: Any, kinds: tuple[str, ...]) -> Stored | None:
    if not value or not isinstance(value, str):
        return None
    digest = hash_secret(value)
    marks = ", ".join("?" for _ in kinds)
    row = db.conn.execute(
        "SELECT kind, workspace_id, client_id, user_id, scopes, expires_at, data, revoked FROM tokens "
        f"WHERE hash = ? AND kind IN ({marks})",
        (digest, *kinds),
    ).fetchone()
    if row is None:
        return None
    return Stored(digest, row[0], row[1], row[2], row[3], row[4], row[5], json.loads(row[6] or "{}"), bool(row[7]))


def spend(sandbox: Sandbox, stored: Stored) -> bool:
    """Mark a credential used; False when it already was (a concurrent or replayed use)."""
    cursor = sandbox.db.conn.execute("UPDATE tokens SET revoked = 1 WHERE hash = ? AND revoked = 0", (stored.digest,))
    sandbox.auth.evict([stored.digest])
    return cursor.rowcount == 1


def purge(sandbox: Sandbox) -> None:
    """Drop sign-in rows that expired a day ago (codes, pending requests, device grants)."""
    cutoff = sandbox.limits.clock() - _PURGE_AFTER
    with sandbox.db.tx():
        sandbox.db.conn.execute(
            "DELETE FROM tokens WHERE kind IN ('authorize_request', 'code') AND expires_at < ?", (cutoff,)
        )
        sandbox.db.conn.execute("DELETE FROM device_grants WHERE expires_at < ?", (cutoff,))


# -- the sign-in page's pending request ------------------------------------------------------
@dataclass(frozen=True)
class AuthorizeRequest:
    """What `GET /authorize` validated, kept server-side until the user decides."""

    stored: Stored

    @property
    def redirect_uri(self) -> str:
        return str(self.stored.data["redirect_uri"])

    @property
    def state(self) -> str | None:
        return self.stored.data.get("state")


def open_request(
    sandbox: Sandbox,
    client: Client,
    workspace_id: str,
    scopes: str,
    redirect_uri: str,
    code_challenge: str,
    state: str | None,
) -> str:
    purge(sandbox)
    request_id = "ar_" + secrets.token_urlsafe(24)
    data = {"redirect_uri": redirect_uri, "code_challenge": code_challenge, "state": state}
    ttl = sandbox.limits.code_ttl
    sandbox.auth.issue_token(request_id, "authorize_request", workspace_id, scopes, ttl, client.client_id, None, data)
    return request_id


def find_request(sandbox: Sandbox, request_id: Any) -> AuthorizeRequest | None:
    stored = find(sandbox.db, request_id, ("authorize_request",))
    if stored is None or stored.revoked or stored.expires_at <= sandbox.limits.clock():
        return None
    return AuthorizeRequest(stored)


def issue_code(sandbox: Sandbox, request: AuthorizeRequest, user_id: str) -> str | None:
    """Spend the pending request for an authorization code bound to everything it asked for."""
    if not spend(sandbox, request.stored):
        return None
    pending = request.stored
    code = "tk_ac_" + secrets.token_urlsafe(32)
    data = {
        "redirect_uri": pending.data["redirect_uri"],
        "code_challenge": pending.data["code_challenge"],
        "family": new_family(),
    }
    ttl = sandbox.limits.code_ttl
    sandbox.auth.issue_token(code, "code", pending.workspace_id, pending.scopes, ttl, pending.client_id, user_id, data)
    return code


def deny_request(sandbox: Sandbox, request: AuthorizeRequest) -> bool:
    return spend(sandbox, request.stored)


# -- tokens and their families ---------------------------------------------------------------
def new_family() -> str:
    return "fam_" + secrets.token_hex(12)


def issue_tokens(
    sandbox: Sandbox,
    workspace_id: str,
    scopes: str,
    client_id: str,
    user_id: str | None = None,
    family: str | None = None,
    refresh_scopes: str | None = None,
) -> dict[str, Any]:
    """An access token; a staff member's sign-in (a family) also gets a refresh token (of
    `refresh_scopes`, by default the same), and its access tokens live `user_token_ttl`
    rather than the client credentials' `token_ttl`."""
    limits = sandbox.limits
    ttl = limits.user_token_ttl if user_id else limits.token_ttl
    data = {"family": family} if family else None
    access = "tk_at_" + secrets.token_urlsafe(32)
    # Positional on purpose: tests wrap issue_token with a positional-only stand-in.
    sandbox.auth.issue_token(access, "access", workspace_id, scopes, ttl, client_id, user_id, data)
    body: dict[str, Any] = {"access_token": access, "token_type": "Bearer", "expires_in": ttl, "scope": scopes}
    if family:
        refresh = "tk_rt_" + secrets.token_urlsafe(32)
        ttl = limits.refresh_token_ttl
        kept = refresh_scopes or scopes
        sandbox.auth.issue_token(refresh, "refresh", workspace_id, kept, ttl, client_id, user_id, data)
        body["refresh_token"] = refresh
    return body


def revoke_family(sandbox: Sandbox, family: str | None) -> None:
    """Revoke every token of a sign-in, and forget any cached principal of them."""
    if not family:
        return
    db = sandbox.db
    with db.tx():
        digests = [
            r[0]
            for r in db.conn.execute(
                "SELECT hash FROM tokens WHERE json_extract(data, '$.family') = ? AND revoked = 0", (family,)
            )
        ]
        db.conn.execute("UPDATE tokens SET revoked = 1 WHERE json_extract(data, '$.family') = ?", (family,))
        db.conn.execute("UPDATE device_grants SET status = 'spent' WHERE family = ?", (family,))
    sandbox.auth.evict(digests)


def revoke(sandbox: Sandbox, value: Any, client: Client) -> None:
    """RFC 7009: a refresh token takes its family with it; an access token goes alone. Unknown
    tokens, and tokens of another client, are left alone without saying so."""
    stored = find(sandbox.db, value, ("access", "refresh"))
    if stored is None or stored.client_id != client.client_id:
        return
    if stored.kind == "refresh" and stored.family:
        revoke_family(sandbox, stored.family)
    else:
        spend(sandbox, stored)


def redeem_code(sandbox: Sandbox, client: Client, params: dict[str, Any]) -> dict[str, Any]:
    code, verifier = params.get("code"), params.get("code_verifier")
    if not code or not verifier:
        raise GrantError("invalid_request", "code and code_verifier are required.")
    stored = find(sandbox.db, code, ("code",))
    if stored is None or stored.client_id != client.client_id:
        raise GrantError("invalid_grant", "The authorization code is invalid, used or expired.")
    if stored.revoked:  # a replay: whoever holds the first redemption's tokens loses them too
        revoke_family(sandbox, stored.family)
        raise GrantError("invalid_grant", "The authorization code is invalid, used or expired.")
    if stored.expires_at <= sandbox.limits.clock():
        raise GrantError("invalid_grant", "The authorization code is invalid, used or expired.")
    if stored.data.get("redirect_uri") != params.get("redirect_uri"):
        raise GrantError("invalid_grant", "redirect_uri does not match the authorization request.")
    if not verify_pkce(str(verifier), str(stored.data.get("code_challenge", ""))):
        raise GrantError("invalid_grant", "The code_verifier does not match the code_challenge.")
    if not spend(sandbox, stored):
        raise GrantError("invalid_grant", "The authorization code is invalid, used or expired.")
    family = stored.family or new_family()
    return issue_tokens(sandbox, stored.workspace_id, stored.scopes, client.client_id, stored.user_id, family)


def refresh(sandbox: Sandbox, client: Client, params: dict[str, Any]) -> dict[str, Any]:
    """Rotate: the refresh token is spent and a new pair issued in the same family. Presenting
    one already rotated means it leaked (or a client lost an answer): the family is revoked."""
    value = params.get("refresh_token")
    if not value:
        raise GrantError("invalid_request", "refresh_token is required.")
    stored = find(sandbox.db, value, ("refresh",))
    if stored is None or stored.client_id != client.client_id:
        raise GrantError("invalid_grant", "The refresh token is invalid, used or revoked.")
    if stored.revoked:
        revoke_family(sandbox, stored.family)
        raise GrantError("invalid_grant", "The refresh token is invalid, used or revoked.")
    if stored.expires_at <= sandbox.limits.clock():
        raise GrantError("invalid_grant", "The refresh token has expired; sign in again.")
    scopes = stored.scopes
    if params.get("scope"):  # RFC 6749 section 6: the access token may be narrower; the refresh token is not
        asked = list(dict.fromkeys(str(params["scope"]).split()))
        if not set(asked) <= set(scopes.split()):
            raise GrantError("invalid_scope", "The requested scope exceeds the original grant.")
        scopes = " ".join(asked)
    if not spend(sandbox, stored):
        raise GrantError("invalid_grant", "The refresh token is invalid, used or revoked.")
    family = stored.family or new_family()
    return issue_tokens(sandbox, stored.workspace_id, scopes, client.client_id, stored.user_id, family, stored.scopes)


def verify_pkce(verifier: str, challenge: str) -> bool:
    digest = hashlib.sha256(verifier.encode()).digest()
    computed = base64.urlsafe_b64encode(digest).decode().rstrip("=")
    return hmac.compare_digest(computed, challenge)

"""The device authorization grant (RFC 8628), stored in `device_grants`: the terminal gets a
device code to poll with and a short user code the staff member types into a browser.

Both codes are stored hashed. A grant is `pending` until the staff member allows (`approved`)
or denies (`denied`) it; redeeming an approved grant makes it `spent`. The family its tokens
will share is chosen when the grant opens."""

from __future__ import annotations

import secrets
import sqlite3
from dataclasses import dataclass
from typing import Any

from talkya_console.sandbox.auth import hash_secret
from talkya_console.sandbox.context import Sandbox
from talkya_console.sandbox.grants import Client, GrantError, issue_tokens, new_family, purge, revoke_family

USER_CODE_ALPHABET = "BCDFGHJKLMNPQRSTVWXZ"  # no vowels (no words), nothing to confuse with a digit
SLOW_DOWN_STEP = 5  # RFC 8628 section 3.5


@dataclass(frozen=True)
class DeviceGrant:
    digest: str
    client_id: str
    workspace_id: str
    scopes: str
    family: str
    expires_at: float
    interval: float
    last_poll: float | None
    status: str
    user_id: str | None


_COLUMNS = "hash, client_id, workspace_id, scopes, family, expires_at, poll_interval, last_poll, status, user_id"


def normalize_user_code(text: Any) -> str | None:
    """The 8 letters of a user code as typed: any case, with or without the dash or spaces."""
    if not isinstance(text, str):
        return None
    letters = "".join(text.split()).replace("-", "").upper()
    return letters if len(letters) == 8 and all(c in USER_CODE_ALPHABET for c in letters) else None


def open_grant(sandbox: Sandbox, client: Client, workspace_id: str, scopes: str) -> tuple[str, str]:
    """A new pending grant; returns the device code and the user code (`XXXX-XXXX`)."""
    purge(sandbox)
    limits = sandbox.limits
    device_code = "tk_dc_" + secrets.token_urlsafe(32)
    while True:
        letters = "".join(secrets.choice(USER_CODE_ALPHABET) for _ in range(8))
        try:
            sandbox.db.conn.execute(
                f"INSERT INTO device_grants ({_COLUMNS}, user_code_hash) VALUES (?, ?, ?, ?, ?, ?, ?, NULL, 'pending', NULL, ?)",
                (
                    hash_secret(device_code),
                    client.client_id,
                    workspace_id,
                    scopes,
                    new_family(),
                    limits.clock() + limits.device_code_ttl,
                    float(limits.device_interval),
                    hash_secret(letters),
                ),
            )
        except sqlite3.IntegrityError:  # the user code is taken (1 in 25 billion): draw again
            continue
        return device_code, f"{letters[:4]}-{letters[4:]}"


def _row(sandbox: Sandbox, column: str, digest: str) -> DeviceGrant | None:
    row = sandbox.db.conn.execute(f"SELECT {_COLUMNS} FROM device_grants WHERE {column} = ?", (digest,)).fetchone()
    return DeviceGrant(*row) if row else None


def pending_by_user_code(sandbox: Sandbox, user_code: Any) -> DeviceGrant | None:
    """The grant a typed user code names, while it still waits for a decision."""
    letters = normalize_user_code(user_code)
    grant = _row(sandbox, "user_code_hash", hash_secret(letters)) if letters else None
    if grant is None or grant.status != "pending" or grant.expires_at <= sandbox.limits.clock():
        return None
    return grant


def decide(sandbox: Sandbox, grant: DeviceGrant, user_id: str | None) -> bool:
    """Approve as `user_id`, or deny with None; False when it was decided (or expired) meanwhile."""
    status = "approved" if user_id else "denied"
    cursor = sandbox.db.conn.execute(
        "UPDATE device_grants SET status = ?, user_id = ? WHERE hash = ? AND status = 'pending' AND expires_at > ?",
        (status, user_id, grant.digest, sandbox.limits.clock()),
    )
    return cursor.rowcount == 1


def redeem(sandbox: Sandbox, client: Client, device_code: Any) -> dict[str, Any]:
    """One poll of the token endpoint (RFC 8628 section 3.5): tokens once approved, else why not."""
    if not device_code or not isinstance(device_code, str):
        raise GrantError("invalid_request", "device_code is required.")
    grant = _row(sandbox, "hash", hash_secret(device_code))
    if grant is None or grant.client_id != client.client_id:
        raise GrantError("invalid_grant", "The device code is invalid.")
    if grant.status == "spent":  # a replay: the tokens it was redeemed for go too
        revoke_family(sandbox, grant.family)
        raise GrantError("invalid_grant", "The device code was already used.")
    now = sandbox.limits.clock()
    if grant.expires_at <= now:
        raise GrantError("expired_token", "The device code has expired; start the sign-in again.")
    if grant.status == "denied":
        raise GrantError("access_denied", "The sign-in was denied.")
    if grant.status == "pending":
        too_soon = grant.last_poll is not None and now - grant.last_poll < grant.interval
        interval = grant.interval + SLOW_DOWN_STEP if too_soon else grant.interval
        sandbox.db.conn.execute(
            "UPDATE device_grants SET last_poll = ?, poll_interval = ? WHERE hash = ?", (now, interval, grant.digest)
        )
        if too_soon:
            raise GrantError("slow_down", f"Polling too often; wait {interval:g} seconds between requests.")
        raise GrantError("authorization_pending", "The sign-in has not been approved yet.")
    cursor = sandbox.db.conn.execute(
        "UPDATE device_grants SET status = 'spent' WHERE hash = ? AND status = 'approved'", (grant.digest,)
    )
    if cursor.rowcount != 1 or not grant.user_id:
        raise GrantError("invalid_grant", "The device code was already used.")
    return issue_tokens(sandbox, grant.workspace_id, grant.scopes, client.client_id, grant.user_id, grant.family)

"""Relay tokens: `rt_...`, bound to one workspace, stored as SHA-256 hashes."""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from talkya_console.relay.log import EventLog

PREFIX = "rt_"
ID_PREFIX = "rtk_"
ID_LENGTH = 12  # hex digits of the hash: what `token list` shows and `token revoke` takes
_ID = re.compile(rf"^{ID_PREFIX}([0-9a-f]{{{ID_LENGTH}}})$")


@dataclass(frozen=True)
class TokenInfo:
    """What `relay token list` shows: never the token, only an id derived from its hash."""

    id: str
    workspace_id: str
    label: str | None
    created_at: float
    last_used_at: float | None


def token_id(token_hash: str) -> str:
    return ID_PREFIX + token_hash[:ID_LENGTH]


def hash_token(token: str) -> str:
    """The stored form: tokens are high-entropy, so a plain SHA-256 is enough (no slow KDF needed)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    return PREFIX + secrets.token_urlsafe(32)


def issue_token(log: EventLog, workspace_id: str, label: str | None = None) -> str:
    """Mint a token for the workspace; only its hash is stored, so it is shown once."""
    token = new_token()
    log.add_token(hash_token(token), workspace_id, label)
    return token


def create_token(db_path: Path | str, workspace_id: str, label: str | None = None) -> str:
    """`relay token create`: open the relay's database, mint, close."""
    log = EventLog(db_path)
    try:
        return issue_token(log, workspace_id, label)
    finally:
        log.close()


def list_tokens(db_path: Path | str, workspace_id: str | None = None) -> list[TokenInfo]:
    log = EventLog(db_path)
    try:
        rows = log.tokens()
    finally:
        log.close()
    return [
        TokenInfo(token_id(token_hash), ws, label, created, used)
        for token_hash, ws, label, created, used in rows
        if workspace_id is None or ws == workspace_id
    ]


def revoke_token(db_path: Path | str, ident: str) -> bool:
    """Delete the token with id `rtk_…` (or given as the token itself); a running relay cuts its
    streams within one ping interval. False when there is no such token."""
    if ident.startswith(PREFIX):
        prefix = hash_token(ident)
    else:
        match = _ID.match(ident)
        if match is None:
            return False
        prefix = match.group(1)
    log = EventLog(db_path)
    try:
        return log.delete_tokens(prefix) > 0
    finally:
        log.close()


def describe_age(then: float | None, now: float | None = None) -> str:
    """'never', 'just now', '5 min ago', '3 h ago', '2 d ago'."""
    if then is None:
        return "never"
    seconds = max(0.0, (time.time() if now is None else now) - then)
    if seconds < 60:
        return "just now"
    for size, unit in ((86400, "d"), (3600, "h"), (60, "min")):
        if seconds >= size:
            return f"{int(seconds // size)} {unit} ago"
    return "just now"


def token_workspace(log: EventLog, token: str) -> str | None:
    """The workspace a presented token is bound to, or None."""
    if not token.startswith(PREFIX) or len(token) > 200:
        return None
    return log.token_workspace(hash_token(token))

"""Relay tokens: `rt_...`, bound to one workspace, stored as SHA-256 hashes."""

from __future__ import annotations

import hashlib
import secrets
from pathlib import Path

from talkya_console.relay.log import EventLog

PREFIX = "rt_"


def hash_token(token: str) -> str:
    """The stored form: tokens are high-entropy, so a plain SHA-256 is enough (no slow KDF needed)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    return PREFIX + secrets.token_urlsafe(32)


def issue_token(log: EventLog, workspace_id: str) -> str:
    """Mint a token for the workspace; only its hash is stored, so it is shown once."""
    token = new_token()
    log.add_token(hash_token(token), workspace_id)
    return token


def create_token(db_path: Path | str, workspace_id: str) -> str:
    """`relay token create`: open the relay's database, mint, close."""
    log = EventLog(db_path)
    try:
        return issue_token(log, workspace_id)
    finally:
        log.close()


def token_workspace(log: EventLog, token: str) -> str | None:
    """The workspace a presented token is bound to, or None."""
    if not token.startswith(PREFIX) or len(token) > 200:
        return None
    return log.token_workspace(hash_token(token))

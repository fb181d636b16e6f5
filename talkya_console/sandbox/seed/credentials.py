"""The contract's well-known demo workspaces and credentials, as stripe-mock has."""

from __future__ import annotations

import json
from dataclasses import dataclass

from talkya_console.sandbox.auth import ANY_WORKSPACE, Authenticator
from talkya_console.sandbox.db import Database
from talkya_console.wire.users import ALL_SCOPES, READ_SCOPES

TRUEBLISS = "ws_truebliss"
NORTHSIDE = "ws_northside"
DEMO_KEY = "tk_test_truebliss"
DEMO_READONLY_KEY = "tk_test_truebliss_readonly"
DEMO_CLIENT_ID = "client_truebliss"
DEMO_CLIENT_SECRET = "secret_truebliss"
NORTHSIDE_KEY = "tk_test_northside"
# The console's public client (RFC 8252): no secret, any workspace (the signing-in user's), and
# loopback redirects on whatever port the console listens on that time.
CONSOLE_CLIENT_ID = "talkya-console"
CONSOLE_CLIENT_NAME = "Talkya Console"
CONSOLE_REDIRECT_URIS = ["http://127.0.0.1/callback", "http://[::1]/callback", "http://localhost/callback"]


@dataclass(frozen=True)
class WorkspaceSeed:
    id: str
    name: str


WORKSPACES = (
    WorkspaceSeed(TRUEBLISS, "TrueBliss Med Spa & Wellness"),
    WorkspaceSeed(NORTHSIDE, "Northside Family Clinic"),
)


def seed_credentials(db: Database, auth: Authenticator) -> None:
    with db.tx():
        for ws in WORKSPACES:
            db.conn.execute(
                "INSERT OR IGNORE INTO workspaces (id, name, created_at) VALUES (?, ?, datetime('now'))",
                (ws.id, ws.name),
            )
        auth.add_key(DEMO_KEY, TRUEBLISS, "demo (all scopes)", ALL_SCOPES)
        auth.add_key(DEMO_READONLY_KEY, TRUEBLISS, "demo (read only)", READ_SCOPES)
        auth.add_key(NORTHSIDE_KEY, NORTHSIDE, "northside demo", ALL_SCOPES)
        auth.add_client(
            DEMO_CLIENT_ID,
            DEMO_CLIENT_SECRET,
            TRUEBLISS,
            ALL_SCOPES,
            ["http://127.0.0.1/callback", "http://localhost/callback"],
        )
        ensure_console_client(db, auth)


def ensure_console_client(db: Database, auth: Authenticator) -> None:
    """Register the console's public client; idempotent, so databases seeded before it existed
    get it when the sandbox starts."""
    row = db.conn.execute(
        "SELECT secret_hash, workspace_id, scopes, redirect_uris, name FROM oauth_clients WHERE client_id = ?",
        (CONSOLE_CLIENT_ID,),
    ).fetchone()
    wanted = ("", ANY_WORKSPACE, " ".join(ALL_SCOPES), json.dumps(CONSOLE_REDIRECT_URIS), CONSOLE_CLIENT_NAME)
    if row != wanted:
        auth.add_client(
            CONSOLE_CLIENT_ID, None, ANY_WORKSPACE, ALL_SCOPES, CONSOLE_REDIRECT_URIS, name=CONSOLE_CLIENT_NAME
        )

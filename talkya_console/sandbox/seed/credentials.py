"""The contract's well-known demo workspaces and credentials, as stripe-mock has."""

from __future__ import annotations

from dataclasses import dataclass

from talkya_console.sandbox.auth import Authenticator
from talkya_console.sandbox.db import Database
from talkya_console.wire.users import ALL_SCOPES, READ_SCOPES

TRUEBLISS = "ws_truebliss"
NORTHSIDE = "ws_northside"
DEMO_KEY = "tk_test_truebliss"
DEMO_READONLY_KEY = "tk_test_truebliss_readonly"
DEMO_CLIENT_ID = "client_truebliss"
DEMO_CLIENT_SECRET = "secret_truebliss"
NORTHSIDE_KEY = "tk_test_northside"


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

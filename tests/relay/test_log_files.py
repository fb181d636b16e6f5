"""The relay's log holds webhook bodies: it and its WAL files are owner-only."""

from __future__ import annotations

from talkya_console.relay.log import EventLog


def test_the_log_and_its_wal_are_owner_only(tmp_path):
    log = EventLog(tmp_path / "relay" / "relay.db")
    files = {p.name: oct(p.stat().st_mode & 0o777) for p in (tmp_path / "relay").iterdir()}
    log.close()
    assert set(files) >= {"relay.db", "relay.db-wal", "relay.db-shm"}
    assert set(files.values()) == {"0o600"}


def test_a_log_from_before_token_labels_gains_the_columns(tmp_path):
    import sqlite3

    path = tmp_path / "relay.db"
    old = sqlite3.connect(path)
    old.execute(
        "CREATE TABLE tokens (token_hash TEXT PRIMARY KEY, workspace_id TEXT NOT NULL, created_at REAL NOT NULL)"
    )
    old.execute("INSERT INTO tokens VALUES ('ab' || hex(randomblob(31)), 'ws_alpha', 1.0)")
    old.commit()
    old.close()
    log = EventLog(path)
    try:
        [(_, workspace_id, label, created_at, last_used_at)] = log.tokens()
        assert (workspace_id, label, created_at, last_used_at) == ("ws_alpha", None, 1.0, None)
    finally:
        log.close()

"""The relay's log holds webhook bodies: it and its WAL files are owner-only."""

from __future__ import annotations

from talkya_console.relay.log import EventLog


def test_the_log_and_its_wal_are_owner_only(tmp_path):
    log = EventLog(tmp_path / "relay" / "relay.db")
    files = {p.name: oct(p.stat().st_mode & 0o777) for p in (tmp_path / "relay").iterdir()}
    log.close()
    assert set(files) >= {"relay.db", "relay.db-wal", "relay.db-shm"}
    assert set(files.values()) == {"0o600"}

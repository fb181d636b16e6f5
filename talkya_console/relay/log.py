"""The durable event log: SQLite (WAL), per workspace a monotonic `seq` and a random `epoch`."""

from __future__ import annotations

import os
import secrets
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS workspaces (
    workspace_id TEXT PRIMARY KEY,
    epoch TEXT NOT NULL,
    last_seq INTEGER NOT NULL DEFAULT 0,
    pruned_through INTEGER NOT NULL DEFAULT 0,
    created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS events (
    workspace_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    event_id TEXT NOT NULL,
    webhook_id TEXT,
    type TEXT NOT NULL,
    created_at TEXT NOT NULL,
    received_at REAL NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (workspace_id, seq),
    UNIQUE (workspace_id, event_id)
) WITHOUT ROWID;
CREATE UNIQUE INDEX IF NOT EXISTS events_webhook_id ON events (workspace_id, webhook_id)
    WHERE webhook_id IS NOT NULL;
CREATE TABLE IF NOT EXISTS tokens (
    token_hash TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL,
    created_at REAL NOT NULL
);
"""
# Columns added after the first release; an older log gains them on open.
TOKEN_COLUMNS = {"label": "TEXT", "last_used_at": "REAL"}


@dataclass(frozen=True)
class Incoming:
    """An event to append; `body` is the envelope's JSON text exactly as it will be streamed."""

    workspace_id: str
    event_id: str
    webhook_id: str | None
    type: str
    created_at: str
    body: str


@dataclass(frozen=True)
class Appended:
    """The outcome of one append: its seq (0 for a duplicate) and the workspace's epoch."""

    seq: int
    epoch: str
    duplicate: bool


@dataclass(frozen=True)
class Head:
    """Where a workspace's log stands: events `pruned_through + 1 .. last_seq` are kept."""

    epoch: str
    last_seq: int
    pruned_through: int


def event_frame(seq: int, epoch: str, body: str) -> str:
    """The stream frame, built around the stored body so it is never re-serialised."""
    return f'{{"seq":{seq},"epoch":"{epoch}","event":{body}}}'


def _owner_only(path: Path) -> None:
    """Create the log owner-only before SQLite opens it, so its -wal and -shm (which SQLite
    gives the database's mode) are too: they hold webhook bodies."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.touch(mode=0o600, exist_ok=True)
    for candidate in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if candidate.exists():
            candidate.chmod(0o600)


class EventLog:
    """One SQLite connection shared by threads under a lock; callers run these methods off the loop."""

    def __init__(self, path: Path | str, *, synchronous: str = "FULL") -> None:
        self._lock = threading.Lock()
        self._path = None if str(path) == ":memory:" else Path(path)
        if self._path is not None:
            _owner_only(self._path)
        self._db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        # Commits are NORMAL: once committed, an event survives a crash of the relay and may be streamed.
        # FULL durability (surviving power loss) comes from `sync()`, which the writer runs before it
        # answers 2xx, so subscribers never wait on the disk's flush.
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA busy_timeout=5000")
        self._db.executescript(SCHEMA)
        have = {row[1] for row in self._db.execute("PRAGMA table_info(tokens)")}
        for column, kind in TOKEN_COLUMNS.items():
            if column not in have:
                self._db.execute(f"ALTER TABLE tokens ADD COLUMN {column} {kind}")
        self.durable = synchronous.upper() == "FULL" and self._path is not None
        self._wal_fd: int | None = None
        self._sync_lock = threading.Lock()

    def close(self) -> None:
        with self._lock:
            self._db.close()
        with self._sync_lock:
            if self._wal_fd is not None:
                os.close(self._wal_fd)
                self._wal_fd = None

    def sync(self) -> None:
        """Flush everything committed so far to disk (what `synchronous=FULL` does per commit).

        fsync works on the file, not the descriptor, so syncing our own descriptor of the WAL flushes
        the frames SQLite wrote through its own. Safe to run while the next batch commits."""
        if not self.durable or self._path is None:
            return
        wal = self._path.with_name(self._path.name + "-wal")
        with self._sync_lock:
            if self._wal_fd is not None and os.fstat(self._wal_fd).st_ino != os.stat(wal).st_ino:
                os.close(self._wal_fd)  # the WAL was recreated; follow it
                self._wal_fd = None
            if self._wal_fd is None:
                self._wal_fd = os.open(wal, os.O_RDONLY)
                # A new WAL's directory entry must be on disk too.
                directory = os.open(self._path.parent, os.O_RDONLY)
                try:
                    os.fsync(directory)
                finally:
                    os.close(directory)
            os.fsync(self._wal_fd)

    def _head(self, workspace_id: str, *, create: bool) -> Head | None:
        row = self._db.execute(
            "SELECT epoch, last_seq, pruned_through FROM workspaces WHERE workspace_id = ?", (workspace_id,)
        ).fetchone()
        if row is None and create:
            # A workspace's log begins here; a lost database gives it a new epoch, which consoles see.
            epoch = secrets.token_hex(8)
            self._db.execute(
                "INSERT INTO workspaces (workspace_id, epoch, created_at) VALUES (?, ?, ?)",
                (workspace_id, epoch, time.time()),
            )
            return Head(epoch, 0, 0)
        return Head(*row) if row else None

    def head(self, workspace_id: str) -> Head:
        """The workspace's position, creating its log (and epoch) on first use."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                head = self._head(workspace_id, create=True)
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        assert head is not None
        return head

    def append_batch(self, items: list[Incoming]) -> list[Appended]:
        """Store a batch in one transaction (one fsync); duplicates by webhook id or event id are skipped."""
        results: list[Appended] = []
        heads: dict[str, Head] = {}
        now = time.time()
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                for item in items:
                    head = heads.get(item.workspace_id) or self._head(item.workspace_id, create=True)
                    assert head is not None
                    seq = head.last_seq + 1
                    cursor = self._db.execute(
                        "INSERT OR IGNORE INTO events (workspace_id, seq, event_id, webhook_id, type, created_at,"
                        " received_at, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        (
                            item.workspace_id,
                            seq,
                            item.event_id,
                            item.webhook_id,
                            item.type,
                            item.created_at,
                            now,
                            item.body,
                        ),
                    )
                    if cursor.rowcount == 1:
                        heads[item.workspace_id] = Head(head.epoch, seq, head.pruned_through)
                        results.append(Appended(seq, head.epoch, False))
                    else:
                        heads[item.workspace_id] = head
                        results.append(Appended(0, head.epoch, True))
                for workspace_id, head in heads.items():
                    self._db.execute(
                        "UPDATE workspaces SET last_seq = ? WHERE workspace_id = ?", (head.last_seq, workspace_id)
                    )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return results

    def read_after(self, workspace_id: str, after_seq: int, limit: int) -> list[tuple[int, str]]:
        """Up to `limit` (seq, body) pairs with seq > after_seq, in seq order."""
        with self._lock:
            return self._db.execute(
                "SELECT seq, body FROM events WHERE workspace_id = ? AND seq > ? ORDER BY seq LIMIT ?",
                (workspace_id, after_seq, limit),
            ).fetchall()

    def latest_created_at(self, workspace_id: str) -> str | None:
        """The newest `created_at` kept for the workspace, for catch-up's lower bound."""
        with self._lock:
            row = self._db.execute(
                "SELECT MAX(created_at) FROM events WHERE workspace_id = ?", (workspace_id,)
            ).fetchone()
        return row[0] if row else None

    def prune(self, max_age: float, max_count: int) -> int:
        """Drop events older than `max_age` seconds or beyond the newest `max_count`; keeps a contiguous tail."""
        deleted = 0
        cutoff = time.time() - max_age
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                rows = self._db.execute("SELECT workspace_id, last_seq, pruned_through FROM workspaces").fetchall()
                for workspace_id, last_seq, pruned_through in rows:
                    (by_age,) = self._db.execute(
                        "SELECT MAX(seq) FROM events WHERE workspace_id = ? AND received_at < ?", (workspace_id, cutoff)
                    ).fetchone()
                    # Cutting at a seq (not by row) keeps the kept range contiguous, so a resume is exact.
                    cut = max(by_age or 0, last_seq - max_count, pruned_through)
                    if cut > pruned_through:
                        deleted += self._db.execute(
                            "DELETE FROM events WHERE workspace_id = ? AND seq <= ?", (workspace_id, cut)
                        ).rowcount
                        self._db.execute(
                            "UPDATE workspaces SET pruned_through = ? WHERE workspace_id = ?", (cut, workspace_id)
                        )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return deleted

    def count(self, workspace_id: str) -> int:
        """How many events the workspace's log holds."""
        with self._lock:
            return self._db.execute("SELECT COUNT(*) FROM events WHERE workspace_id = ?", (workspace_id,)).fetchone()[0]

    def add_token(self, token_hash: str, workspace_id: str, label: str | None = None) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO tokens (token_hash, workspace_id, created_at, label) VALUES (?, ?, ?, ?)",
                (token_hash, workspace_id, time.time(), label),
            )

    def token_workspace(self, token_hash: str) -> str | None:
        """The token's workspace, noting that it was used (for `relay token list`)."""
        with self._lock:
            row = self._db.execute("SELECT workspace_id FROM tokens WHERE token_hash = ?", (token_hash,)).fetchone()
            if row:
                self._db.execute("UPDATE tokens SET last_used_at = ? WHERE token_hash = ?", (time.time(), token_hash))
        return row[0] if row else None

    def tokens(self) -> list[tuple[str, str, str | None, float, float | None]]:
        """(hash, workspace, label, created_at, last_used_at) of every token, oldest first."""
        with self._lock:
            return self._db.execute(
                "SELECT token_hash, workspace_id, label, created_at, last_used_at FROM tokens ORDER BY created_at"
            ).fetchall()

    def delete_tokens(self, hash_prefix: str) -> int:
        """Remove the tokens whose hash starts with `hash_prefix` (hex only); how many went."""
        with self._lock:
            return self._db.execute(
                "DELETE FROM tokens WHERE substr(token_hash, 1, ?) = ?", (len(hash_prefix), hash_prefix)
            ).rowcount

    def live_token_hashes(self, hashes: list[str]) -> set[str]:
        """Which of `hashes` are still tokens (the rest were revoked)."""
        found: set[str] = set()
        with self._lock:
            for start in range(0, len(hashes), 500):
                chunk = hashes[start : start + 500]
                marks = ",".join("?" * len(chunk))
                rows = self._db.execute(f"SELECT token_hash FROM tokens WHERE token_hash IN ({marks})", chunk)
                found.update(row[0] for row in rows)
        return found

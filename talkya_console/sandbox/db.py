"""SQLite storage: one table of JSON records with keyset pagination, plus the tables
that are not resources (credentials, idempotency, search, the delivery queue).

All access happens on the server's event loop thread; statements are short, so they run
inline rather than hopping to a thread pool.
"""

from __future__ import annotations

import base64
import json
import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel

from talkya_console.sandbox.errors import ApiError

M = TypeVar("M", bound=BaseModel)

SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    workspace_id TEXT NOT NULL,
    ts INTEGER NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS records_list ON records (workspace_id, kind, ts DESC, id DESC);
CREATE INDEX IF NOT EXISTS records_by_patient ON records
    (workspace_id, kind, json_extract(data, '$.patient_id'), ts DESC, id DESC);
CREATE INDEX IF NOT EXISTS records_by_channel ON records
    (workspace_id, kind, json_extract(data, '$.channel_id'), ts DESC, id DESC);
CREATE INDEX IF NOT EXISTS records_by_encounter ON records
    (workspace_id, kind, json_extract(data, '$.encounter_id'), ts DESC, id DESC);
CREATE INDEX IF NOT EXISTS records_by_record ON records
    (workspace_id, kind, json_extract(data, '$.record_id'), ts DESC, id DESC);
CREATE INDEX IF NOT EXISTS records_by_status ON records
    (workspace_id, kind, json_extract(data, '$.status'), ts DESC, id DESC);

-- rowid = the patient's rowid in records, so the index walks patients in keyset order.
CREATE VIRTUAL TABLE IF NOT EXISTS patient_search USING fts5 (
    names, phones, emails, mrn, dob, tags,
    tokenize = 'unicode61 remove_diacritics 2', prefix = '1 2 3'
);

CREATE TABLE IF NOT EXISTS workspaces (id TEXT PRIMARY KEY, name TEXT NOT NULL, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS api_keys (
    hash TEXT PRIMARY KEY, workspace_id TEXT NOT NULL, name TEXT NOT NULL, scopes TEXT NOT NULL,
    user_id TEXT, created_at TEXT NOT NULL, revoked INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS oauth_clients (
    client_id TEXT PRIMARY KEY, secret_hash TEXT NOT NULL, workspace_id TEXT NOT NULL,
    scopes TEXT NOT NULL, redirect_uris TEXT NOT NULL DEFAULT '[]', name TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS tokens (
    hash TEXT PRIMARY KEY, kind TEXT NOT NULL, workspace_id TEXT NOT NULL, client_id TEXT,
    user_id TEXT, scopes TEXT NOT NULL, expires_at REAL NOT NULL, data TEXT NOT NULL DEFAULT '{}',
    revoked INTEGER NOT NULL DEFAULT 0
);
-- Tokens issued from one sign-in share data.family; replaying a spent one revokes them all.
CREATE INDEX IF NOT EXISTS tokens_family ON tokens (json_extract(data, '$.family'));
-- RFC 8628 device grants: status pending | approved | denied | spent.
CREATE TABLE IF NOT EXISTS device_grants (
    hash TEXT PRIMARY KEY, user_code_hash TEXT NOT NULL UNIQUE, client_id TEXT NOT NULL,
    workspace_id TEXT NOT NULL, scopes TEXT NOT NULL, family TEXT NOT NULL, expires_at REAL NOT NULL,
    poll_interval REAL NOT NULL, last_poll REAL, status TEXT NOT NULL DEFAULT 'pending', user_id TEXT
);
CREATE TABLE IF NOT EXISTS idempotency (
    workspace_id TEXT NOT NULL, key TEXT NOT NULL, fingerprint TEXT NOT NULL,
    status INTEGER NOT NULL, headers TEXT NOT NULL, body BLOB NOT NULL, created_at REAL NOT NULL,
    PRIMARY KEY (workspace_id, key)
);
CREATE TABLE IF NOT EXISTS blobs (file_id TEXT PRIMARY KEY, content BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS delivery_queue (
    delivery_id TEXT PRIMARY KEY, endpoint_id TEXT NOT NULL, event_id TEXT NOT NULL,
    next_attempt REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS delivery_queue_due ON delivery_queue (next_attempt);
-- Each endpoint reads only its own backlog: a dead endpoint's queue must not slow the rest.
CREATE INDEX IF NOT EXISTS delivery_queue_endpoint ON delivery_queue (endpoint_id, next_attempt);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


@dataclass(frozen=True)
class Cursor:
    ts: int
    id: str

    def encode(self) -> str:
        return base64.urlsafe_b64encode(f"{self.ts}:{self.id}".encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, raw: str) -> Cursor:
        try:
            text = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode()
            ts, _, id_ = text.partition(":")
            if not id_ or "_" not in id_:
                raise ValueError
            return cls(int(ts), id_)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ApiError(
                400, "invalid_cursor", "The cursor is not one this API issued; start again without it.", param="cursor"
            ) from exc


@dataclass
class Page:
    rows: list[str]
    has_more: bool
    next_cursor: str | None

    def to_bytes(self) -> bytes:
        cursor = json.dumps(self.next_cursor)
        more = "true" if self.has_more else "false"
        return f'{{"object":"list","data":[{",".join(self.rows)}],"has_more":{more},"next_cursor":{cursor}}}'.encode()


class Where:
    """SQL conditions over a record's JSON fields, with their parameters."""

    def __init__(self) -> None:
        self.sql: list[str] = []
        self.args: list[Any] = []

    def eq(self, field: str, value: Any) -> Where:
        if value is not None:
            self.sql.append(f"json_extract(data, '$.{field}') = ?")
            self.args.append(value)
        return self

    def compare(self, field: str, op: str, value: Any) -> Where:
        if value is not None:
            self.sql.append(f"json_extract(data, '$.{field}') {op} ?")
            self.args.append(value)
        return self

    def raw(self, sql: str, *args: Any) -> Where:
        self.sql.append(sql)
        self.args.extend(args)
        return self


def secure_file(path: Path) -> None:
    """Make the database file owner-only before SQLite opens it: SQLite gives its -wal and
    -shm files the database's mode, and those hold patient data too."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.touch(mode=0o600, exist_ok=True)
    for candidate in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if candidate.exists():
            candidate.chmod(0o600)


class Database:
    def __init__(self, path: str | Path = ":memory:") -> None:
        self.path = str(path)
        if self.path != ":memory:":
            secure_file(Path(self.path))
        self.conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=NORMAL")
        self.conn.execute("PRAGMA foreign_keys=ON")
        self.conn.execute("PRAGMA busy_timeout=5000")
        self.conn.executescript(SCHEMA)
        self._depth = 0
        self._last_ts = 0
        self.after_commit: list[Any] = []

    def close(self) -> None:
        self.conn.close()

    # -- transactions -------------------------------------------------------------------------
    @contextmanager
    def tx(self) -> Iterator[sqlite3.Connection]:
        """A transaction; nested calls join the outer one. Callbacks queued run after commit."""
        if self._depth == 0:
            self.conn.execute("BEGIN IMMEDIATE")
        self._depth += 1
        try:
            yield self.conn
        except BaseException:
            self._depth -= 1
            if self._depth == 0:
                self.conn.execute("ROLLBACK")
                self.after_commit.clear()
            raise
        self._depth -= 1
        if self._depth == 0:
            self.conn.execute("COMMIT")
            callbacks, self.after_commit = self.after_commit, []
            for callback in callbacks:
                callback()

    def next_ts(self) -> int:
        """Strictly increasing microseconds, the keyset order of records created now."""
        ts = max(time.time_ns() // 1000, self._last_ts + 1)
        self._last_ts = ts
        return ts

    # -- records -----------------------------------------------------------------------------
    def insert(self, kind: str, workspace_id: str, model: BaseModel, ts: int | None = None) -> None:
        data = model.model_dump_json()
        with self.tx():
            self.conn.execute(
                "INSERT INTO records (id, kind, workspace_id, ts, data) VALUES (?, ?, ?, ?, ?)",
                (model.id, kind, workspace_id, self.next_ts() if ts is None else ts, data),  # type: ignore[attr-defined]
            )

    def update(self, kind: str, workspace_id: str, model: BaseModel) -> None:
        with self.tx():
            self.conn.execute(
                "UPDATE records SET data = ? WHERE id = ? AND kind = ? AND workspace_id = ?",
                (model.model_dump_json(), model.id, kind, workspace_id),  # type: ignore[attr-defined]
            )

    def delete(self, kind: str, workspace_id: str, id_: str) -> None:
        with self.tx():
            self.conn.execute(
                "DELETE FROM records WHERE id = ? AND kind = ? AND workspace_id = ?",
                (id_, kind, workspace_id),
            )

    def get_raw(self, kind: str, workspace_id: str, id_: str) -> str | None:
        row = self.conn.execute(
            "SELECT data FROM records WHERE id = ? AND kind = ? AND workspace_id = ?",
            (id_, kind, workspace_id),
        ).fetchone()
        return row[0] if row else None

    def get(self, kind: str, workspace_id: str, id_: str, model: type[M]) -> M | None:
        raw = self.get_raw(kind, workspace_id, id_)
        return model.model_validate_json(raw) if raw is not None else None

    def exists(self, kind: str, workspace_id: str, id_: str) -> bool:
        return (
            self.conn.execute(
                "SELECT 1 FROM records WHERE id = ? AND kind = ? AND workspace_id = ?",
                (id_, kind, workspace_id),
            ).fetchone()
            is not None
        )

    def page(
        self,
        kind: str,
        workspace_id: str,
        *,
        limit: int = 25,
        cursor: str | None = None,
        where: Where | None = None,
    ) -> Page:
        """One page, newest first, ties broken by id; keyset, so inserts never shift it."""
        sql = ["SELECT ts, id, data FROM records WHERE workspace_id = ? AND kind = ?"]
        args: list[Any] = [workspace_id, kind]
        if where is not None:
            for clause in where.sql:
                sql.append(f"AND {clause}")
            args.extend(where.args)
        if cursor:
            after = Cursor.decode(cursor)
            sql.append("AND (ts, id) < (?, ?)")
            args.extend((after.ts, after.id))
        sql.append("ORDER BY ts DESC, id DESC LIMIT ?")
        args.append(limit + 1)
        rows = self.conn.execute(" ".join(sql), args).fetchall()
        has_more = len(rows) > limit
        rows = rows[:limit]
        next_cursor = Cursor(rows[-1][0], rows[-1][1]).encode() if has_more and rows else None
        return Page([r[2] for r in rows], has_more, next_cursor)

    def all(self, kind: str, workspace_id: str, model: type[M], where: Where | None = None) -> list[M]:
        sql = "SELECT data FROM records WHERE workspace_id = ? AND kind = ?"
        args: list[Any] = [workspace_id, kind]
        if where is not None:
            for clause in where.sql:
                sql += f" AND {clause}"
            args.extend(where.args)
        sql += " ORDER BY ts DESC, id DESC"
        return [model.model_validate_json(r[0]) for r in self.conn.execute(sql, args)]

    def count(self, kind: str, workspace_id: str) -> int:
        return self.conn.execute(
            "SELECT count(*) FROM records WHERE workspace_id = ? AND kind = ?", (workspace_id, kind)
        ).fetchone()[0]

    # -- meta ----------------------------------------------------------------------------------
    def meta_get(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def meta_set(self, key: str, value: str) -> None:
        self.conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        with self.tx():
            self.conn.executemany(sql, rows)

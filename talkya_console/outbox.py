"""The durable outbox: a write made while Talkya cannot be reached waits here, on disk, and is sent
(once, under the idempotency key it was given when it was typed) when the link is back.

A write is a named client call (`Write.op`, from an allow-list) with JSON-ready arguments, so it
survives a restart; the SQLite file is owner-only. Entries belong to the staff member who made them
and are only ever sent under that person's sign-in, so the audit trail names the right author.
"""

from __future__ import annotations

import json
import os
import sqlite3
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pydantic import BaseModel

    from talkya_console.api import TalkyaClient

# The client calls a queued write may make: `resource.method` on `TalkyaClient`. Nothing read from
# the file can call anything else (a sign-out, a delete).
OPERATIONS = frozenset(
    {
        "patients.create",
        "patients.update",
        "encounters.create",
        "encounters.update",
        "encounters.close",
        "notes.create",
        "notes.update",
        "notes.sign",
        "notes.add_addendum",
        "documents.upload",
        "files.upload",
        "leads.create",
        "leads.update",
        "contacts.update",
        "deals.create",
        "deals.update",
        "tasks.create",
        "tasks.update",
        "tasks.claim",
        "tasks.complete",
        "tasks.snooze",
        "handoffs.create",
        "handoffs.claim",
        "handoffs.resolve",
        "handoffs.update",
        "agent_runs.start",
        "messages.create",
        "channels.create",
        "channels.update",
        "telehealth_visits.create",
        "telehealth_visits.create_note",
        "routing_rules.update",
        "hermes_events.create",
    }
)
PENDING = "pending"
REFUSED = "refused"

SCHEMA = """
CREATE TABLE IF NOT EXISTS writes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace TEXT NOT NULL,
    author TEXT,
    op TEXT NOT NULL,
    args TEXT NOT NULL,
    kwargs TEXT NOT NULL,
    label TEXT NOT NULL,
    subject TEXT,
    idempotency_key TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    error TEXT
)
"""


def new_key() -> str:
    """A fresh idempotency key (the client's format), without importing the client."""
    return f"talkya-py-{uuid.uuid4().hex}"


@dataclass(frozen=True)
class Write:
    """One write, as data: `client.<op>(*args, **kwargs, idempotency_key=key)`.

    `args` and `kwargs` are JSON-ready (a request body is a dict). `label` is what the person sees
    in the outbox and must name no PHI ("New encounter", "Sign note"); `subject` is the patient or
    channel the write belongs to, so its chart or channel can show it pending."""

    op: str
    args: tuple[Any, ...] = ()
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    label: str = ""
    subject: str | None = None
    key: str = field(default_factory=new_key)

    def __post_init__(self) -> None:
        if self.op not in OPERATIONS:
            raise ValueError(f"{self.op!r} is not a write the outbox can hold.")


@dataclass(frozen=True)
class Entry:
    """A write waiting in the outbox."""

    id: int
    write: Write
    author: str | None
    created_at: datetime
    state: str
    attempts: int
    error: str | None

    @property
    def refused(self) -> bool:
        """Talkya answered and refused it: it waits for the person, not for the link."""
        return self.state == REFUSED


async def perform(client: TalkyaClient, write: Write) -> BaseModel:
    """Make the write's client call under its own idempotency key."""
    resource_name, method_name = write.op.split(".")
    method = getattr(getattr(client, resource_name), method_name)
    result: BaseModel = await method(*write.args, **dict(write.kwargs), idempotency_key=write.key)
    return result


def request_text(write: Write) -> str:
    """The write's call and arguments as text: the same text is the same request (and key)."""
    args = [_jsonable(arg) for arg in write.args]
    kwargs = {name: _jsonable(value) for name, value in write.kwargs.items()}
    return json.dumps([write.op, args, kwargs], sort_keys=True, default=str)


def link_failure(error: BaseException) -> bool:
    """Whether a failed write may never have been answered (keep it and send it again later)
    rather than refused (show the refusal; sending it again would be refused again)."""
    import httpx

    from talkya_console.api import APIError, ConnectionError, InternalServerError, RateLimited

    if isinstance(error, ConnectionError | InternalServerError | RateLimited | httpx.HTTPError):
        return True
    return isinstance(error, APIError) and error.status in (None, 408)


def _jsonable(value: Any) -> Any:
    """A value as JSON stores it (pydantic models by their fields as set)."""
    from pydantic import BaseModel

    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", exclude_unset=True)
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    return value


class Outbox:
    """The writes one workspace has waiting, in a SQLite file (or in memory with `path=None`)."""

    def __init__(
        self, path: Path | None, workspace: str, *, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    ) -> None:
        self.path = path
        self.workspace = workspace
        self.clock = clock
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            # Created owner-only before SQLite opens it: it holds request bodies.
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
            os.chmod(path, 0o600)
        self._db = sqlite3.connect(":memory:" if path is None else path, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL" if path is not None else "PRAGMA journal_mode=MEMORY")
        self._db.execute(SCHEMA)

    def close(self) -> None:
        """Close the file."""
        self._db.close()

    def add(self, write: Write, author: str | None) -> Entry:
        """Keep a write until it is sent; the same write (by key) is kept once."""
        args = json.dumps([_jsonable(arg) for arg in write.args])
        kwargs = json.dumps({name: _jsonable(value) for name, value in write.kwargs.items()})
        self._db.execute(
            "INSERT OR IGNORE INTO writes (workspace, author, op, args, kwargs, label, subject, idempotency_key,"
            " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                self.workspace,
                author,
                write.op,
                args,
                kwargs,
                write.label,
                write.subject,
                write.key,
                self.clock().isoformat(),
            ),
        )
        row = self._db.execute(f"{SELECT} WHERE idempotency_key = ?", (write.key,)).fetchone()
        return _entry(row)

    def entries(self, *, subject: str | None = None) -> list[Entry]:
        """This workspace's waiting writes, oldest first (optionally only one patient's or channel's)."""
        query, params = f"{SELECT} WHERE workspace = ?", [self.workspace]
        if subject is not None:
            query += " AND subject = ?"
            params.append(subject)
        return [_entry(row) for row in self._db.execute(query + " ORDER BY id", params)]

    def count(self) -> int:
        """How many writes wait (sendable or refused)."""
        row = self._db.execute("SELECT count(*) FROM writes WHERE workspace = ?", (self.workspace,)).fetchone()
        return int(row[0])

    def sent(self, entry_id: int) -> None:
        """The write landed: forget it."""
        self._db.execute("DELETE FROM writes WHERE id = ?", (entry_id,))

    def discard(self, entry_id: int) -> None:
        """The person gave the write up."""
        self.sent(entry_id)

    def failed(self, entry_id: int) -> None:
        """Another attempt that found no link."""
        self._db.execute("UPDATE writes SET attempts = attempts + 1 WHERE id = ?", (entry_id,))

    def refused(self, entry_id: int, message: str) -> None:
        """Talkya refused the write: keep it, with the reason, for the person to see."""
        self._db.execute(
            "UPDATE writes SET state = ?, error = ?, attempts = attempts + 1 WHERE id = ?",
            (REFUSED, message, entry_id),
        )

    def retry(self, entry_id: int) -> None:
        """Send a refused write again (after the person fixed what it depended on)."""
        self._db.execute("UPDATE writes SET state = ?, error = NULL WHERE id = ?", (PENDING, entry_id))


SELECT = (
    "SELECT id, author, op, args, kwargs, label, subject, idempotency_key, created_at, state, attempts, error"
    " FROM writes"
)


def _entry(row: tuple[Any, ...]) -> Entry:
    entry_id, author, op, args, kwargs, label, subject, key, created_at, state, attempts, error = row
    write = Write(op, tuple(json.loads(args)), json.loads(kwargs), label, subject, key)
    return Entry(entry_id, write, author, datetime.fromisoformat(created_at), state, attempts, error)


@dataclass
class FlushResult:
    """What one pass over the outbox did."""

    sent: list[tuple[Entry, BaseModel]] = field(default_factory=list)
    refused: list[Entry] = field(default_factory=list)
    link_down: bool = False


async def flush(client: TalkyaClient, outbox: Outbox, author: str | None) -> FlushResult:
    """Send this author's pending writes, oldest first; stop at the first that finds no link (the
    rest would too, and order matters: an encounter before its note)."""
    from talkya_console.api import APIError

    result = FlushResult()
    for entry in outbox.entries():
        if entry.refused or entry.author != author:
            continue
        try:
            record = await perform(client, entry.write)
        except Exception as error:
            if link_failure(error):
                outbox.failed(entry.id)
                result.link_down = True
                return result
            message = error.message if isinstance(error, APIError) else type(error).__name__
            outbox.refused(entry.id, message)
            result.refused.append(entry)
            continue
        outbox.sent(entry.id)
        result.sent.append((entry, record))
    return result

"""Messages the console posts: live feed items, link status, and requests to open things."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:  # imported for annotations only: the first frame does not wait for them
    from talkya_console.wire import Event


@dataclass
class LiveStatus(Message):
    """The relay link changed: `connecting`, `connected`, `reconnecting`, `offline` or `closed`."""

    status: str
    retry_in: float | None = None
    offline_since: datetime | None = None


@dataclass
class LiveEvent(Message):
    """One event from the relay."""

    event: Event


@dataclass
class LiveReset(Message):
    """The relay could not resume: every pane refetches."""


@dataclass
class OpenChart(Message):
    """Show the chart of one patient."""

    patient_id: str


@dataclass
class ClientReady(Message):
    """The API client exists: panes may load."""

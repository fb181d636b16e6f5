"""The workspace's events of the last 30 days, for a receiver catching up after downtime."""

from __future__ import annotations

from datetime import datetime

from talkya_console.api._pagination import AsyncPager
from talkya_console.api._resource import Retrievable
from talkya_console.wire import Event


class Events(Retrievable[Event]):
    """`/v1/events`."""

    path = "/events"
    model = Event

    def list(
        self, *, type: str | None = None, created_after: datetime | None = None, limit: int | None = None
    ) -> AsyncPager[Event]:
        """Events, newest first; `type` is an exact event type such as `patient.created`."""
        return self._list(Event, {"type": type, "created_after": created_after}, limit=limit)

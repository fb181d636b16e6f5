"""Filling gaps from `GET /v1/events` after the relay was down longer than Talkya's webhook retries."""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from pydantic import ValidationError

from talkya_console.relay.core import Relay
from talkya_console.relay.log import Incoming
from talkya_console.relay.settings import CatchUpSource
from talkya_console.wire.common import format_timestamp
from talkya_console.wire.events import Event

log = logging.getLogger("talkya.relay")
# Deliveries are unordered and clocks drift: look back this far before the last point known complete.
OVERLAP = timedelta(minutes=10)
# The API keeps 30 days of events; an empty log asks for no more than that.
API_WINDOW = timedelta(days=30)


class RelayCatchUp:
    """Pages a workspace's events newer than the log's last known point and stores the unseen ones."""

    def __init__(
        self, relay: Relay, source: CatchUpSource, *, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self._relay = relay
        self._source = source
        self._transport = transport
        self._mark: datetime | None = None

    async def prepare(self) -> None:
        """Fix the lower bound before the relay serves, so fresh webhooks can't hide an older gap."""
        latest = await self._relay.db(self._relay.log.latest_created_at, self._source.workspace_id)
        if latest is None:
            window = min(API_WINDOW, timedelta(days=self._relay.settings.retention_days))
            self._mark = datetime.now(UTC) - window
        else:
            self._mark = datetime.fromisoformat(latest.replace("Z", "+00:00")) - OVERLAP

    async def run_once(self) -> int:
        """One pass; returns how many events were new to the log."""
        if self._mark is None:
            await self.prepare()
        assert self._mark is not None
        started = datetime.now(UTC)
        events = await self._fetch(self._mark)
        ws = self._source.workspace_id
        added = 0
        for raw in sorted(events, key=lambda e: (str(e.get("created_at")), str(e.get("id")))):
            try:
                event = Event.model_validate(raw)
            except ValidationError:
                continue
            if event.workspace_id != ws:
                continue
            body = json.dumps(raw, separators=(",", ":"), ensure_ascii=False)
            result = await self._relay.writer.append(
                Incoming(ws, event.id, None, event.type, format_timestamp(event.created_at), body)
            )
            added += not result.duplicate
        self._relay.metrics.catch_up_events[ws] += added
        self._mark = started - OVERLAP
        return added

    async def _fetch(self, created_after: datetime) -> list[dict[str, Any]]:
        source = self._source
        headers = {"Authorization": f"Bearer {source.api_key.reveal()}", "Talkya-Workspace": source.workspace_id}
        params: dict[str, str | int] = {"limit": 100, "created_after": format_timestamp(created_after)}
        collected: list[dict[str, Any]] = []
        async with httpx.AsyncClient(
            base_url=source.base_url.rstrip("/"), headers=headers, timeout=10.0, transport=self._transport
        ) as client:
            while True:
                response = await client.get("/v1/events", params=params)
                response.raise_for_status()
                page = response.json()
                collected.extend(item for item in page.get("data", []) if isinstance(item, dict))
                if not page.get("has_more") or not page.get("next_cursor"):
                    return collected
                params["cursor"] = page["next_cursor"]

    async def run_forever(self) -> None:
        """At startup, then every `interval` seconds if one is set; failures are logged and retried next time."""
        while True:
            try:
                added = await self.run_once()
                if added:
                    log.info("catch-up stored %d missed events for %s", added, self._source.workspace_id)
            except (httpx.HTTPError, ValueError) as exc:
                # The exception text can hold the URL but never the key (it travels in a header).
                log.warning("catch-up for %s failed: %s", self._source.workspace_id, type(exc).__name__)
            if not self._source.interval:
                return
            await asyncio.sleep(self._source.interval)

"""OpenClaw: agent runs, and the handoffs they open for staff."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from talkya_console.api._pagination import AsyncPager
from talkya_console.api._resource import Retrievable, Updatable
from talkya_console.wire import AgentRun, AgentRunCreate, Handoff, HandoffCreate, HandoffUpdate
from talkya_console.wire.agents import HandoffClaim, HandoffResolve, HandoffStatus, RunStatus


class AgentRuns(Retrievable[AgentRun]):
    """`/v1/agents/runs`."""

    path = "/agents/runs"
    model = AgentRun

    async def start(
        self, params: AgentRunCreate | Mapping[str, Any], *, idempotency_key: str | None = None
    ) -> AgentRun:
        """Start a run with workspace context and the tools it may use."""
        return await self._post(AgentRun, body=params, schema=AgentRunCreate, idempotency_key=idempotency_key)

    def list(self, *, status: RunStatus | None = None, limit: int | None = None) -> AsyncPager[AgentRun]:
        """Runs, newest first."""
        return self._list(AgentRun, {"status": status}, limit=limit)


class Handoffs(Updatable[Handoff, HandoffCreate, HandoffUpdate]):
    """`/v1/agents/handoffs`."""

    path = "/agents/handoffs"
    model = Handoff
    create_params = HandoffCreate
    update_params = HandoffUpdate

    def list(
        self, *, status: HandoffStatus | None = None, assignee: str | None = None, limit: int | None = None
    ) -> AsyncPager[Handoff]:
        """Handoffs, newest first; `assignee` is a user id or a role."""
        return self._list(Handoff, {"status": status, "assignee": assignee}, limit=limit)

    async def claim(
        self, handoff_id: str, *, user_id: str | None = None, idempotency_key: str | None = None
    ) -> Handoff:
        """Take the handoff; an API key acting for no user names the `user_id`."""
        body = HandoffClaim(user_id=user_id) if user_id is not None else None
        return await self._post(Handoff, handoff_id, "claim", body=body, idempotency_key=idempotency_key)

    async def resolve(self, handoff_id: str, resolution: str, *, idempotency_key: str | None = None) -> Handoff:
        """Close the handoff with what was done."""
        body = HandoffResolve(resolution=resolution)
        return await self._post(Handoff, handoff_id, "resolve", body=body, idempotency_key=idempotency_key)

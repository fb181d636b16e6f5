"""The AI receptionist's routing rules: greeting, escalation, booking, language, after hours."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from talkya_console.api._resource import APIResource
from talkya_console.wire import RoutingRules, RoutingRulesUpdate


class RoutingRulesResource(APIResource):
    """`/v1/receptionist/routing-rules`: one document per workspace."""

    path = "/receptionist/routing-rules"

    async def get(self) -> RoutingRules:
        """The workspace's routing rules."""
        return await self._get(RoutingRules)

    async def update(
        self, params: RoutingRulesUpdate | Mapping[str, Any], *, idempotency_key: str | None = None
    ) -> RoutingRules:
        """Merge the sections given into the stored rules."""
        return await self._patch(RoutingRules, body=params, schema=RoutingRulesUpdate, idempotency_key=idempotency_key)

"""Hermes: communication events published for routing, and the routes that deliver them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from talkya_console.api._pagination import AsyncPager
from talkya_console.api._resource import Creatable, Updatable
from talkya_console.wire import (
    Deleted,
    HermesEvent,
    HermesEventCreate,
    HermesRoute,
    HermesRouteCreate,
    RouteTestResult,
)
from talkya_console.wire.agents import HermesKind, HermesRouteUpdate


class HermesEvents(Creatable[HermesEvent, HermesEventCreate]):
    """`/v1/hermes/events`; `create` publishes one and returns where it was delivered."""

    path = "/hermes/events"
    model = HermesEvent
    create_params = HermesEventCreate

    def list(
        self, *, kind: HermesKind | None = None, type: str | None = None, limit: int | None = None
    ) -> AsyncPager[HermesEvent]:
        """Published events, newest first."""
        return self._list(HermesEvent, {"kind": kind, "type": type}, limit=limit)


class HermesRoutes(Updatable[HermesRoute, HermesRouteCreate, HermesRouteUpdate]):
    """`/v1/hermes/routes`."""

    path = "/hermes/routes"
    model = HermesRoute
    create_params = HermesRouteCreate
    update_params = HermesRouteUpdate

    def list(self, *, limit: int | None = None) -> AsyncPager[HermesRoute]:
        """The workspace's routes."""
        return self._list(HermesRoute, {}, limit=limit)

    async def delete(self, route_id: str) -> Deleted:
        """Remove the route."""
        return await self._delete(route_id)

    async def test(
        self, sample: HermesEventCreate | Mapping[str, Any], *, idempotency_key: str | None = None
    ) -> RouteTestResult:
        """Where a sample event would be delivered; nothing is stored or sent."""
        return await self._post(
            RouteTestResult, "test", body=sample, schema=HermesEventCreate, idempotency_key=idempotency_key
        )

"""Webhook endpoints (the secret is shown on create and rotation only) and the delivery log."""

from __future__ import annotations

from typing import Literal

from talkya_console.api._pagination import AsyncPager
from talkya_console.api._resource import Retrievable, Updatable
from talkya_console.wire import (
    Deleted,
    RotateSecret,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEndpointCreate,
    WebhookEndpointUpdate,
)


class WebhookEndpoints(Updatable[WebhookEndpoint, WebhookEndpointCreate, WebhookEndpointUpdate]):
    """`/v1/webhook_endpoints`."""

    path = "/webhook_endpoints"
    model = WebhookEndpoint
    create_params = WebhookEndpointCreate
    update_params = WebhookEndpointUpdate

    def list(self, *, limit: int | None = None) -> AsyncPager[WebhookEndpoint]:
        """The workspace's endpoints."""
        return self._list(WebhookEndpoint, {}, limit=limit)

    async def delete(self, endpoint_id: str) -> Deleted:
        """Remove the endpoint; its pending deliveries are marked failed."""
        return await self._delete(endpoint_id)

    async def rotate_secret(
        self, endpoint_id: str, *, expires_in: int | None = None, idempotency_key: str | None = None
    ) -> WebhookEndpoint:
        """A new secret, shown once; the old one keeps signing for `expires_in` seconds (default 24 h)."""
        body = RotateSecret(expires_in=expires_in) if expires_in is not None else None
        return await self._post(
            WebhookEndpoint, endpoint_id, "rotate_secret", body=body, idempotency_key=idempotency_key
        )


class WebhookDeliveries(Retrievable[WebhookDelivery]):
    """`/v1/webhook_deliveries`: every attempt to deliver an event to an endpoint."""

    path = "/webhook_deliveries"
    model = WebhookDelivery

    def list(
        self,
        *,
        endpoint_id: str | None = None,
        event_id: str | None = None,
        status: Literal["pending", "succeeded", "failed"] | None = None,
        limit: int | None = None,
    ) -> AsyncPager[WebhookDelivery]:
        """Deliveries matching the filters, newest first."""
        filters = {"endpoint_id": endpoint_id, "event_id": event_id, "status": status}
        return self._list(WebhookDelivery, filters, limit=limit)

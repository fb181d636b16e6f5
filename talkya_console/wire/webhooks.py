"""Webhook endpoints and the delivery log."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AnyHttpUrl, Field, StringConstraints

from talkya_console.wire.common import Params, Resource, Timestamp

EventPattern = Annotated[str, StringConstraints(pattern=r"^(\*|[a-z_]+(\.[a-z_]+)*(\.\*)?)$")]

# Stored with the endpoint so the dispatcher can sign, but left out of every response except the
# create and rotate_secret answers, which show `secret` once.
SECRET_FIELDS = frozenset({"secret", "previous_secret"})


class WebhookEndpoint(Resource):
    id: str
    object: Literal["webhook_endpoint"] = "webhook_endpoint"
    url: str
    events: list[str]
    description: str | None = None
    status: Literal["enabled", "disabled"] = "enabled"
    secret: str | None = None
    previous_secret: str | None = None
    previous_secret_expires_at: Timestamp | None = None
    created_at: Timestamp
    updated_at: Timestamp


class WebhookEndpointCreate(Params):
    url: AnyHttpUrl
    events: list[EventPattern] = Field(min_length=1, max_length=50)
    description: Annotated[str, StringConstraints(max_length=500)] | None = None


class WebhookEndpointUpdate(Params):
    url: AnyHttpUrl | None = None
    events: list[EventPattern] | None = Field(default=None, min_length=1, max_length=50)
    description: Annotated[str, StringConstraints(max_length=500)] | None = None
    status: Literal["enabled", "disabled"] | None = None


class RotateSecret(Params):
    expires_in: Annotated[int, Field(ge=0, le=7 * 24 * 3600)] = 24 * 3600


class WebhookDelivery(Resource):
    id: str
    object: Literal["webhook_delivery"] = "webhook_delivery"
    endpoint_id: str
    event_id: str
    event_type: str
    status: Literal["pending", "succeeded", "failed"] = "pending"
    attempts: int = 0
    last_status_code: int | None = None
    last_error: str | None = None
    latency_ms: float | None = None
    next_attempt_at: Timestamp | None = None
    created_at: Timestamp
    updated_at: Timestamp

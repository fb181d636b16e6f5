"""Webhook endpoints (secrets shown once, rotation with an overlap) and the delivery log."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Literal

from fastapi import APIRouter, Depends, Query
from starlette.responses import Response

from talkya_console.sandbox.context import Ctx, Scope
from talkya_console.sandbox.db import Where
from talkya_console.sandbox.errors import ApiError, not_found
from talkya_console.sandbox.ids import new_id
from talkya_console.sandbox.records import json_response, load, model_response, page_response
from talkya_console.sandbox.routes._common import ListArgs, list_args
from talkya_console.wire.common import Deleted, ListPage, now
from talkya_console.wire.webhooks import (
    SECRET_FIELDS,
    RotateSecret,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEndpointCreate,
    WebhookEndpointUpdate,
)

router = APIRouter(tags=["webhooks"])
ENDPOINTS = "/v1/webhook_endpoints"
DELIVERIES = "/v1/webhook_deliveries"


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def public(endpoint: WebhookEndpoint, *, show_secret: bool = False) -> bytes:
    """The endpoint as responses show it: never the previous secret, the current one only once."""
    hidden = {"previous_secret"} if show_secret else set(SECRET_FIELDS)
    return endpoint.model_dump_json(exclude=hidden).encode()


def _strip_secrets(raw: str) -> str:
    return public(WebhookEndpoint.model_validate_json(raw)).decode()


def _load_endpoint(ctx: Ctx, endpoint_id: str) -> WebhookEndpoint:
    return load(ctx, "webhook_endpoint", endpoint_id, WebhookEndpoint, "webhook endpoint")


def _unique(events: list[str]) -> list[str]:
    return list(dict.fromkeys(events))


@router.post(ENDPOINTS, response_model=WebhookEndpoint, status_code=201, summary="Create a webhook endpoint")
async def create_endpoint(body: WebhookEndpointCreate, ctx: Ctx = Depends(Scope("webhooks:write"))) -> Response:
    stamp = now()
    endpoint = WebhookEndpoint(
        id=new_id("we"),
        url=str(body.url),
        events=_unique(body.events),
        description=body.description,
        secret=new_secret(),
        created_at=stamp,
        updated_at=stamp,
    )
    ctx.db.insert("webhook_endpoint", ctx.ws, endpoint)
    return json_response(public(endpoint, show_secret=True), 201)


@router.get(ENDPOINTS, response_model=ListPage[WebhookEndpoint], summary="List webhook endpoints")
async def list_endpoints(args: ListArgs = Depends(list_args), ctx: Ctx = Depends(Scope("webhooks:read"))) -> Response:
    page = ctx.db.page("webhook_endpoint", ctx.ws, limit=args.limit, cursor=args.cursor)
    page.rows = [_strip_secrets(row) for row in page.rows]
    return page_response(page)


@router.get(f"{ENDPOINTS}/{{endpoint_id}}", response_model=WebhookEndpoint)
async def get_endpoint(endpoint_id: str, ctx: Ctx = Depends(Scope("webhooks:read"))) -> Response:
    return json_response(public(_load_endpoint(ctx, endpoint_id)))


@router.patch(f"{ENDPOINTS}/{{endpoint_id}}", response_model=WebhookEndpoint)
async def update_endpoint(
    endpoint_id: str, body: WebhookEndpointUpdate, ctx: Ctx = Depends(Scope("webhooks:write"))
) -> Response:
    endpoint = _load_endpoint(ctx, endpoint_id)
    changes = body.model_dump(exclude_unset=True)
    for field in ("url", "events", "status"):
        if field in changes and changes[field] is None:
            raise ApiError(422, "parameter_invalid", f"'{field}' cannot be null.", param=field)
    if "url" in changes:
        changes["url"] = str(body.url)
    if "events" in changes:
        changes["events"] = _unique(changes["events"])
    if any(getattr(endpoint, k) != v for k, v in changes.items()):
        endpoint = endpoint.model_copy(update={**changes, "updated_at": now()})
        ctx.db.update("webhook_endpoint", ctx.ws, endpoint)
    return json_response(public(endpoint))


@router.delete(f"{ENDPOINTS}/{{endpoint_id}}", response_model=Deleted, summary="Delete an endpoint")
async def delete_endpoint(endpoint_id: str, ctx: Ctx = Depends(Scope("webhooks:write"))) -> Response:
    _load_endpoint(ctx, endpoint_id)
    with ctx.db.tx() as conn:
        pending = [
            r[0] for r in conn.execute("SELECT delivery_id FROM delivery_queue WHERE endpoint_id = ?", (endpoint_id,))
        ]
        conn.execute("DELETE FROM delivery_queue WHERE endpoint_id = ?", (endpoint_id,))
        stamp = now()
        for delivery_id in pending:
            delivery = ctx.db.get("webhook_delivery", ctx.ws, delivery_id, WebhookDelivery)
            if delivery is not None:
                delivery.status, delivery.last_error = "failed", "endpoint deleted"
                delivery.next_attempt_at, delivery.updated_at = None, stamp
                ctx.db.update("webhook_delivery", ctx.ws, delivery)
        ctx.db.delete("webhook_endpoint", ctx.ws, endpoint_id)
    return model_response(Deleted(id=endpoint_id, object="webhook_endpoint"))


@router.post(f"{ENDPOINTS}/{{endpoint_id}}/rotate_secret", response_model=WebhookEndpoint, summary="Rotate the secret")
async def rotate_secret(
    endpoint_id: str, body: RotateSecret | None = None, ctx: Ctx = Depends(Scope("webhooks:write"))
) -> Response:
    """A new secret, shown once; the old one keeps signing for `expires_in` seconds (default 24 h)."""
    endpoint = _load_endpoint(ctx, endpoint_id)
    expires_in = (body or RotateSecret()).expires_in
    stamp = now()
    # Only two secrets sign at once: a rotation during an overlap retires the oldest at once.
    previous = endpoint.secret if expires_in > 0 else None
    endpoint = endpoint.model_copy(
        update={
            "secret": new_secret(),
            "previous_secret": previous,
            "previous_secret_expires_at": stamp + timedelta(seconds=expires_in) if previous else None,
            "updated_at": stamp,
        }
    )
    ctx.db.update("webhook_endpoint", ctx.ws, endpoint)
    return json_response(public(endpoint, show_secret=True))


@router.get(DELIVERIES, response_model=ListPage[WebhookDelivery], summary="The delivery log, newest first")
async def list_deliveries(
    args: ListArgs = Depends(list_args),
    endpoint_id: str | None = Query(None, max_length=64),
    event_id: str | None = Query(None, max_length=64),
    status: Literal["pending", "succeeded", "failed"] | None = Query(None),
    ctx: Ctx = Depends(Scope("webhooks:read")),
) -> Response:
    where = Where().eq("endpoint_id", endpoint_id).eq("event_id", event_id).eq("status", status)
    return page_response(ctx.db.page("webhook_delivery", ctx.ws, limit=args.limit, cursor=args.cursor, where=where))


@router.get(f"{DELIVERIES}/{{delivery_id}}", response_model=WebhookDelivery)
async def get_delivery(delivery_id: str, ctx: Ctx = Depends(Scope("webhooks:read"))) -> Response:
    raw = ctx.db.get_raw("webhook_delivery", ctx.ws, delivery_id)
    if raw is None:
        raise not_found("webhook delivery", delivery_id)
    return json_response(raw)

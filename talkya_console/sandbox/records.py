"""What every write does besides storing the record: its audit entry and its event, in the
same transaction (a transactional outbox), plus the update-merge and list-response helpers."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.responses import Response

from talkya_console.sandbox.context import Ctx, Sandbox
from talkya_console.sandbox.db import Page
from talkya_console.sandbox.errors import ApiError, not_found
from talkya_console.sandbox.ids import new_id
from talkya_console.wire.common import now
from talkya_console.wire.ehr import AuditActor, AuditEntry
from talkya_console.wire.events import Event, event_matches

M = TypeVar("M", bound=BaseModel)


def json_response(raw: str | bytes, status: int = 200) -> Response:
    return Response(raw, status_code=status, media_type="application/json")


def model_response(model: BaseModel, status: int = 200) -> Response:
    return json_response(model.model_dump_json(), status)


def page_response(page: Page) -> Response:
    return json_response(page.to_bytes())


def load(ctx: Ctx, kind: str, id_: str, model: type[M], noun: str | None = None, param: str | None = None) -> M:
    found = ctx.db.get(kind, ctx.ws, id_, model)
    if found is None:
        raise not_found(noun or kind.replace("_", " "), id_, param)
    return found


def require_exists(ctx: Ctx, kind: str, id_: str | None, param: str) -> None:
    """A referenced record must exist in this workspace; another workspace's reads as missing."""
    if id_ is not None and not ctx.db.exists(kind, ctx.ws, id_):
        raise not_found(kind.replace("_", " "), id_, param)


def merge(model: M, changes: BaseModel) -> tuple[M, list[str]]:
    """Apply the fields a PATCH set; returns the new model and the names that changed."""
    updates = changes.model_dump(exclude_unset=True)
    current = model.model_dump()
    changed = [k for k, v in updates.items() if current.get(k) != v]
    current.update(updates)
    if changed and "updated_at" in current:
        current["updated_at"] = now()
    try:
        return type(model).model_validate(current), changed
    except ValidationError as exc:  # e.g. null sent for a field the record cannot be without
        first = exc.errors()[0]
        param = ".".join(str(p) for p in first.get("loc", ())) or None
        raise ApiError(422, "parameter_invalid", f"'{param}' cannot be set to that value.", param=param) from None


def actor(ctx: Ctx) -> AuditActor:
    p = ctx.principal
    if p.user_id:
        return AuditActor(type="user", id=p.user_id)
    return AuditActor(type="api_key" if p.actor_type == "api_key" else "oauth_client", id=p.actor_id)


def audit(ctx: Ctx, record_type: str, record_id: str, action: str, fields: list[str] | None = None) -> AuditEntry:
    entry = AuditEntry(
        id=new_id("aud"),
        record_type=record_type,
        record_id=record_id,
        action=action,
        actor=actor(ctx),
        request_id=ctx.request_id,
        fields=fields or [],
        created_at=now(),
    )
    ctx.db.insert("audit_entry", ctx.ws, entry)
    return entry


def emit(sandbox: Sandbox, workspace_id: str, type_: str, data: dict[str, Any]) -> Event:
    """Store the event, and a pending delivery for each endpoint that wants it, in the caller's
    transaction; listeners (the dispatcher) hear of it only after the commit."""
    event = Event(id=new_id("evt"), type=type_, created_at=now(), workspace_id=workspace_id, data=data)
    db = sandbox.db
    with db.tx():
        db.insert("event", workspace_id, event)
        for endpoint_id, events in _endpoints(sandbox, workspace_id):
            if event_matches(type_, events):
                _queue_delivery(sandbox, workspace_id, endpoint_id, event)
        db.after_commit.append(lambda: sandbox.notify(workspace_id, event))
    return event


def _endpoints(sandbox: Sandbox, workspace_id: str) -> list[tuple[str, list[str]]]:
    import json

    rows = sandbox.db.conn.execute(
        "SELECT id, json_extract(data, '$.events') FROM records WHERE workspace_id = ? "
        "AND kind = 'webhook_endpoint' AND json_extract(data, '$.status') = 'enabled'",
        (workspace_id,),
    ).fetchall()
    return [(r[0], json.loads(r[1])) for r in rows]


def _queue_delivery(sandbox: Sandbox, workspace_id: str, endpoint_id: str, event: Event) -> None:
    from talkya_console.wire.webhooks import WebhookDelivery

    stamp = now()
    delivery = WebhookDelivery(
        id=new_id("wh"),
        endpoint_id=endpoint_id,
        event_id=event.id,
        event_type=event.type,
        next_attempt_at=stamp,
        created_at=stamp,
        updated_at=stamp,
    )
    sandbox.db.insert("webhook_delivery", workspace_id, delivery)
    sandbox.db.conn.execute(
        "INSERT INTO delivery_queue (delivery_id, endpoint_id, event_id, next_attempt) VALUES (?, ?, ?, 0)",
        (delivery.id, endpoint_id, event.id),
    )


def write(
    ctx: Ctx,
    kind: str,
    model: M,
    *,
    action: str = "created",
    fields: list[str] | None = None,
    event: tuple[str, dict[str, Any]] | None = None,
    insert: bool = True,
) -> M:
    """Store `model` (insert or update) with its audit entry and event, atomically. Every write is
    audited, so each records who made it (the staff member a token carries, else the key)."""
    with ctx.db.tx():
        if insert:
            ctx.db.insert(kind, ctx.ws, model)
        else:
            ctx.db.update(kind, ctx.ws, model)
        audit(ctx, kind, model.id, action, fields)  # type: ignore[attr-defined]
        if event is not None:
            emit(ctx.sandbox, ctx.ws, event[0], event[1])
    return model

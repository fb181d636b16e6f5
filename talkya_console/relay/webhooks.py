"""`POST /webhooks/{workspace_id}`: verify the raw body, then store, then answer 2xx."""

from __future__ import annotations

import json

from pydantic import ValidationError
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response

from talkya_console.relay.core import Relay
from talkya_console.relay.log import Incoming
from talkya_console.wire.common import format_timestamp
from talkya_console.wire.events import Event
from talkya_console.wire.signing import SIGNATURE_HEADER, WEBHOOK_ID_HEADER, SignatureError, verify


async def _read_body(request: Request, limit: int) -> bytes | None:
    """The raw body, or None once it passes `limit` (checked on the header first, then as it streams)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


async def receive_webhook(request: Request) -> Response:
    relay: Relay = request.app.state.relay
    workspace_id: str = request.path_params["workspace_id"]
    webhook_id = request.headers.get(WEBHOOK_ID_HEADER)
    secrets = relay.secrets.get(workspace_id)
    if not secrets:
        return relay.refuse(
            404, "unknown_workspace", "No webhook secret is configured for this workspace.", workspace_id, webhook_id
        )
    try:
        body = await _read_body(request, relay.settings.max_body)
    except ClientDisconnect:
        return Response(status_code=400)
    if body is None:
        return relay.refuse(413, "payload_too_large", "The body is larger than 1 MiB.", workspace_id, webhook_id)
    try:
        verify(request.headers.get(SIGNATURE_HEADER), body, [s.reveal() for s in secrets], relay.settings.tolerance)
    except SignatureError as exc:
        return relay.refuse(400, exc.reason, str(exc), workspace_id, webhook_id)
    if webhook_id is not None and not 0 < len(webhook_id) <= 255:
        return relay.refuse(
            400, "invalid_webhook_id", "Talkya-Webhook-Id must be 1-255 characters.", workspace_id, webhook_id
        )
    try:
        text = body.decode("utf-8")
        event = Event.model_validate(json.loads(text))
    except (UnicodeDecodeError, ValueError, ValidationError):
        return relay.refuse(400, "invalid_event", "The body is not an event envelope.", workspace_id, webhook_id)
    if event.workspace_id != workspace_id:
        return relay.refuse(
            400, "workspace_mismatch", "The event belongs to another workspace.", workspace_id, webhook_id
        )
    result = await relay.writer.append(
        Incoming(workspace_id, event.id, webhook_id, event.type, format_timestamp(event.created_at), text)
    )
    return JSONResponse({"received": True, "duplicate": result.duplicate, "seq": result.seq or None})

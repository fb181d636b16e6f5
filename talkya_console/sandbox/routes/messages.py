"""Messenger messages: staff text, bot replies and staff alerts, newest first per channel."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query
from starlette.responses import Response

from talkya_console.sandbox.context import Ctx, Scope
from talkya_console.sandbox.db import Where
from talkya_console.sandbox.errors import ApiError
from talkya_console.sandbox.ids import new_id
from talkya_console.sandbox.records import load, model_response, page_response, require_exists, write
from talkya_console.sandbox.routes._common import ListArgs, list_args
from talkya_console.sandbox.routes.channels import require_users
from talkya_console.wire import Attachment, Author, Channel, File, ListPage, Message, MessageCreate, User
from talkya_console.wire.common import now

router = APIRouter(prefix="/v1/messages", tags=["messenger"])

ID_MAX = 64
BOT = Author(type="bot", id="bot_talkya", name="Talkya AI")


def _author(ctx: Ctx, kind: str) -> Author:
    """Who a message is from: the bot for bot replies, else the signed-in staff member, else the
    integration itself (an API key or OAuth client) as a system author."""
    if kind == "bot_reply":
        return BOT
    principal = ctx.principal
    if principal.user_id:
        user = ctx.db.get("user", ctx.ws, principal.user_id, User)
        if user is not None:
            return Author(type="user", id=user.id, name=user.name)
    return Author(type="system", id=None, name=principal.actor_id)


def _attachments(ctx: Ctx, file_ids: list[str]) -> list[Attachment]:
    attachments = []
    for i, file_id in enumerate(dict.fromkeys(file_ids)):
        file = load(ctx, "file", file_id, File, param=f"file_ids[{i}]")
        attachments.append(
            Attachment(file_id=file.id, filename=file.filename, content_type=file.content_type, size=file.size)
        )
    return attachments


@router.post("", response_model=Message, status_code=201, summary="Send a message")
async def create_message(body: MessageCreate, ctx: Ctx = Depends(Scope("messages:write"))) -> Response:
    channel = load(ctx, "channel", body.channel_id, Channel, param="channel_id")
    attachments = _attachments(ctx, body.file_ids)
    if not body.text and not attachments:
        raise ApiError(422, "message_empty", "Send some text or at least one file.", param="text")
    require_exists(ctx, "patient", body.patient_id, "patient_id")
    mentions = require_users(ctx, body.mentions, "mentions")
    stamp = now()
    message = Message(
        id=new_id("msg"),
        channel_id=channel.id,
        kind=body.kind,
        author=_author(ctx, body.kind),
        text=body.text,
        attachments=attachments,
        patient_id=body.patient_id,
        mentions=mentions,
        created_at=stamp,
    )
    # Ids and the kind only: the text may name a patient, and events leave the clinic.
    data = {
        "message_id": message.id,
        "channel_id": channel.id,
        "kind": message.kind,
        "patient_id": message.patient_id,
        "mentions": mentions,
    }
    with ctx.db.tx():
        write(ctx, "message", message, event=("message.created", data))
        ctx.db.update("channel", ctx.ws, channel.model_copy(update={"last_message_at": stamp}))
    return model_response(message, 201)


@router.get("", response_model=ListPage[Message], summary="List messages, newest first")
async def list_messages(
    args: ListArgs = Depends(list_args),
    channel_id: str | None = Query(None, max_length=ID_MAX),
    patient_id: str | None = Query(None, max_length=ID_MAX),
    ctx: Ctx = Depends(Scope("messages:read")),
) -> Response:
    # Each filter matches an expression index, so a deep page of a busy channel stays one seek.
    where = Where().eq("channel_id", channel_id).eq("patient_id", patient_id)
    return page_response(ctx.db.page("message", ctx.ws, limit=args.limit, cursor=args.cursor, where=where))


@router.get("/{message_id}", response_model=Message)
async def get_message(message_id: str, ctx: Ctx = Depends(Scope("messages:read"))) -> Response:
    return model_response(load(ctx, "message", message_id, Message))

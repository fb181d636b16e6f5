"""Messenger channels: one per team or purpose, named uniquely within a workspace."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query
from starlette.responses import Response

from talkya_console.sandbox.context import Ctx, Scope
from talkya_console.sandbox.db import Where
from talkya_console.sandbox.errors import ApiError
from talkya_console.sandbox.ids import new_id
from talkya_console.sandbox.records import load, merge, model_response, page_response, write
from talkya_console.sandbox.routes._common import ListArgs, list_args
from talkya_console.wire import Channel, ChannelCreate, ChannelUpdate, ListPage
from talkya_console.wire.common import now
from talkya_console.wire.messenger import ChannelPurpose

router = APIRouter(prefix="/v1/channels", tags=["messenger"])


def require_users(ctx: Ctx, user_ids: list[str], param: str) -> list[str]:
    """Every id must be a staff member of this workspace; returns them without repeats."""
    for i, user_id in enumerate(user_ids):
        if not ctx.db.exists("user", ctx.ws, user_id):
            raise ApiError(
                422, "unknown_user", f"'{param}[{i}]' is not a staff member of this workspace.", param=f"{param}[{i}]"
            )
    return list(dict.fromkeys(user_ids))


@router.post("", response_model=Channel, status_code=201, summary="Create a channel")
async def create_channel(body: ChannelCreate, ctx: Ctx = Depends(Scope("channels:write"))) -> Response:
    members = require_users(ctx, body.member_ids, "member_ids")
    with ctx.db.tx():
        if ctx.db.page("channel", ctx.ws, limit=1, where=Where().eq("name", body.name)).rows:
            raise ApiError(409, "channel_exists", "A channel with this name already exists.", param="name")
        stamp = now()
        channel = Channel(
            id=new_id("ch"),
            **body.model_dump(exclude={"member_ids"}),
            member_ids=members,
            created_at=stamp,
            updated_at=stamp,
        )
        write(ctx, "channel", channel)
    return model_response(channel, 201)


@router.get("", response_model=ListPage[Channel], summary="List channels")
async def list_channels(
    args: ListArgs = Depends(list_args),
    purpose: ChannelPurpose | None = Query(None),
    ctx: Ctx = Depends(Scope("channels:read")),
) -> Response:
    where = Where().eq("purpose", purpose)
    return page_response(ctx.db.page("channel", ctx.ws, limit=args.limit, cursor=args.cursor, where=where))


@router.get("/{channel_id}", response_model=Channel)
async def get_channel(channel_id: str, ctx: Ctx = Depends(Scope("channels:read"))) -> Response:
    return model_response(load(ctx, "channel", channel_id, Channel))


@router.patch("/{channel_id}", response_model=Channel, summary="Change a channel's description or members")
async def update_channel(channel_id: str, body: ChannelUpdate, ctx: Ctx = Depends(Scope("channels:write"))) -> Response:
    channel = load(ctx, "channel", channel_id, Channel)
    if "member_ids" in body.model_fields_set:
        if body.member_ids is None:
            raise ApiError(
                422, "parameter_invalid", "'member_ids' cannot be null; send [] for none.", param="member_ids"
            )
        body.member_ids = require_users(ctx, body.member_ids, "member_ids")
    updated, changed = merge(channel, body)
    if not changed:
        return model_response(channel)
    write(ctx, "channel", updated, action="updated", fields=changed, insert=False)
    return model_response(updated)

"""The staff directory and locations."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query
from starlette.responses import Response

from talkya_console.sandbox.context import Ctx, Scope
from talkya_console.sandbox.db import Where
from talkya_console.sandbox.errors import ApiError
from talkya_console.sandbox.records import load, model_response, page_response
from talkya_console.sandbox.routes._common import ListArgs, list_args
from talkya_console.wire import ListPage, Location, User
from talkya_console.wire.crm import Role

router = APIRouter(prefix="/v1", tags=["users"])


@router.get("/users", response_model=ListPage[User])
async def list_users(
    args: ListArgs = Depends(list_args), role: Role | None = Query(None), ctx: Ctx = Depends(Scope("users:read"))
) -> Response:
    where = Where().eq("role", role)
    return page_response(ctx.db.page("user", ctx.ws, limit=args.limit, cursor=args.cursor, where=where))


@router.get("/users/me", response_model=User, summary="The signed-in staff member")
async def me(ctx: Ctx = Depends(Scope("users:read"))) -> Response:
    if not ctx.principal.user_id:
        raise ApiError(
            404, "no_user", "This credential is not a staff member's; sign in as a user to use /v1/users/me."
        )
    return model_response(load(ctx, "user", ctx.principal.user_id, User))


@router.get("/users/{user_id}", response_model=User)
async def get_user(user_id: str, ctx: Ctx = Depends(Scope("users:read"))) -> Response:
    return model_response(load(ctx, "user", user_id, User))


@router.get("/locations", response_model=ListPage[Location])
async def list_locations(args: ListArgs = Depends(list_args), ctx: Ctx = Depends(Scope("users:read"))) -> Response:
    return page_response(ctx.db.page("location", ctx.ws, limit=args.limit, cursor=args.cursor))

"""Calls the AI receptionist took, and their transcripts. Read only: Talkya creates calls."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, Query
from starlette.responses import Response

from talkya_console.sandbox.context import Ctx, Scope
from talkya_console.sandbox.db import Where
from talkya_console.sandbox.errors import not_found
from talkya_console.sandbox.receptionist import load_transcript
from talkya_console.sandbox.records import json_response, load, model_response, page_response
from talkya_console.sandbox.routes._common import ListArgs, list_args, time_filter
from talkya_console.wire import Call, ListPage, Transcript
from talkya_console.wire.receptionist import CallStatus

router = APIRouter(prefix="/v1/calls", tags=["receptionist"])

CODE_MAX = 64


@router.get("", response_model=ListPage[Call], summary="List calls")
async def list_calls(
    args: ListArgs = Depends(list_args),
    status: CallStatus | None = Query(None),
    source: str | None = Query(None, max_length=CODE_MAX),
    intent: str | None = Query(None, max_length=CODE_MAX),
    campaign: str | None = Query(None, max_length=CODE_MAX),
    outcome: str | None = Query(None, max_length=CODE_MAX),
    patient_id: str | None = Query(None, max_length=CODE_MAX, description="The caller's matched patient."),
    created_after: datetime | None = Query(None, description="Created at or after this time."),
    created_before: datetime | None = Query(None, description="Created before this time."),
    ctx: Ctx = Depends(Scope("calls:read")),
) -> Response:
    where = (
        Where()
        .eq("status", status)
        .eq("source", source)
        .eq("intent", intent)
        .eq("campaign", campaign)
        .eq("outcome", outcome)
        .compare("created_at", ">=", time_filter(created_after, "created_after"))
        .compare("created_at", "<", time_filter(created_before, "created_before"))
    )
    if patient_id is not None:
        where.raw("json_extract(data, '$.caller.patient_id') = ?", patient_id)
    return page_response(ctx.db.page("call", ctx.ws, limit=args.limit, cursor=args.cursor, where=where))


@router.get("/{call_id}", response_model=Call)
async def get_call(call_id: str, ctx: Ctx = Depends(Scope("calls:read"))) -> Response:
    return model_response(load(ctx, "call", call_id, Call))


@router.get("/{call_id}/transcript", response_model=Transcript, summary="The call's transcript")
async def get_transcript(call_id: str, ctx: Ctx = Depends(Scope("calls:read"))) -> Response:
    load(ctx, "call", call_id, Call)
    transcript = load_transcript(ctx.sandbox, ctx.ws, call_id)
    if transcript is None:
        raise not_found("transcript", call_id)
    # Its storage id is internal: clients reach a transcript through its call.
    return json_response(transcript.model_dump_json(exclude={"id"}))

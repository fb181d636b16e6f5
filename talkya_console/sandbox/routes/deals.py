"""Deals: revenue opportunities (consults, packages) moving through stages; a stage change is an event."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query
from starlette.responses import Response

from talkya_console.sandbox.context import Ctx, Scope
from talkya_console.sandbox.db import Where
from talkya_console.sandbox.ids import new_id
from talkya_console.sandbox.records import load, merge, model_response, page_response, require_exists, write
from talkya_console.sandbox.routes._common import ListArgs, list_args
from talkya_console.wire import Contact, Deal, DealCreate, DealUpdate, ListPage
from talkya_console.wire.common import now
from talkya_console.wire.crm import DealStage

router = APIRouter(prefix="/v1/deals", tags=["deals"])

# A closed deal's probability is a fact, not a forecast.
CLOSED_PROBABILITY = {"won": 100, "lost": 0}


@router.get("", response_model=ListPage[Deal], summary="List deals, newest first")
async def list_deals(
    args: ListArgs = Depends(list_args),
    stage: DealStage | None = Query(None),
    owner_id: str | None = Query(None, max_length=64),
    contact_id: str | None = Query(None, max_length=64),
    ctx: Ctx = Depends(Scope("deals:read")),
) -> Response:
    where = Where().eq("stage", stage).eq("owner_id", owner_id).eq("contact_id", contact_id)
    return page_response(ctx.db.page("deal", ctx.ws, limit=args.limit, cursor=args.cursor, where=where))


@router.post("", response_model=Deal, status_code=201, summary="Open a deal")
async def create_deal(body: DealCreate, ctx: Ctx = Depends(Scope("deals:write"))) -> Response:
    patient_id = body.patient_id
    if body.contact_id is not None:
        contact = load(ctx, "contact", body.contact_id, Contact, param="contact_id")
        patient_id = patient_id or contact.patient_id  # the deal joins the patient's timeline too
    require_exists(ctx, "patient", body.patient_id, "patient_id")
    require_exists(ctx, "user", body.owner_id, "owner_id")
    stamp = now()
    deal = Deal(
        id=new_id("deal"),
        created_at=stamp,
        updated_at=stamp,
        **body.model_dump(exclude={"patient_id"}),
        patient_id=patient_id,
    )
    deal.probability = CLOSED_PROBABILITY.get(deal.stage, deal.probability)
    write(ctx, "deal", deal)
    return model_response(deal, 201)


@router.get("/{deal_id}", response_model=Deal)
async def get_deal(deal_id: str, ctx: Ctx = Depends(Scope("deals:read"))) -> Response:
    return model_response(load(ctx, "deal", deal_id, Deal))


@router.patch("/{deal_id}", response_model=Deal, summary="Update a deal; a stage change emits deal.stage_changed")
async def update_deal(deal_id: str, body: DealUpdate, ctx: Ctx = Depends(Scope("deals:write"))) -> Response:
    deal = load(ctx, "deal", deal_id, Deal)
    require_exists(ctx, "user", body.owner_id, "owner_id")
    updated, changed = merge(deal, body)
    updated.probability = CLOSED_PROBABILITY.get(updated.stage, updated.probability)
    changed = [f for f in dict.fromkeys([*changed, "probability"]) if getattr(updated, f) != getattr(deal, f)]
    if not changed:
        return model_response(deal)
    event = None
    if updated.stage != deal.stage:
        data = {
            "deal_id": deal.id,
            "from_stage": deal.stage,
            "to_stage": updated.stage,
            "value": updated.value,
            "currency": updated.currency,
        }
        event = ("deal.stage_changed", data)
    write(ctx, "deal", updated, action="updated", fields=changed, insert=False, event=event)
    return model_response(updated)

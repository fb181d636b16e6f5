"""Leads: capture (with the contact it starts), list, read and update."""

from __future__ import annotations

from datetime import datetime
from typing import TypeVar

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel
from starlette.responses import Response

from talkya_console.sandbox.context import Ctx, Scope
from talkya_console.sandbox.db import Where
from talkya_console.sandbox.ids import new_id
from talkya_console.sandbox.records import load, merge, model_response, page_response, write
from talkya_console.sandbox.routes._common import ListArgs, e164, list_args, time_filter
from talkya_console.wire import Contact, Lead, LeadCreate, LeadUpdate, ListPage
from talkya_console.wire.common import now
from talkya_console.wire.crm import LeadStatus

M = TypeVar("M", bound=BaseModel)

router = APIRouter(prefix="/v1/leads", tags=["leads"])


def _contact_for(ctx: Ctx, lead: Lead) -> Contact:
    """The contact a new lead belongs to: the one with its phone, else a new one at stage lead."""
    phone = lead.patient.phone
    if phone is not None:
        found = ctx.db.all("contact", ctx.ws, Contact, Where().eq("phone", phone))
        if found:
            return found[0]
    return Contact(
        id=new_id("con"),
        name=lead.patient.name,
        phone=phone,
        email=lead.patient.email,
        lead_id=lead.id,
        stage="lead",
        created_at=lead.created_at,
        updated_at=lead.created_at,
    )


@router.get("", response_model=ListPage[Lead], summary="List leads, newest first")
async def list_leads(
    args: ListArgs = Depends(list_args),
    source: str | None = Query(None, max_length=40),
    intent: str | None = Query(None, max_length=200),
    status: LeadStatus | None = Query(None),
    campaign: str | None = Query(None, max_length=200),
    created_after: datetime | None = Query(None, description="RFC 3339; leads created at or after it."),
    created_before: datetime | None = Query(None, description="RFC 3339; leads created before it."),
    ctx: Ctx = Depends(Scope("leads:read")),
) -> Response:
    where = (
        Where()
        .eq("source", source)
        .eq("intent", intent)
        .eq("status", status)
        .eq("campaign", campaign)
        .compare("created_at", ">=", time_filter(created_after, "created_after"))
        .compare("created_at", "<", time_filter(created_before, "created_before"))
    )
    return page_response(ctx.db.page("lead", ctx.ws, limit=args.limit, cursor=args.cursor, where=where))


@router.post("", response_model=Lead, status_code=201, summary="Capture a lead and its contact")
async def create_lead(body: LeadCreate, ctx: Ctx = Depends(Scope("leads:write"))) -> Response:
    if body.patient.phone is not None:
        body.patient.phone = e164(body.patient.phone, "patient.phone")
    stamp = now()
    lead = Lead(id=new_id("lead"), created_at=stamp, updated_at=stamp, **body.model_dump())
    with ctx.db.tx():
        contact = _contact_for(ctx, lead)
        lead.contact_id = contact.id
        if contact.lead_id == lead.id:
            write(ctx, "contact", contact)
        elif contact.lead_id is None:  # an existing contact keeps its first lead; one without gains this one
            contact.lead_id, contact.updated_at = lead.id, stamp
            write(ctx, "contact", contact, insert=False)
        data = {
            "lead_id": lead.id,
            "source": lead.source,
            "intent": lead.intent,
            "service_interest": lead.service_interest,
        }
        write(ctx, "lead", lead, event=("lead.created", data))
    return model_response(lead, 201)


@router.get("/{lead_id}", response_model=Lead)
async def get_lead(lead_id: str, ctx: Ctx = Depends(Scope("leads:read"))) -> Response:
    return model_response(load(ctx, "lead", lead_id, Lead))


@router.patch("/{lead_id}", response_model=Lead)
async def update_lead(lead_id: str, body: LeadUpdate, ctx: Ctx = Depends(Scope("leads:write"))) -> Response:
    lead = load(ctx, "lead", lead_id, Lead)
    updated, changed = merge(lead, body)
    if changed:
        write(ctx, "lead", updated, action="updated", fields=changed, insert=False)
    return model_response(updated if changed else lead)

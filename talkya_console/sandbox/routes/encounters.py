"""Encounters: a visit linking patient, provider, location and visit type; closing one is final."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, Query
from starlette.responses import Response

from talkya_console.sandbox.clinical import require_open, require_provider
from talkya_console.sandbox.context import Ctx, Scope
from talkya_console.sandbox.db import Where
from talkya_console.sandbox.ids import new_id
from talkya_console.sandbox.records import load, merge, model_response, page_response, require_exists, write
from talkya_console.sandbox.routes._common import ID_MAX, ListArgs, list_args, refuse_nulls, time_filter
from talkya_console.wire import AuditEntry, Encounter, EncounterCreate, EncounterUpdate, ListPage
from talkya_console.wire.common import now
from talkya_console.wire.ehr import EncounterStatus

router = APIRouter(prefix="/v1/encounters", tags=["encounters"])


def _check_refs(ctx: Ctx, provider_id: str | None, location_id: str | None) -> None:
    """The provider and location named, if any, must be this workspace's."""
    if provider_id is not None:
        require_provider(ctx, provider_id)
    require_exists(ctx, "location", location_id, "location_id")


@router.post("", response_model=Encounter, status_code=201, summary="Create an encounter")
async def create_encounter(body: EncounterCreate, ctx: Ctx = Depends(Scope("encounters:write"))) -> Response:
    require_exists(ctx, "patient", body.patient_id, "patient_id")
    _check_refs(ctx, body.provider_id, body.location_id)
    stamp = now()
    encounter = Encounter(id=new_id("enc"), created_at=stamp, updated_at=stamp, **body.model_dump())
    write(ctx, "encounter", encounter)
    return model_response(encounter, 201)


@router.get("", response_model=ListPage[Encounter], summary="List encounters")
async def list_encounters(
    args: ListArgs = Depends(list_args),
    patient_id: str | None = Query(None, max_length=ID_MAX),
    provider_id: str | None = Query(None, max_length=ID_MAX),
    status: EncounterStatus | None = Query(None),
    created_after: datetime | None = Query(None, description="RFC 3339; inclusive."),
    created_before: datetime | None = Query(None, description="RFC 3339; exclusive."),
    ctx: Ctx = Depends(Scope("encounters:read")),
) -> Response:
    # created_at is stored as a fixed-width RFC 3339 UTC string, so string order is time order.
    where = (
        Where()
        .eq("patient_id", patient_id)
        .eq("provider_id", provider_id)
        .eq("status", status)
        .compare("created_at", ">=", time_filter(created_after, "created_after"))
        .compare("created_at", "<", time_filter(created_before, "created_before"))
    )
    return page_response(ctx.db.page("encounter", ctx.ws, limit=args.limit, cursor=args.cursor, where=where))


@router.get("/{encounter_id}", response_model=Encounter)
async def get_encounter(encounter_id: str, ctx: Ctx = Depends(Scope("encounters:read"))) -> Response:
    return model_response(load(ctx, "encounter", encounter_id, Encounter))


@router.patch("/{encounter_id}", response_model=Encounter, summary="Update an open encounter")
async def update_encounter(
    encounter_id: str, body: EncounterUpdate, ctx: Ctx = Depends(Scope("encounters:write"))
) -> Response:
    encounter = load(ctx, "encounter", encounter_id, Encounter)
    require_open(encounter)
    refuse_nulls(body, ("provider_id", "type", "metadata"))
    _check_refs(ctx, body.provider_id, body.location_id)
    updated, changed = merge(encounter, body)
    if not changed:
        return model_response(encounter)
    write(ctx, "encounter", updated, action="updated", fields=changed, insert=False)
    return model_response(updated)


@router.post("/{encounter_id}/close", response_model=Encounter, summary="Close an encounter")
async def close_encounter(encounter_id: str, ctx: Ctx = Depends(Scope("encounters:write"))) -> Response:
    encounter = load(ctx, "encounter", encounter_id, Encounter)
    require_open(encounter)
    stamp = now()
    closed = encounter.model_copy(update={"status": "closed", "closed_at": stamp, "updated_at": stamp})
    data = {"encounter_id": closed.id, "patient_id": closed.patient_id, "provider_id": closed.provider_id}
    write(
        ctx,
        "encounter",
        closed,
        action="closed",
        fields=["status", "closed_at"],
        event=("encounter.closed", data),
        insert=False,
    )
    return model_response(closed)


@router.get("/{encounter_id}/audit", response_model=ListPage[AuditEntry], summary="The encounter's audit trail")
async def encounter_audit(
    encounter_id: str, args: ListArgs = Depends(list_args), ctx: Ctx = Depends(Scope("encounters:read"))
) -> Response:
    load(ctx, "encounter", encounter_id, Encounter)
    where = Where().eq("record_id", encounter_id)
    return page_response(ctx.db.page("audit_entry", ctx.ws, limit=args.limit, cursor=args.cursor, where=where))

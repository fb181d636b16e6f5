"""Telehealth visits: created from the chart or CRM, moved through the waiting room to a
finished visit, with a draft note generated or attached back on the encounter."""

from __future__ import annotations

import secrets
from datetime import datetime

from fastapi import APIRouter, Depends, Query
from starlette.responses import Response

from talkya_console.sandbox.clinical import TEMPLATES, require_open, require_provider
from talkya_console.sandbox.context import Ctx, Scope
from talkya_console.sandbox.db import Page, Where
from talkya_console.sandbox.errors import ApiError
from talkya_console.sandbox.ids import new_id
from talkya_console.sandbox.records import load, model_response, page_response, require_exists, write
from talkya_console.sandbox.routes._common import ID_MAX, ListArgs, list_args, refuse_nulls, time_filter
from talkya_console.wire import Encounter, ListPage, Note
from talkya_console.wire.common import now
from talkya_console.wire.telehealth import (
    JoinLinks,
    Recording,
    TelehealthNoteCreate,
    TelehealthVisit,
    TelehealthVisitCreate,
    TelehealthVisitUpdate,
    VisitStatus,
)

router = APIRouter(prefix="/v1/telehealth/visits", tags=["telehealth"])

MEET = "https://meet.talkya.ai/v"

# Where each status may go next; anything else is 409 invalid_transition.
TRANSITIONS: dict[str, frozenset[str]] = {
    "scheduled": frozenset({"waiting", "cancelled", "no_show"}),
    "waiting": frozenset({"in_progress", "cancelled", "no_show"}),
    "in_progress": frozenset({"completed"}),
    "completed": frozenset(),
    "cancelled": frozenset(),
    "no_show": frozenset(),
}


def join_links(visit_id: str) -> JoinLinks:
    """Per-role links, each with its own unguessable token, as a meeting service issues them."""
    return JoinLinks(
        patient=f"{MEET}/{visit_id}?role=patient&t={secrets.token_urlsafe(16)}",
        provider=f"{MEET}/{visit_id}?role=provider&t={secrets.token_urlsafe(16)}",
    )


def _check_encounter(ctx: Ctx, encounter_id: str, patient_id: str) -> None:
    encounter = load(ctx, "encounter", encounter_id, Encounter, param="encounter_id")
    if encounter.patient_id != patient_id:
        raise ApiError(422, "encounter_mismatch", "The encounter belongs to another patient.", param="encounter_id")


@router.post("", response_model=TelehealthVisit, status_code=201, summary="Create a visit with join links")
async def create_visit(body: TelehealthVisitCreate, ctx: Ctx = Depends(Scope("telehealth:write"))) -> Response:
    require_exists(ctx, "patient", body.patient_id, "patient_id")
    require_provider(ctx, body.provider_id)
    if body.encounter_id is not None:
        _check_encounter(ctx, body.encounter_id, body.patient_id)
    stamp = now()
    visit_id = new_id("tv")
    visit = TelehealthVisit(
        id=visit_id,
        patient_id=body.patient_id,
        provider_id=body.provider_id,
        encounter_id=body.encounter_id,
        reason=body.reason,
        scheduled_at=body.scheduled_at,
        recording=Recording(enabled=body.record),
        join_links=join_links(visit_id),
        created_at=stamp,
        updated_at=stamp,
    )
    write(ctx, "telehealth_visit", visit)
    return model_response(visit, 201)


@router.get("", response_model=ListPage[TelehealthVisit], summary="List visits")
async def list_visits(
    args: ListArgs = Depends(list_args),
    patient_id: str | None = Query(None, max_length=ID_MAX),
    provider_id: str | None = Query(None, max_length=ID_MAX),
    status: VisitStatus | None = Query(None),
    scheduled_after: datetime | None = Query(None, description="Scheduled at or after this time."),
    scheduled_before: datetime | None = Query(None, description="Scheduled before this time."),
    ctx: Ctx = Depends(Scope("telehealth:read")),
) -> Response:
    where = (
        Where()
        .eq("patient_id", patient_id)
        .eq("provider_id", provider_id)
        .eq("status", status)
        .compare("scheduled_at", ">=", time_filter(scheduled_after, "scheduled_after"))
        .compare("scheduled_at", "<", time_filter(scheduled_before, "scheduled_before"))
    )
    return page_response(ctx.db.page("telehealth_visit", ctx.ws, limit=args.limit, cursor=args.cursor, where=where))


@router.get("/{visit_id}", response_model=TelehealthVisit)
async def get_visit(visit_id: str, ctx: Ctx = Depends(Scope("telehealth:read"))) -> Response:
    return model_response(load(ctx, "telehealth_visit", visit_id, TelehealthVisit))


def _moved(visit: TelehealthVisit, status: str, stamp: datetime) -> TelehealthVisit:
    """The visit after moving to `status`: attendance, timing and recording follow the room."""
    if status not in TRANSITIONS[visit.status]:
        raise ApiError(
            409,
            "invalid_transition",
            f"A {visit.status} visit cannot become {status}.",
            param="status",
        )
    attendance = visit.attendance.model_copy()
    recording = visit.recording.model_copy()
    update: dict[str, object] = {"status": status}
    if status == "waiting":
        attendance.patient_joined_at, attendance.patient_present = stamp, True
    elif status == "in_progress":
        attendance.provider_joined_at, attendance.provider_present = stamp, True
        update["started_at"] = stamp
        if recording.enabled:
            recording.state = "recording"
    elif status == "completed":
        attendance.patient_present = attendance.provider_present = False
        update["ended_at"] = stamp
        update["duration_seconds"] = max(0, int((stamp - visit.started_at).total_seconds())) if visit.started_at else 0
        if recording.enabled:
            # The sandbox has no media pipeline: processing finishes as the visit ends.
            recording.state = "available"
    else:  # cancelled or no_show: nobody is in the room any more
        attendance.patient_present = attendance.provider_present = False
    return visit.model_copy(update={**update, "attendance": attendance, "recording": recording})


@router.patch("/{visit_id}", response_model=TelehealthVisit, summary="Reschedule, or move the visit on")
async def update_visit(
    visit_id: str, body: TelehealthVisitUpdate, ctx: Ctx = Depends(Scope("telehealth:write"))
) -> Response:
    refuse_nulls(body, ("status", "scheduled_at"))
    visit = load(ctx, "telehealth_visit", visit_id, TelehealthVisit)
    stamp = now()
    changed: list[str] = []
    updated = visit
    if body.scheduled_at is not None and body.scheduled_at != visit.scheduled_at:
        if visit.status != "scheduled":
            raise ApiError(
                409, "visit_started", f"A {visit.status} visit can no longer be rescheduled.", param="scheduled_at"
            )
        updated = updated.model_copy(update={"scheduled_at": body.scheduled_at})
        changed.append("scheduled_at")
    if "reason" in body.model_fields_set and body.reason != visit.reason:
        updated = updated.model_copy(update={"reason": body.reason})
        changed.append("reason")
    if body.status is not None and body.status != visit.status:
        updated = _moved(updated, body.status, stamp)
        changed.append("status")
    if not changed:
        return model_response(visit)
    updated = updated.model_copy(update={"updated_at": stamp})
    event = None
    if updated.status == "completed" and "status" in changed:
        data = {"visit_id": visit.id, "patient_id": visit.patient_id, "encounter_id": updated.encounter_id}
        event = ("telehealth.visit.completed", data)
    write(ctx, "telehealth_visit", updated, action="updated", fields=changed, insert=False, event=event)
    return model_response(updated)


# -- draft notes --------------------------------------------------------------------------------

_DRAFT = {
    "chief_complaint": "{reason}.",
    "subjective": "Seen by video for {reason}. Patient-reported history to be confirmed by the provider.",
    "history": "Seen by video for {reason}. Interval history, current medications and allergies to be "
    "confirmed by the provider.",
    "interval_history": "Since the last visit: to be confirmed by the provider ({reason}).",
    "objective": "Telehealth visit; examination limited to video observation.",
    "progress": "Progress toward goals for {reason}: to be confirmed by the provider.",
    "assessment": "Draft assessment for {reason}, pending the provider's review.",
    "plan": "Continue the current plan; follow-up, refills and orders to be confirmed by the provider.",
}


def draft_sections(note_type: str, reason: str | None) -> dict[str, str]:
    """A synthetic draft for each of the note type's sections, for the provider to review."""
    filled = {"reason": reason or "a telehealth follow-up"}
    fallback = "To be completed by the provider."
    return {key: _DRAFT.get(key, fallback).format(**filled) for key in TEMPLATES[note_type]}


def _visit_encounter(ctx: Ctx, visit: TelehealthVisit) -> Encounter:
    """The visit's open encounter, created as a telehealth follow-up when it has none yet."""
    if visit.encounter_id is not None:
        encounter = load(ctx, "encounter", visit.encounter_id, Encounter)
        require_open(encounter)
        return encounter
    stamp = now()
    encounter = Encounter(
        id=new_id("enc"),
        patient_id=visit.patient_id,
        provider_id=visit.provider_id,
        type="telehealth_follow_up",
        reason=visit.reason,
        source="telehealth",
        scheduled_at=visit.scheduled_at,
        metadata={"telehealth_visit_id": visit.id},
        created_at=stamp,
        updated_at=stamp,
    )
    return write(ctx, "encounter", encounter)


def _attachable(ctx: Ctx, visit: TelehealthVisit, note_id: str | None) -> Note:
    if note_id is None:
        raise ApiError(422, "parameter_missing", "'note_id' is required to attach a note.", param="note_id")
    note = load(ctx, "note", note_id, Note, param="note_id")
    if note.patient_id != visit.patient_id:
        raise ApiError(422, "note_mismatch", "The note belongs to another patient.", param="note_id")
    if visit.encounter_id is not None and note.encounter_id != visit.encounter_id:
        raise ApiError(422, "note_mismatch", "The note is on another encounter than this visit's.", param="note_id")
    if note.status == "signed":
        raise ApiError(409, "note_signed", "Only a draft note can be attached for review.", param="note_id")
    return note


@router.post("/{visit_id}/notes", response_model=Note, summary="Generate or attach a draft note")
async def visit_note(
    visit_id: str, body: TelehealthNoteCreate, ctx: Ctx = Depends(Scope("telehealth:write"))
) -> Response:
    visit = load(ctx, "telehealth_visit", visit_id, TelehealthVisit)
    if visit.status in ("cancelled", "no_show"):
        raise ApiError(409, "visit_not_held", f"This visit is {visit.status}; there is nothing to note.")
    with ctx.db.tx():
        if body.mode == "attach":
            note = _attachable(ctx, visit, body.note_id)
            status = 200
        else:
            if body.note_id is not None:
                raise ApiError(422, "parameter_unknown", "'note_id' is only for mode 'attach'.", param="note_id")
            encounter = _visit_encounter(ctx, visit)
            stamp = now()
            note = Note(
                id=new_id("note"),
                encounter_id=encounter.id,
                patient_id=visit.patient_id,
                type=body.type,
                title="Telehealth visit: AI draft for review",
                sections=draft_sections(body.type, visit.reason),
                created_at=stamp,
                updated_at=stamp,
            )
            write(ctx, "note", note)
            status = 201
        updated = visit.model_copy(
            update={"encounter_id": note.encounter_id, "draft_note_id": note.id, "updated_at": now()}
        )
        changed = [f for f in ("encounter_id", "draft_note_id") if getattr(updated, f) != getattr(visit, f)]
        write(ctx, "telehealth_visit", updated, action="updated", fields=changed, insert=False)
    return model_response(note, status)


@router.get("/{visit_id}/notes", response_model=ListPage[Note], summary="Notes on the visit's encounter")
async def visit_notes(
    visit_id: str, args: ListArgs = Depends(list_args), ctx: Ctx = Depends(Scope("telehealth:read"))
) -> Response:
    visit = load(ctx, "telehealth_visit", visit_id, TelehealthVisit)
    if visit.encounter_id is None:
        return page_response(Page([], False, None))
    where = Where().eq("encounter_id", visit.encounter_id)
    return page_response(ctx.db.page("note", ctx.ws, limit=args.limit, cursor=args.cursor, where=where))

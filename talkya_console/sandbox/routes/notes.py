"""Clinical notes: drafted on an open encounter, signed once, corrected only by addenda."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Query
from starlette.responses import Response

from talkya_console.sandbox.clinical import TEMPLATES, require_open
from talkya_console.sandbox.context import Ctx, Scope
from talkya_console.sandbox.db import Where
from talkya_console.sandbox.errors import ApiError
from talkya_console.sandbox.ids import new_id
from talkya_console.sandbox.records import load, model_response, page_response, write
from talkya_console.sandbox.routes._common import ID_MAX, ListArgs, list_args, refuse_nulls
from talkya_console.wire import Addendum, AddendumCreate, Encounter, ListPage, Note, NoteCreate, NoteUpdate
from talkya_console.wire.common import now
from talkya_console.wire.ehr import NoteType

router = APIRouter(prefix="/v1/notes", tags=["notes"])


def _require_draft(note: Note) -> None:
    """Only drafts change; a signed note is part of the legal record."""
    if note.status == "signed":
        raise ApiError(409, "note_signed", "Signed notes are immutable; add an addendum instead.")


def _signer(ctx: Ctx) -> str:
    """The staff member acting, or else the credential (an integration signing for a provider)."""
    return ctx.principal.user_id or ctx.principal.actor_id


@router.post("", response_model=Note, status_code=201, summary="Draft a note on an open encounter")
async def create_note(body: NoteCreate, ctx: Ctx = Depends(Scope("notes:write"))) -> Response:
    encounter = load(ctx, "encounter", body.encounter_id, Encounter, param="encounter_id")
    require_open(encounter)
    sections = body.sections or dict.fromkeys(TEMPLATES[body.type], "")
    stamp = now()
    note = Note(
        id=new_id("note"),
        encounter_id=encounter.id,
        patient_id=encounter.patient_id,
        type=body.type,
        title=body.title,
        sections=sections,
        author_id=ctx.principal.user_id,
        created_at=stamp,
        updated_at=stamp,
    )
    write(ctx, "note", note)
    return model_response(note, 201)


@router.get("", response_model=ListPage[Note], summary="List notes")
async def list_notes(
    args: ListArgs = Depends(list_args),
    encounter_id: str | None = Query(None, max_length=ID_MAX),
    patient_id: str | None = Query(None, max_length=ID_MAX),
    status: Literal["draft", "signed"] | None = Query(None),
    type: NoteType | None = Query(None),
    ctx: Ctx = Depends(Scope("notes:read")),
) -> Response:
    where = Where().eq("encounter_id", encounter_id).eq("patient_id", patient_id).eq("status", status).eq("type", type)
    return page_response(ctx.db.page("note", ctx.ws, limit=args.limit, cursor=args.cursor, where=where))


@router.get("/{note_id}", response_model=Note)
async def get_note(note_id: str, ctx: Ctx = Depends(Scope("notes:read"))) -> Response:
    return model_response(load(ctx, "note", note_id, Note))


@router.patch("/{note_id}", response_model=Note, summary="Edit a draft note")
async def update_note(note_id: str, body: NoteUpdate, ctx: Ctx = Depends(Scope("notes:write"))) -> Response:
    """`sections` merge key by key (as Stripe merges metadata), so an editor can save one section."""
    note = load(ctx, "note", note_id, Note)
    _require_draft(note)
    refuse_nulls(body, ("sections",))
    changes = body.model_dump(exclude_unset=True)
    if "sections" in changes:
        changes["sections"] = {**note.sections, **changes["sections"]}
    changed = [k for k, v in changes.items() if getattr(note, k) != v]
    if not changed:
        return model_response(note)
    updated = note.model_copy(update={**changes, "updated_at": now()})
    write(ctx, "note", updated, action="updated", fields=changed, insert=False)
    return model_response(updated)


@router.post("/{note_id}/sign", response_model=Note, summary="Sign a note; it is immutable from then on")
async def sign_note(note_id: str, ctx: Ctx = Depends(Scope("notes:write"))) -> Response:
    note = load(ctx, "note", note_id, Note)
    _require_draft(note)
    stamp = now()
    signed = note.model_copy(
        update={"status": "signed", "signed_at": stamp, "signed_by": _signer(ctx), "updated_at": stamp}
    )
    data = {"note_id": signed.id, "encounter_id": signed.encounter_id, "patient_id": signed.patient_id}
    write(
        ctx,
        "note",
        signed,
        action="signed",
        fields=["status", "signed_at", "signed_by"],
        event=("note.signed", data),
        insert=False,
    )
    return model_response(signed)


@router.post("/{note_id}/addenda", response_model=Note, status_code=201, summary="Append an addendum to a signed note")
async def add_addendum(note_id: str, body: AddendumCreate, ctx: Ctx = Depends(Scope("notes:write"))) -> Response:
    note = load(ctx, "note", note_id, Note)
    if note.status != "signed":
        raise ApiError(
            409, "note_not_signed", "Addenda are for signed notes; edit this draft with PATCH /v1/notes/{id} instead."
        )
    stamp = now()
    addendum = Addendum(id=new_id("adn"), text=body.text, author_id=_signer(ctx), created_at=stamp)
    updated = note.model_copy(update={"addenda": [*note.addenda, addendum], "updated_at": stamp})
    write(ctx, "note", updated, action="addendum_added", fields=["addenda"], insert=False)
    return model_response(updated, 201)

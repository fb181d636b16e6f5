"""Contacts: the CRM's people (leads and patients alike), with their stage, tags, owner and open tasks."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query
from starlette.responses import Response

from talkya_console.sandbox.context import Ctx, Scope
from talkya_console.sandbox.db import Where
from talkya_console.sandbox.ids import new_id
from talkya_console.sandbox.records import load, merge, model_response, page_response, require_exists, write
from talkya_console.sandbox.routes._common import ListArgs, e164, list_args
from talkya_console.wire import Contact, ContactCreate, ContactUpdate, ListPage, Task
from talkya_console.wire.common import now
from talkya_console.wire.crm import ContactStage

router = APIRouter(prefix="/v1/contacts", tags=["contacts"])

OPEN_TASKS_SHOWN = 100  # a profile shows the work at hand, not a backlog export


def _with_open_tasks(ctx: Ctx, contact: Contact) -> Contact:
    """The contact with its open and in-progress tasks (its own, or its patient's), soonest due first."""
    where = Where().raw("json_extract(data, '$.status') IN ('open', 'in_progress')")
    if contact.patient_id:
        where.raw(
            "(json_extract(data, '$.contact_id') = ? OR json_extract(data, '$.patient_id') = ?)",
            contact.id,
            contact.patient_id,
        )
    else:
        where.eq("contact_id", contact.id)
    tasks = ctx.db.all("task", ctx.ws, Task, where)
    tasks.sort(key=lambda t: (t.due_at is None, t.due_at or t.created_at, t.created_at))
    return contact.model_copy(update={"open_tasks": tasks[:OPEN_TASKS_SHOWN]})


@router.get("", response_model=ListPage[Contact], summary="List contacts, newest first")
async def list_contacts(
    args: ListArgs = Depends(list_args),
    stage: ContactStage | None = Query(None),
    tag: str | None = Query(None, max_length=40),
    owner_id: str | None = Query(None, max_length=64),
    ctx: Ctx = Depends(Scope("contacts:read")),
) -> Response:
    where = Where().eq("stage", stage).eq("owner_id", owner_id)
    if tag is not None:
        where.raw("EXISTS (SELECT 1 FROM json_each(data, '$.tags') WHERE value = ?)", tag)
    return page_response(ctx.db.page("contact", ctx.ws, limit=args.limit, cursor=args.cursor, where=where))


@router.post("", response_model=Contact, status_code=201, summary="Create a contact")
async def create_contact(body: ContactCreate, ctx: Ctx = Depends(Scope("contacts:write"))) -> Response:
    require_exists(ctx, "patient", body.patient_id, "patient_id")
    require_exists(ctx, "user", body.owner_id, "owner_id")
    phone = e164(body.phone, "phone") if body.phone is not None else None
    stamp = now()
    contact = Contact(
        id=new_id("con"), created_at=stamp, updated_at=stamp, **body.model_dump(exclude={"phone"}), phone=phone
    )
    write(ctx, "contact", contact)
    return model_response(_with_open_tasks(ctx, contact), 201)


@router.get("/{contact_id}", response_model=Contact, summary="A contact's profile, with its open tasks")
async def get_contact(contact_id: str, ctx: Ctx = Depends(Scope("contacts:read"))) -> Response:
    return model_response(_with_open_tasks(ctx, load(ctx, "contact", contact_id, Contact)))


@router.patch("/{contact_id}", response_model=Contact)
async def update_contact(contact_id: str, body: ContactUpdate, ctx: Ctx = Depends(Scope("contacts:write"))) -> Response:
    contact = load(ctx, "contact", contact_id, Contact)
    require_exists(ctx, "user", body.owner_id, "owner_id")
    if body.phone is not None:
        body.phone = e164(body.phone, "phone")
    updated, changed = merge(contact, body)
    if changed:
        write(ctx, "contact", updated, action="updated", fields=changed, insert=False)
    return model_response(_with_open_tasks(ctx, updated if changed else contact))

"""Patients: search, create (after intake consent), read, update, and the record's audit trail."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.responses import Response
from starlette.routing import Route

from talkya_console.sandbox import search
from talkya_console.sandbox.context import Ctx, Scope
from talkya_console.sandbox.db import Where
from talkya_console.sandbox.errors import ApiError
from talkya_console.sandbox.ids import new_id
from talkya_console.sandbox.records import audit, load, merge, model_response, page_response, write
from talkya_console.sandbox.routes._common import ListArgs, e164, list_args
from talkya_console.wire import AuditEntry, ListPage, Patient, PatientCreate, PatientUpdate, Phone
from talkya_console.wire.common import now

router = APIRouter(prefix="/v1/patients", tags=["patients"])


def next_mrn(ctx: Ctx) -> str:
    key = f"mrn_seq:{ctx.ws}"
    value = int(ctx.db.meta_get(key) or "100000") + 1
    ctx.db.meta_set(key, str(value))
    return f"TB{value}"


def _phones(phones: list[Phone], param: str) -> list[Phone]:
    return [Phone(type=p.type, number=e164(p.number, f"{param}[{i}].number")) for i, p in enumerate(phones)]


def _mrn_taken(ctx: Ctx, mrn: str) -> bool:
    return bool(ctx.db.page("patient", ctx.ws, limit=1, where=Where().eq("mrn", mrn)).rows)


class PatientQuery(BaseModel):
    """The list's parameters as one model: FastAPI validates it in one pass, which is much
    cheaper per request than nine separate query parameters."""

    model_config = ConfigDict(extra="forbid")

    limit: int = Field(25, ge=1, le=100, description="Page size, 1 to 100.")
    cursor: str | None = Field(None, description="`next_cursor` of the previous page.")
    query: str | None = Field(None, max_length=200, description="Free text: name, DOB, MRN, phone or email.")
    name: str | None = Field(None, max_length=200)
    dob: str | None = Field(None, max_length=20)
    mrn: str | None = Field(None, max_length=32)
    phone: str | None = Field(None, max_length=32)
    email: str | None = Field(None, max_length=254)
    tag: str | None = Field(None, max_length=40)


SEARCH_FIELDS = ("query", "name", "dob", "mrn", "phone", "email", "tag")


class AccessBody(BaseModel):
    """How a chart was looked at: opened (`viewed`), or its masked details shown (`revealed`)."""

    model_config = ConfigDict(extra="forbid")

    action: Literal["viewed", "revealed"]


def _list(ctx: Ctx, q: PatientQuery) -> Response:
    expression = search.match_expression(
        query=q.query, name=q.name, dob=q.dob, mrn=q.mrn, phone=q.phone, email=q.email, tag=q.tag
    )
    if expression is None:
        return page_response(ctx.db.page("patient", ctx.ws, limit=q.limit, cursor=q.cursor or None))
    # A search is a look into the record set: who searched, when, and by what (never the terms).
    used = [field for field in SEARCH_FIELDS if getattr(q, field)]
    audit(ctx, "patient_search", ctx.request_id or "", "searched", used)
    return page_response(search.search_page(ctx.db, ctx.ws, expression, q.limit, q.cursor or None))


@router.get("", response_model=ListPage[Patient], summary="Search patients")
async def list_patients(q: Annotated[PatientQuery, Query()], ctx: Ctx = Depends(Scope("patients:read"))) -> Response:
    return _list(ctx, q)


async def list_patients_fast(request: Request) -> Response:
    """The same list without FastAPI's per-request dependency solving, which cost more than
    the query itself; `list_patients` stays registered for the OpenAPI description."""
    ctx = await Scope("patients:read")(request)
    try:
        q = PatientQuery.model_validate(dict(request.query_params))
    except ValidationError as exc:
        raise RequestValidationError([{**e, "loc": ("query", *e["loc"])} for e in exc.errors()]) from None
    return _list(ctx, q)


FAST_ROUTES = [Route("/v1/patients", list_patients_fast, methods=["GET"])]


@router.post("", response_model=Patient, status_code=201, summary="Create a patient after intake consent")
async def create_patient(body: PatientCreate, ctx: Ctx = Depends(Scope("patients:write"))) -> Response:
    consent = body.consent
    if consent is None or not consent.intake or consent.captured_at is None:
        raise ApiError(
            422,
            "consent_required",
            "Capture the patient's intake consent first: send consent.intake true with consent.captured_at.",
            param="consent.intake",
        )
    if body.mrn and _mrn_taken(ctx, body.mrn):
        raise ApiError(409, "mrn_taken", "Another patient in this workspace has this MRN.", param="mrn")
    stamp = now()
    with ctx.db.tx():
        patient = Patient(
            id=new_id("pat"),
            name=f"{body.first_name} {body.last_name}",
            mrn=body.mrn or next_mrn(ctx),
            created_at=stamp,
            updated_at=stamp,
            **body.model_dump(exclude={"mrn", "phones"}),
            phones=_phones(body.phones, "phones"),
        )
        write(ctx, "patient", patient, event=("patient.created", {"patient_id": patient.id}))
        search.index(ctx.db, patient)
    return model_response(patient, 201)


@router.get("/{patient_id}", response_model=Patient)
async def get_patient(patient_id: str, ctx: Ctx = Depends(Scope("patients:read"))) -> Response:
    return model_response(load(ctx, "patient", patient_id, Patient))


@router.patch("/{patient_id}", response_model=Patient)
async def update_patient(patient_id: str, body: PatientUpdate, ctx: Ctx = Depends(Scope("patients:write"))) -> Response:
    patient = load(ctx, "patient", patient_id, Patient)
    if body.phones is not None:
        body.phones = _phones(body.phones, "phones")
    if body.consent is not None and not (body.consent.intake and body.consent.captured_at):
        raise ApiError(
            422, "consent_required", "Intake consent cannot be withdrawn through an update.", param="consent.intake"
        )
    updated, changed = merge(patient, body)
    if not changed:
        return model_response(patient)
    updated.name = f"{updated.first_name} {updated.last_name}"
    with ctx.db.tx():
        write(ctx, "patient", updated, action="updated", fields=changed, insert=False)
        search.index(ctx.db, updated)
    return model_response(updated)


@router.post(
    "/{patient_id}/access",
    response_model=AuditEntry,
    status_code=201,
    summary="Record that a chart was viewed or revealed",
)
async def record_access(patient_id: str, body: AccessBody, ctx: Ctx = Depends(Scope("patients:read"))) -> Response:
    load(ctx, "patient", patient_id, Patient)
    entry = audit(ctx, "patient", patient_id, body.action)
    return model_response(entry, 201)


@router.get("/{patient_id}/audit", response_model=ListPage[AuditEntry], summary="The record's audit trail")
async def patient_audit(
    patient_id: str, args: ListArgs = Depends(list_args), ctx: Ctx = Depends(Scope("patients:read"))
) -> Response:
    load(ctx, "patient", patient_id, Patient)
    where = Where().eq("record_id", patient_id)
    return page_response(ctx.db.page("audit_entry", ctx.ws, limit=args.limit, cursor=args.cursor, where=where))

"""Documents: consent forms, lab reports, photos and imported records filed on a patient's chart."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Query, UploadFile
from starlette.responses import Response

from talkya_console.sandbox.context import Ctx, Scope
from talkya_console.sandbox.db import Where
from talkya_console.sandbox.errors import ApiError
from talkya_console.sandbox.ids import new_id
from talkya_console.sandbox.records import load, model_response, page_response, write
from talkya_console.sandbox.routes._common import ID_MAX, ListArgs, list_args
from talkya_console.sandbox.routes.files import read_upload, resolve_patient, store_file, stream_file
from talkya_console.wire import Document, File, ListPage
from talkya_console.wire.ehr import DocumentType

router = APIRouter(prefix="/v1/documents", tags=["documents"])


@router.post("", response_model=Document, status_code=201, summary="File a document on a patient's chart (multipart)")
async def create_document(
    file: UploadFile,
    patient_id: str = Form(..., max_length=ID_MAX),
    type: DocumentType = Form(...),
    title: str = Form(..., max_length=200),
    encounter_id: str | None = Form(None, max_length=ID_MAX),
    ctx: Ctx = Depends(Scope("documents:write")),
) -> Response:
    title = title.strip()
    if not title:
        raise ApiError(422, "parameter_invalid", "'title' must not be blank.", param="title")
    resolve_patient(ctx, patient_id, encounter_id or None)
    upload = await read_upload(ctx, file)
    with ctx.db.tx():
        stored = store_file(ctx, upload, "document", patient_id=patient_id, encounter_id=encounter_id or None)
        document = Document(
            id=new_id("doc"),
            patient_id=patient_id,
            encounter_id=encounter_id or None,
            type=type,
            title=title,
            file_id=stored.id,
            filename=stored.filename,
            content_type=stored.content_type,
            size=stored.size,
            created_at=stored.created_at,
        )
        write(ctx, "document", document)
    return model_response(document, 201)


@router.get("", response_model=ListPage[Document], summary="List documents")
async def list_documents(
    args: ListArgs = Depends(list_args),
    patient_id: str | None = Query(None, max_length=ID_MAX),
    encounter_id: str | None = Query(None, max_length=ID_MAX),
    type: DocumentType | None = Query(None),
    ctx: Ctx = Depends(Scope("documents:read")),
) -> Response:
    where = Where().eq("patient_id", patient_id).eq("encounter_id", encounter_id).eq("type", type)
    return page_response(ctx.db.page("document", ctx.ws, limit=args.limit, cursor=args.cursor, where=where))


@router.get("/{document_id}", response_model=Document)
async def get_document(document_id: str, ctx: Ctx = Depends(Scope("documents:read"))) -> Response:
    return model_response(load(ctx, "document", document_id, Document))


@router.get("/{document_id}/content", summary="Download the document's file")
async def document_content(document_id: str, ctx: Ctx = Depends(Scope("documents:read"))) -> Response:
    document = load(ctx, "document", document_id, Document)
    return stream_file(ctx, load(ctx, "file", document.file_id, File))

"""Files: uploads of allowed types, attached to a patient, encounter, message or task, and
streamed back from SQLite a chunk at a time."""

from __future__ import annotations

import hashlib
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Query, UploadFile
from starlette.responses import Response, StreamingResponse

from talkya_console.sandbox.context import Ctx, Scope
from talkya_console.sandbox.db import Where
from talkya_console.sandbox.errors import ApiError
from talkya_console.sandbox.ids import new_id
from talkya_console.sandbox.records import load, model_response, page_response, require_exists, write
from talkya_console.sandbox.routes._common import ID_MAX, ListArgs, list_args
from talkya_console.wire import Encounter, File, ListPage
from talkya_console.wire.common import now

router = APIRouter(prefix="/v1/files", tags=["files"])

Purpose = Literal["attachment", "document", "recording", "import"]
CHUNK = 64 * 1024
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
# Accepted media types, with the aliases clients send for them mapped to one canonical name.
ALLOWED = {
    "application/pdf": "application/pdf",
    "image/png": "image/png",
    "image/jpeg": "image/jpeg",
    "image/jpg": "image/jpeg",
    "image/gif": "image/gif",
    "image/webp": "image/webp",
    "image/heic": "image/heic",
    "image/heif": "image/heic",
    "text/plain": "text/plain",
    "text/csv": "text/csv",
    "audio/mpeg": "audio/mpeg",
    "audio/mp3": "audio/mpeg",
    "audio/wav": "audio/wav",
    "audio/x-wav": "audio/wav",
    "audio/wave": "audio/wav",
    "audio/mp4": "audio/mp4",
    "audio/m4a": "audio/mp4",
    "audio/x-m4a": "audio/mp4",
    DOCX: DOCX,
}
# Used only when the client names no specific type (missing or application/octet-stream).
BY_EXTENSION = {
    "pdf": "application/pdf",
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "gif": "image/gif",
    "webp": "image/webp",
    "heic": "image/heic",
    "txt": "text/plain",
    "csv": "text/csv",
    "mp3": "audio/mpeg",
    "wav": "audio/wav",
    "m4a": "audio/mp4",
    "docx": DOCX,
}
_UNSAFE = re.compile(r'[\x00-\x1f\x7f"\\]')


@dataclass(frozen=True)
class Upload:
    """An accepted upload: its bytes, safe filename and canonical media type."""

    content: bytes
    filename: str
    content_type: str


def _filename(raw: str | None) -> str:
    """The last path segment, without control characters, at most 255 characters."""
    name = _UNSAFE.sub("_", re.split(r"[/\\]", raw or "")[-1]).strip(" .")
    return name[-255:] or "upload"


def _content_type(declared: str | None, filename: str) -> str:
    """The canonical allowed media type, or 415; a generic type is resolved by the extension."""
    essence = (declared or "").split(";", 1)[0].strip().lower()
    if essence in ("", "application/octet-stream"):
        essence = BY_EXTENSION.get(filename.rsplit(".", 1)[-1].lower(), essence) if "." in filename else essence
    if essence not in ALLOWED:
        raise ApiError(
            415,
            "unsupported_file_type",
            "This file type is not accepted; send PDF, PNG, JPEG, GIF, WebP, HEIC, plain text, CSV, "
            "MP3, WAV, M4A or DOCX.",
            param="file",
        )
    return ALLOWED[essence]


async def read_upload(ctx: Ctx, file: UploadFile) -> Upload:
    """The upload's bytes, refused when of a type not allowed, too large, or empty."""
    filename = _filename(file.filename)
    content_type = _content_type(file.content_type, filename)
    limit = ctx.sandbox.limits.file_bytes
    content = await file.read(limit + 1)
    if len(content) > limit:
        raise ApiError(
            413, "payload_too_large", f"Files may be at most {limit // 1024} KiB; this one is larger.", param="file"
        )
    if not content:
        raise ApiError(422, "file_empty", "The file is empty; choose a file with content.", param="file")
    return Upload(content, filename, content_type)


def resolve_patient(ctx: Ctx, patient_id: str | None, encounter_id: str | None) -> str | None:
    """The patient a file belongs to: the one named, or its encounter's; both must agree."""
    if encounter_id is None:
        require_exists(ctx, "patient", patient_id, "patient_id")
        return patient_id
    encounter = load(ctx, "encounter", encounter_id, Encounter, param="encounter_id")
    if patient_id is not None and encounter.patient_id != patient_id:
        raise ApiError(
            422, "encounter_patient_mismatch", "The encounter belongs to another patient.", param="encounter_id"
        )
    return encounter.patient_id


def store_file(ctx: Ctx, upload: Upload, purpose: Purpose, **targets: str | None) -> File:
    """Store the File record and its bytes in one transaction (the caller's, if it has one)."""
    record = File(
        id=new_id("file"),
        filename=upload.filename,
        content_type=upload.content_type,
        size=len(upload.content),
        sha256=hashlib.sha256(upload.content).hexdigest(),
        purpose=purpose,
        created_at=now(),
        **targets,
    )
    with ctx.db.tx():
        write(ctx, "file", record)
        ctx.db.conn.execute("INSERT INTO blobs (file_id, content) VALUES (?, ?)", (record.id, upload.content))
    return record


def _disposition(filename: str) -> str:
    """An attachment header with an ASCII fallback and the exact UTF-8 name (RFC 6266)."""
    fallback = filename.encode("ascii", "replace").decode().replace("?", "_")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def stream_file(ctx: Ctx, record: File) -> Response:
    """The file's bytes, read from SQLite 64 KiB at a time rather than loaded whole."""
    db = ctx.db
    row = db.conn.execute("SELECT rowid, length(content) FROM blobs WHERE file_id = ?", (record.id,)).fetchone()
    if row is None:
        raise ApiError(404, "file_content_missing", "This file's content is no longer stored.")
    rowid, size = row

    async def chunks() -> AsyncIterator[bytes]:
        # Incremental blob I/O reads only the pages a chunk needs; substr() would load the
        # whole blob for every chunk.
        for offset in range(0, size, CHUNK):
            # The handle is closed before yielding, so no statement stays open across awaits.
            with db.conn.blobopen("blobs", "content", rowid, readonly=True) as blob:
                blob.seek(offset)
                chunk = blob.read(CHUNK)
            yield chunk

    headers = {
        "Content-Length": str(size),
        "Content-Disposition": _disposition(record.filename),
        "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
    }
    return StreamingResponse(chunks(), media_type=record.content_type, headers=headers)


@router.post("", response_model=File, status_code=201, summary="Upload a file (multipart)")
async def upload_file(
    file: UploadFile,
    purpose: Purpose = Form("attachment"),
    patient_id: str | None = Form(None, max_length=ID_MAX),
    encounter_id: str | None = Form(None, max_length=ID_MAX),
    message_id: str | None = Form(None, max_length=ID_MAX),
    task_id: str | None = Form(None, max_length=ID_MAX),
    ctx: Ctx = Depends(Scope("files:write")),
) -> Response:
    patient_id = resolve_patient(ctx, patient_id or None, encounter_id or None)
    require_exists(ctx, "message", message_id or None, "message_id")
    require_exists(ctx, "task", task_id or None, "task_id")
    upload = await read_upload(ctx, file)
    record = store_file(
        ctx,
        upload,
        purpose,
        patient_id=patient_id,
        encounter_id=encounter_id or None,
        message_id=message_id or None,
        task_id=task_id or None,
    )
    return model_response(record, 201)


@router.get("", response_model=ListPage[File], summary="List files")
async def list_files(
    args: ListArgs = Depends(list_args),
    patient_id: str | None = Query(None, max_length=ID_MAX),
    purpose: Purpose | None = Query(None),
    ctx: Ctx = Depends(Scope("files:read")),
) -> Response:
    where = Where().eq("patient_id", patient_id).eq("purpose", purpose)
    return page_response(ctx.db.page("file", ctx.ws, limit=args.limit, cursor=args.cursor, where=where))


@router.get("/{file_id}", response_model=File)
async def get_file(file_id: str, ctx: Ctx = Depends(Scope("files:read"))) -> Response:
    return model_response(load(ctx, "file", file_id, File))


@router.get("/{file_id}/content", summary="Download the file's bytes")
async def file_content(file_id: str, ctx: Ctx = Depends(Scope("files:read"))) -> Response:
    return stream_file(ctx, load(ctx, "file", file_id, File))

"""Files and documents: allowed types only, size-limited, attached to real records, and
downloaded back byte for byte."""

from __future__ import annotations

import hashlib
import os
import random
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from talkya_console.sandbox.app import create_app
from talkya_console.sandbox.context import Limits
from talkya_console.sandbox.db import Where
from talkya_console.sandbox.seed.ehr import seed_ehr
from talkya_console.sandbox.seed.people import seed_patients
from talkya_console.wire import AuditEntry, Document
from tests.conftest import DEMO_HEADERS, DEMO_TODAY, NORTHSIDE_HEADERS, READONLY_HEADERS
from tests.sandbox_helpers import assert_error, patient_body, walk

PDF = b"%PDF-1.4\n% consent form\n%%EOF\n"


@pytest.fixture
async def patient_id(api) -> str:
    return (await api.post("/v1/patients", json=patient_body())).json()["id"]


@pytest.fixture
async def encounter(api, patient_id) -> dict[str, Any]:
    body = {"patient_id": patient_id, "provider_id": "usr_112", "type": "filler_touch_up"}
    return (await api.post("/v1/encounters", json=body)).json()


def upload(name: str = "consent.pdf", content: bytes = PDF, content_type: str = "application/pdf") -> dict[str, Any]:
    return {"file": (name, content, content_type)}


async def document(api, patient_id: str, **fields: str) -> httpx.Response:
    data = {"patient_id": patient_id, "type": "consent_form", "title": "Filler consent", **fields}
    return await api.post("/v1/documents", files=upload(), data=data)


@pytest.fixture
async def small_api() -> AsyncIterator[httpx.AsyncClient]:
    """A sandbox that accepts files of at most 1 KiB."""
    app = create_app(":memory:", seed="empty", limits=Limits(rate_limit=None, file_bytes=1024))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox", headers=DEMO_HEADERS) as client:
        yield client


async def test_upload_stores_size_hash_and_attachments(api, patient_id):
    response = await api.post("/v1/files", files=upload(), data={"patient_id": patient_id, "purpose": "import"})
    assert response.status_code == 201, response.text
    stored = response.json()
    assert stored["id"].startswith("file_")
    assert (stored["filename"], stored["content_type"], stored["purpose"]) == (
        "consent.pdf",
        "application/pdf",
        "import",
    )
    assert (stored["size"], stored["sha256"]) == (len(PDF), hashlib.sha256(PDF).hexdigest())
    assert stored["patient_id"] == patient_id
    assert (await api.get(f"/v1/files/{stored['id']}")).json() == stored


async def test_download_returns_the_exact_bytes_in_chunks(api):
    content = random.Random(1).randbytes(200 * 1024 + 17)  # several 64 KiB chunks and a ragged tail
    stored = (await api.post("/v1/files", files=upload("scan.png", content, "image/png"))).json()
    response = await api.get(f"/v1/files/{stored['id']}/content")
    assert response.status_code == 200
    assert response.content == content
    assert response.headers["content-type"] == "image/png"
    assert response.headers["content-length"] == str(len(content))
    assert response.headers["content-disposition"] == "attachment; filename=\"scan.png\"; filename*=UTF-8''scan.png"
    assert response.headers["cache-control"] == "no-store"


@pytest.mark.parametrize("sent", ["../../etc/Résumé.txt", "C:\\Users\\ana\\Résumé.txt"])
async def test_filename_is_reduced_to_its_last_segment(api, sent):
    stored = (await api.post("/v1/files", files=upload(sent, b"hi", "text/plain"))).json()
    assert stored["filename"] == "Résumé.txt"
    response = await api.get(f"/v1/files/{stored['id']}/content")
    assert response.headers["content-disposition"] == (
        "attachment; filename=\"R_sum_.txt\"; filename*=UTF-8''R%C3%A9sum%C3%A9.txt"
    )


@pytest.mark.parametrize(
    ("name", "declared", "stored"),
    [
        ("voicemail.m4a", "application/octet-stream", "audio/mp4"),
        ("photo.HEIC", "application/octet-stream", "image/heic"),
        ("visit.mp3", "audio/mp3", "audio/mpeg"),
        ("list.csv", "text/csv; charset=utf-8", "text/csv"),
        ("plan.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", None),
    ],
)
async def test_allowed_types_are_stored_under_one_name(api, name, declared, stored):
    response = await api.post("/v1/files", files=upload(name, b"data", declared))
    assert response.status_code == 201, response.text
    assert response.json()["content_type"] == (stored or declared)


@pytest.mark.parametrize(
    ("name", "declared"),
    [("page.html", "text/html"), ("setup.exe", "application/x-msdownload"), ("blob", "application/octet-stream")],
)
async def test_other_types_are_415(api, name, declared):
    response = await api.post("/v1/files", files=upload(name, b"data", declared))
    assert_error(response, 415, "unsupported_file_type", param="file")


async def test_file_over_the_limit_is_413(small_api):
    assert (await small_api.post("/v1/files", files=upload(content=b"x" * 1024))).status_code == 201
    response = await small_api.post("/v1/files", files=upload(content=b"x" * 1025))
    assert_error(response, 413, "payload_too_large", param="file")
    # Far past the limit, the gate refuses the body before the route reads it.
    response = await small_api.post("/v1/files", files=upload(content=b"x" * 200_000))
    assert_error(response, 413, "payload_too_large")
    assert (await small_api.get("/v1/files")).json()["data"] != []


async def test_empty_file_is_422(api):
    assert_error(await api.post("/v1/files", files=upload(content=b"")), 422, "file_empty", param="file")


async def test_missing_file_is_422(api):
    assert_error(await api.post("/v1/files", data={"purpose": "attachment"}), 422, "parameter_missing", param="file")
    assert_error(await api.post("/v1/files", json={"purpose": "x"}), 422, "parameter_missing", param="file")


async def test_bad_purpose_is_422(api):
    response = await api.post("/v1/files", files=upload(), data={"purpose": "selfie"})
    assert_error(response, 422, "parameter_invalid", param="purpose")


@pytest.mark.parametrize("field", ["patient_id", "encounter_id", "message_id", "task_id"])
async def test_unknown_attachment_target_is_404_naming_it(api, field):
    response = await api.post("/v1/files", files=upload(), data={field: "x_missing"})
    assert_error(response, 404, "resource_missing", param=field)


async def test_encounter_attaches_its_patient_too(api, encounter):
    response = await api.post("/v1/files", files=upload(), data={"encounter_id": encounter["id"]})
    assert response.json()["patient_id"] == encounter["patient_id"]


async def test_encounter_of_another_patient_is_422(api, encounter):
    other = (await api.post("/v1/patients", json=patient_body(first_name="Ana"))).json()["id"]
    data = {"encounter_id": encounter["id"], "patient_id": other}
    response = await api.post("/v1/files", files=upload(), data=data)
    assert_error(response, 422, "encounter_patient_mismatch", param="encounter_id")
    assert_error(await document(api, other, encounter_id=encounter["id"]), 422, "encounter_patient_mismatch")


async def test_list_files_filters_by_patient_and_purpose(api, patient_id):
    mine = (await api.post("/v1/files", files=upload(), data={"patient_id": patient_id})).json()
    recording = await api.post(
        "/v1/files",
        files=upload("call.wav", b"RIFF", "audio/wav"),
        data={"patient_id": patient_id, "purpose": "recording"},
    )
    assert {f["id"] for f in await walk(api, "/v1/files", patient_id=patient_id)} == {
        mine["id"],
        recording.json()["id"],
    }
    listed = await walk(api, "/v1/files", patient_id=patient_id, purpose="recording")
    assert [f["id"] for f in listed] == [recording.json()["id"]]


async def test_files_and_documents_are_each_audited_with_who_stored_them(api, sandbox, patient_id):
    stored = (await api.post("/v1/files", files=upload())).json()
    filed = (await document(api, patient_id)).json()
    entries = sandbox.db.all("audit_entry", "ws_truebliss", AuditEntry, Where().eq("record_id", stored["id"]))
    assert [(e.record_type, e.action, e.actor.type) for e in entries] == [("file", "created", "api_key")]
    entries = sandbox.db.all("audit_entry", "ws_truebliss", AuditEntry, Where().eq("record_id", filed["id"]))
    assert [(e.record_type, e.action) for e in entries] == [("document", "created")]


async def test_document_creates_its_file_and_downloads_the_exact_bytes(api, encounter):
    response = await document(api, encounter["patient_id"], encounter_id=encounter["id"])
    assert response.status_code == 201, response.text
    filed = response.json()
    assert filed["id"].startswith("doc_")
    assert (filed["type"], filed["title"], filed["encounter_id"]) == ("consent_form", "Filler consent", encounter["id"])
    assert (filed["filename"], filed["content_type"], filed["size"]) == ("consent.pdf", "application/pdf", len(PDF))
    stored = (await api.get(f"/v1/files/{filed['file_id']}")).json()
    assert (stored["purpose"], stored["patient_id"]) == ("document", encounter["patient_id"])
    content = await api.get(f"/v1/documents/{filed['id']}/content")
    assert content.content == PDF
    assert content.headers["content-type"] == "application/pdf"
    assert (await api.get(f"/v1/documents/{filed['id']}")).json() == filed


@pytest.mark.parametrize(
    ("drop", "change", "code", "param"),
    [
        ("patient_id", {}, "parameter_missing", "patient_id"),
        ("type", {}, "parameter_missing", "type"),
        ("title", {}, "parameter_missing", "title"),
        (None, {"type": "selfie"}, "parameter_invalid", "type"),
        (None, {"title": "   "}, "parameter_invalid", "title"),
        (None, {"title": "x" * 201}, "parameter_invalid", "title"),
    ],
)
async def test_bad_document_fields_are_422_naming_them(api, patient_id, drop, change, code, param):
    data = {"patient_id": patient_id, "type": "consent_form", "title": "Consent", **change}
    data.pop(drop or "", None)
    assert_error(await api.post("/v1/documents", files=upload(), data=data), 422, code, param=param)


async def test_refused_document_stores_nothing(api, patient_id):
    data = {"patient_id": patient_id, "type": "photo", "title": "Before"}
    response = await api.post("/v1/documents", files=upload("x.svg", b"<svg/>", "image/svg+xml"), data=data)
    assert_error(response, 415, "unsupported_file_type", param="file")
    assert await walk(api, "/v1/files", patient_id=patient_id) == []
    assert await walk(api, "/v1/documents", patient_id=patient_id) == []


async def test_document_for_an_unknown_patient_is_404(api):
    assert_error(await document(api, "pat_missing"), 404, "resource_missing", param="patient_id")


async def test_list_documents_filters_by_patient_encounter_and_type(api, encounter):
    patient_id = encounter["patient_id"]
    consent = (await document(api, patient_id, encounter_id=encounter["id"])).json()
    lab = (await document(api, patient_id, type="lab_report", title="A1c")).json()

    async def ids(**params: str) -> set[str]:
        return {d["id"] for d in await walk(api, "/v1/documents", **params)}

    assert await ids(patient_id=patient_id) == {consent["id"], lab["id"]}
    assert await ids(encounter_id=encounter["id"]) == {consent["id"]}
    assert await ids(patient_id=patient_id, type="lab_report") == {lab["id"]}


async def test_read_only_key_can_read_but_not_upload(api, patient_id):
    filed = (await document(api, patient_id)).json()
    assert (await api.get(f"/v1/documents/{filed['id']}/content", headers=READONLY_HEADERS)).content == PDF
    assert (await api.get(f"/v1/files/{filed['file_id']}/content", headers=READONLY_HEADERS)).content == PDF
    response = await api.post("/v1/files", files=upload(), headers=READONLY_HEADERS)
    assert "files:write" in assert_error(response, 403, "insufficient_scope")["message"]
    data = {"patient_id": patient_id, "type": "consent_form", "title": "x"}
    response = await api.post("/v1/documents", files=upload(), data=data, headers=READONLY_HEADERS)
    assert "documents:write" in assert_error(response, 403, "insufficient_scope")["message"]


async def test_another_workspace_sees_404(api, patient_id):
    filed = (await document(api, patient_id)).json()
    for path in (
        f"/v1/documents/{filed['id']}",
        f"/v1/documents/{filed['id']}/content",
        f"/v1/files/{filed['file_id']}",
        f"/v1/files/{filed['file_id']}/content",
    ):
        assert_error(await api.get(path, headers=NORTHSIDE_HEADERS), 404, "resource_missing")
    response = await api.post("/v1/files", files=upload(), data={"patient_id": patient_id}, headers=NORTHSIDE_HEADERS)
    assert_error(response, 404, "resource_missing", param="patient_id")


@pytest.mark.parametrize(
    "path", ["/v1/files/file_missing", "/v1/files/file_missing/content", "/v1/documents/doc_missing/content"]
)
async def test_unknown_file_or_document_is_404(api, path):
    assert_error(await api.get(path), 404, "resource_missing")


async def test_seeded_consent_form_downloads_as_a_pdf():
    app = create_app(":memory:", seed="empty", limits=Limits(rate_limit=None))
    sandbox = app.state.sandbox
    seed_ehr(sandbox, seed_patients(sandbox, 100), random.Random(4), today=DEMO_TODAY)
    seeded = sandbox.db.all("document", "ws_truebliss", Document)
    assert seeded and all(d.type == "consent_form" for d in seeded)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox", headers=DEMO_HEADERS) as client:
        response = await client.get(f"/v1/documents/{seeded[0].id}/content")
        stored = (await client.get(f"/v1/files/{seeded[0].file_id}")).json()
    assert response.content.startswith(b"%PDF-") and response.content.rstrip().endswith(b"%%EOF")
    assert hashlib.sha256(response.content).hexdigest() == stored["sha256"]
    assert len(response.content) == seeded[0].size
    assert os.path.splitext(seeded[0].filename)[1] == ".pdf"


async def test_a_retried_upload_with_its_key_is_replayed_not_refused(api):
    headers = {"Idempotency-Key": "upload-retry-1"}
    files = {"file": ("consent.pdf", b"%PDF-1.4 retried", "application/pdf")}
    first = await api.post("/v1/files", files=files, headers=headers)
    second = await api.post("/v1/files", files=files, headers=headers)
    assert first.status_code == 201, first.text
    assert second.status_code == 201, second.text
    assert second.headers["Idempotent-Replayed"] == "true"
    assert second.json()["id"] == first.json()["id"]

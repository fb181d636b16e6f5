"""Documents against the sandbox: uploaded from a path, listed, read, downloaded as a stream."""

from __future__ import annotations

from pathlib import Path

from talkya_console.api import TalkyaClient
from talkya_console.wire import Patient


async def test_upload_from_a_path_and_download(client: TalkyaClient, patient: Patient, tmp_path: Path) -> None:
    source = tmp_path / "consent.pdf"
    source.write_bytes(b"%PDF-1.4\n" + b"x" * 200_000)
    document = await client.documents.upload(
        source, patient_id=patient.id, type="consent_form", title="Intake consent", content_type="application/pdf"
    )
    assert (document.filename, document.size, document.type) == ("consent.pdf", 200_009, "consent_form")
    assert await client.documents.get(document.id) == document
    assert [d.id async for d in client.documents.list(patient_id=patient.id)] == [document.id]

    chunks: list[bytes] = []
    async with client.documents.download(document.id) as stream:
        assert stream.headers["content-type"].startswith("application/pdf")
        async for chunk in stream.aiter_bytes():
            chunks.append(chunk)
    assert b"".join(chunks) == source.read_bytes()

    target = tmp_path / "copy.pdf"
    assert await client.documents.download_to(document.id, target) == 200_009
    assert target.read_bytes() == source.read_bytes()

"""Files against the sandbox: uploaded from a file object (streamed), listed, downloaded; an
upload whose answer is lost is retried into the same file, not a second one."""

from __future__ import annotations

import io
from pathlib import Path

import httpx

from talkya_console.api import TalkyaClient
from talkya_console.wire import Patient


class LoseFirstAnswer(httpx.AsyncBaseTransport):
    """Lets the first request through, then drops its answer as a reset connection would."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.attempts = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        self.attempts += 1
        if self.attempts == 1:
            await response.aread()
            raise httpx.ReadError("connection reset", request=request)
        return response


async def test_upload_a_file_object_and_stream_it_back(client: TalkyaClient, patient: Patient, tmp_path: Path) -> None:
    payload = b"date,weight\n" + b"2026-05-18,81.5\n" * 20_000
    uploaded = await client.files.upload(io.BytesIO(payload), filename="weights.csv", patient_id=patient.id)
    assert (uploaded.size, uploaded.filename, uploaded.content_type) == (len(payload), "weights.csv", "text/csv")
    assert await client.files.get(uploaded.id) == uploaded
    assert [f.id async for f in client.files.list(patient_id=patient.id, purpose="attachment")] == [uploaded.id]
    received = bytearray()
    async with client.files.download(uploaded.id) as stream:
        async for chunk in stream.aiter_bytes():
            received.extend(chunk)
    assert bytes(received) == payload
    assert await client.files.download_to(uploaded.id, tmp_path / "weights.csv") == len(payload)


async def test_upload_retried_after_a_lost_answer_is_one_file(
    make_client, asgi: httpx.ASGITransport, patient: Patient
) -> None:
    flaky = LoseFirstAnswer(asgi)
    client = make_client(flaky)
    uploaded = await client.files.upload(io.BytesIO(b"hello" * 1000), filename="a.txt", patient_id=patient.id)
    files = [f async for f in client.files.list(patient_id=patient.id)]
    assert [f.id for f in files] == [uploaded.id]
    assert flaky.attempts == 3  # the lost upload, its replay, the list

"""The durable outbox: kept on disk owner-only, sent once under the key it was typed with, in order,
refusals kept with their reason, and only under the sign-in of the person who made them."""

from __future__ import annotations

import stat

import httpx
import pytest

from talkya_console.api import TalkyaClient
from talkya_console.outbox import Outbox, Write, flush, link_failure, request_text
from tests.sandbox_helpers import patient_body


class Link(httpx.AsyncBaseTransport):
    """The sandbox in-process behind a switch: `down` refuses to connect; `lose_answers` lets the
    request reach the sandbox and then drops the answer."""

    def __init__(self, app: object) -> None:
        self.inner = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
        self.down = False
        self.lose_answers = False
        self.writes = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.down:
            raise httpx.ConnectError("link down", request=request)
        response = await self.inner.handle_async_request(request)
        if request.method != "GET":
            self.writes += 1
        if self.lose_answers:
            await response.aread()
            raise httpx.ReadError("answer lost", request=request)
        return response


@pytest.fixture
def link(sandbox_app) -> Link:
    return Link(sandbox_app)


@pytest.fixture
async def client(link):
    async with TalkyaClient(
        "http://sandbox", "ws_truebliss", api_key="tk_test_truebliss", transport=link, max_retries=0
    ) as client:
        yield client


def new_patient(last_name: str = "Outbox") -> Write:
    return Write("patients.create", (patient_body(last_name=last_name),), label="New patient")


async def named(client: TalkyaClient, last_name: str) -> int:
    page = await client.patients.search(query=last_name).page(limit=50)
    return sum(1 for patient in page.data if patient.last_name == last_name)


def test_writes_survive_a_reopen_and_the_file_is_owner_only(tmp_path):
    path = tmp_path / "outbox.sqlite3"
    outbox = Outbox(path, "ws_truebliss")
    write = new_patient()
    outbox.add(write, "usr_102")
    outbox.add(write, "usr_102")  # the same write (by key) is kept once
    outbox.close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    reopened = Outbox(path, "ws_truebliss")
    [entry] = reopened.entries()
    assert entry.write == write
    assert entry.author == "usr_102"
    assert not entry.refused
    assert Outbox(path, "ws_other").entries() == []


def test_only_allowed_client_calls_can_be_queued():
    with pytest.raises(ValueError, match="not a write"):
        Write("sign_out")
    with pytest.raises(ValueError, match="not a write"):
        Write("patients.delete", ("pat_1",))


def test_the_same_request_has_the_same_text_whatever_its_key():
    assert request_text(new_patient()) == request_text(new_patient())
    assert request_text(new_patient("A")) != request_text(new_patient("B"))


async def test_a_write_whose_answer_was_lost_lands_once(tmp_path, client, link):
    outbox = Outbox(tmp_path / "o.sqlite3", "ws_truebliss")
    link.lose_answers = True
    outbox.add(new_patient("Lostanswer"), "usr_102")
    first = await flush(client, outbox, "usr_102")
    assert first.link_down and not first.sent
    assert link.writes == 1  # it did reach the sandbox
    link.lose_answers = False
    second = await flush(client, outbox, "usr_102")
    assert [entry.write.label for entry, _ in second.sent] == ["New patient"]
    assert outbox.count() == 0
    assert await named(client, "Lostanswer") == 1


async def test_flush_stops_at_a_dead_link_and_keeps_the_order(tmp_path, client, link):
    outbox = Outbox(tmp_path / "o.sqlite3", "ws_truebliss")
    for name in ("First", "Second"):
        outbox.add(new_patient(name), "usr_102")
    link.down = True
    result = await flush(client, outbox, "usr_102")
    assert result.link_down and outbox.count() == 2
    assert [entry.attempts for entry in outbox.entries()] == [1, 0]  # the second was not tried
    link.down = False
    result = await flush(client, outbox, "usr_102")
    assert [record.last_name for _, record in result.sent] == ["First", "Second"]


async def test_a_refusal_is_kept_with_its_reason_and_the_rest_still_go(tmp_path, client):
    outbox = Outbox(tmp_path / "o.sqlite3", "ws_truebliss")
    outbox.add(Write("encounters.close", ("enc_missing",), label="Close encounter"), "usr_102")
    outbox.add(new_patient("Aftertherefusal"), "usr_102")
    result = await flush(client, outbox, "usr_102")
    assert [entry.write.label for entry in result.refused] == ["Close encounter"]
    [kept] = outbox.entries()
    assert kept.refused and kept.error
    assert await named(client, "Aftertherefusal") == 1
    # A refused write waits for the person: another pass does not send it again.
    assert not (await flush(client, outbox, "usr_102")).refused
    outbox.retry(kept.id)
    assert not outbox.entries()[0].refused


async def test_writes_go_only_under_their_authors_sign_in(tmp_path, client):
    outbox = Outbox(tmp_path / "o.sqlite3", "ws_truebliss")
    outbox.add(new_patient("Someoneelse"), "usr_105")
    result = await flush(client, outbox, "usr_102")
    assert not result.sent and outbox.count() == 1
    assert await named(client, "Someoneelse") == 0


def test_link_failures_are_told_from_refusals():
    from talkya_console.api import BadRequest, ConnectionError, InternalServerError, NotFound

    assert link_failure(ConnectionError("down"))
    assert link_failure(InternalServerError("boom", status=503))
    assert link_failure(httpx.ReadTimeout("slow"))
    assert not link_failure(NotFound("gone", status=404))
    assert not link_failure(BadRequest("bad", status=400))
    assert not link_failure(ValueError("bad value"))

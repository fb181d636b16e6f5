"""Lists: `async for` walks every page lazily; `.page()` returns one page with its cursor."""

from __future__ import annotations

from talkya_console.api import AsyncPager, TalkyaClient
from tests.api.conftest import Recorder


async def test_async_for_walks_every_patient_once(client: TalkyaClient, recorder: Recorder) -> None:
    ids = [patient.id async for patient in client.patients.search(limit=25)]
    assert len(ids) == len(set(ids)) == 60
    assert recorder.paths().count("/v1/patients") == 3


async def test_nothing_is_fetched_until_iterated(client: TalkyaClient, recorder: Recorder) -> None:
    pager = client.patients.search(query="lopez")
    assert isinstance(pager, AsyncPager)
    assert recorder.requests == []


async def test_page_returns_one_page_and_the_cursor_continues(client: TalkyaClient) -> None:
    pager = client.patients.search(limit=10)
    first = await pager.page()
    assert len(first.data) == 10 and first.has_more and first.next_cursor
    second = await pager.page(first.next_cursor)
    assert not {p.id for p in first.data} & {p.id for p in second.data}
    assert (await pager.page(limit=3)).data == first.data[:3]


async def test_filters_are_sent_and_absent_ones_left_out(client: TalkyaClient, recorder: Recorder) -> None:
    await client.patients.search(tag="glp1", name=None).page()
    assert dict(recorder.requests[0].url.params) == {"tag": "glp1"}


async def test_walking_uses_large_pages_unless_a_limit_is_given(client: TalkyaClient, recorder: Recorder) -> None:
    await client.patients.search().collect()
    assert recorder.requests[0].url.params["limit"] == "100"


async def test_collect_stops_at_max_items(client: TalkyaClient, recorder: Recorder) -> None:
    patients = await client.patients.search(limit=5).collect(max_items=7)
    assert len(patients) == 7
    assert len(recorder.requests) == 2


async def test_search_finds_by_query(client: TalkyaClient, new_patient) -> None:
    created = await client.patients.create(new_patient(first_name="Zelda", last_name="Quasimodo"))
    found = [p.id async for p in client.patients.search(query="quasimodo")]
    assert found == [created.id]

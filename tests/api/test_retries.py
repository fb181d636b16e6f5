"""The retry policy, and fault injection: dropped connections, 503 bursts and 429 storms while
creating 200 leads end with exactly 200 leads."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from pydantic import ValidationError as PydanticValidationError

from talkya_console.api import (
    Conflict,
    ConnectionError,
    ConnectionTimeout,
    InternalServerError,
    RateLimited,
    TalkyaClient,
)
from talkya_console.api._constants import INITIAL_RETRY_DELAY, MAX_RETRY_DELAY
from talkya_console.wire import LeadCreate


def error(status: int, code: str, headers: dict[str, str] | None = None) -> httpx.Response:
    body = {"error": {"type": "x", "code": code, "message": "Injected.", "param": None, "request_id": "req_fault"}}
    return httpx.Response(status, json=body, headers=headers)


class Script:
    """A MockTransport handler that answers from a list (an exception is raised), then 200."""

    def __init__(self, *steps: httpx.Response | type[httpx.TransportError]) -> None:
        self.steps = list(steps)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if not self.steps:
            return httpx.Response(
                200,
                json={"id": "usr_1", "name": "A", "email": "a@b.c", "role": "va", "created_at": "2026-05-18T14:00:00Z"},
            )
        step = self.steps.pop(0)
        if isinstance(step, httpx.Response):
            return step
        raise step("injected", request=request)


@pytest.mark.parametrize("status", [429, 502, 503, 504])
def test_retryable_statuses(status: int) -> None:
    assert TalkyaClient._should_retry(error(status, "x"))


@pytest.mark.parametrize("status,code", [(400, "x"), (404, "x"), (409, "note_signed"), (422, "x"), (500, "x")])
def test_other_failures_are_final(status: int, code: str) -> None:
    assert not TalkyaClient._should_retry(error(status, code))


def test_conflict_still_in_flight_is_retried() -> None:
    assert TalkyaClient._should_retry(error(409, "idempotency_key_in_use"))


def test_backoff_is_full_jitter_under_an_exponential_ceiling() -> None:
    random.seed(3)
    for retries_taken in range(8):
        ceiling = min(MAX_RETRY_DELAY, INITIAL_RETRY_DELAY * 2**retries_taken)
        delays = [TalkyaClient._calculate_retry_timeout(retries_taken, None) for _ in range(300)]
        assert all(0 <= d <= ceiling for d in delays)
        assert max(delays) > ceiling * 0.8 and min(delays) < ceiling * 0.2


def test_retry_after_is_honoured_up_to_a_minute() -> None:
    assert TalkyaClient._calculate_retry_timeout(0, httpx.Headers({"Retry-After": "7"})) == 7.0
    assert TalkyaClient._calculate_retry_timeout(0, httpx.Headers({"Retry-After": "60"})) == 60.0
    beyond = TalkyaClient._calculate_retry_timeout(0, httpx.Headers({"Retry-After": "3600"}))
    assert beyond <= INITIAL_RETRY_DELAY


async def test_503s_then_success(make_client: Callable[..., TalkyaClient], sleeps: list[float]) -> None:
    script = Script(error(503, "unavailable"), error(503, "unavailable"))
    user = await make_client(httpx.MockTransport(script)).users.me()
    assert user.id == "usr_1"
    assert len(script.requests) == 3 and len(sleeps) == 2


async def test_retries_exhausted_raise_the_last_error(
    make_client: Callable[..., TalkyaClient], sleeps: list[float]
) -> None:
    script = Script(*(error(429, "rate_limited", {"Retry-After": "5"}) for _ in range(4)))
    with pytest.raises(RateLimited) as caught:
        await make_client(httpx.MockTransport(script), max_retries=3).users.me()
    assert len(script.requests) == 4
    assert sleeps == [5.0, 5.0, 5.0]
    assert caught.value.retry_after == 5.0


async def test_max_retries_zero_sends_once(make_client: Callable[..., TalkyaClient]) -> None:
    script = Script(error(503, "unavailable"))
    with pytest.raises(InternalServerError):
        await make_client(httpx.MockTransport(script), max_retries=0).users.me()
    assert len(script.requests) == 1


async def test_a_write_keeps_its_key_across_retries(make_client: Callable[..., TalkyaClient]) -> None:
    script = Script(httpx.ConnectError, error(409, "idempotency_key_in_use"), error(502, "bad_gateway"))
    client = make_client(httpx.MockTransport(script), max_retries=3)
    with pytest.raises(PydanticValidationError):  # the scripted 200 is a user, not a lead: only headers matter
        await client.leads.create({"source": "website", "patient": {"name": "Maria Lopez"}})
    keys = {r.headers["Idempotency-Key"] for r in script.requests}
    assert len(script.requests) == 4 and len(keys) == 1


async def test_a_conflict_about_state_is_not_retried(make_client: Callable[..., TalkyaClient]) -> None:
    script = Script(error(409, "note_signed"))
    with pytest.raises(Conflict):
        await make_client(httpx.MockTransport(script)).notes.sign("note_1")
    assert len(script.requests) == 1


async def test_dropped_connections_are_retried_then_raised(
    make_client: Callable[..., TalkyaClient], sleeps: list[float]
) -> None:
    script = Script(httpx.ConnectError, httpx.ReadError, httpx.RemoteProtocolError)
    with pytest.raises(ConnectionError) as caught:
        await make_client(httpx.MockTransport(script)).users.me()
    assert caught.value.status is None and caught.value.code == "connection_error"
    assert len(script.requests) == 3 and len(sleeps) == 2


async def test_timeouts_raise_connection_timeout(make_client: Callable[..., TalkyaClient]) -> None:
    script = Script(httpx.ReadTimeout, httpx.ConnectTimeout, httpx.PoolTimeout)
    with pytest.raises(ConnectionTimeout):
        await make_client(httpx.MockTransport(script)).users.me()


async def test_a_dropped_connection_then_success(make_client: Callable[..., TalkyaClient]) -> None:
    script = Script(httpx.ReadTimeout)
    assert (await make_client(httpx.MockTransport(script)).users.me()).id == "usr_1"


class Flaky(httpx.AsyncBaseTransport):
    """Wraps the sandbox and injects faults by a seeded plan. `*_after` faults let the server do
    the work and then lose the answer: only idempotency keeps a retry from repeating it."""

    def __init__(self, inner: httpx.AsyncBaseTransport, plan: Callable[[int], str | None]) -> None:
        self.inner = inner
        self.plan = plan
        self.attempts = 0
        self.faults: Counter[str] = Counter()
        self.created = 0
        self.replayed = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        fault = self.plan(self.attempts)
        self.attempts += 1
        if fault is not None:
            self.faults[fault] += 1
        if fault == "drop_before":
            raise httpx.ConnectError("connection refused", request=request)
        if fault == "503_burst":
            return error(503, "service_unavailable")
        if fault == "429_storm":
            return error(429, "rate_limited", {"Retry-After": "1"})
        if fault == "in_use":
            return error(409, "idempotency_key_in_use")
        response = await self.inner.handle_async_request(request)
        body = await response.aread()
        if request.method == "POST":
            replayed = response.headers.get("idempotent-replayed") == "true"
            self.replayed += replayed
            self.created += not replayed and response.status_code == 201
        if fault == "drop_after":
            raise httpx.ReadError("connection reset by peer", request=request)
        if fault == "504_after":
            return error(504, "gateway_timeout")
        return httpx.Response(response.status_code, headers=response.headers, content=body)


def storm_plan(seed: int) -> Callable[[int], str | None]:
    rng = random.Random(seed)

    def plan(attempt: int) -> str | None:
        if 40 <= attempt < 52:
            return "503_burst"
        if 150 <= attempt < 175:
            return "429_storm"
        roll = rng.random()
        for fault, chance in (("drop_before", 0.08), ("drop_after", 0.08), ("504_after", 0.06), ("in_use", 0.03)):
            if roll < chance:
                return fault
            roll -= chance
        return None

    return plan


async def test_200_leads_through_faults_are_exactly_200(
    make_client: Callable[..., TalkyaClient], asgi: httpx.ASGITransport, sleeps: list[float]
) -> None:
    flaky = Flaky(asgi, storm_plan(seed=20260518))
    client = make_client(flaky, max_retries=8)
    gate = asyncio.Semaphore(20)

    async def create(n: int) -> Any:
        async with gate:
            person = {"name": f"Fault Lead {n:03d}", "email": f"lead{n}@example.com"}
            return await client.leads.create(LeadCreate(source="website", campaign="fault_injection", patient=person))

    created = await asyncio.gather(*(create(n) for n in range(200)))
    stored = [lead async for lead in client.leads.list(campaign="fault_injection")]

    assert len(stored) == 200
    assert sorted(lead.patient.name for lead in stored) == [f"Fault Lead {n:03d}" for n in range(200)]
    assert {lead.id for lead in stored} == {lead.id for lead in created}
    assert set(flaky.faults) == {"drop_before", "drop_after", "504_after", "in_use", "503_burst", "429_storm"}
    # Answers were lost after the server created the lead; the retry's key made it a replay.
    assert flaky.created == 200 and flaky.replayed > 0
    assert 1.0 in sleeps  # the storm's Retry-After was obeyed

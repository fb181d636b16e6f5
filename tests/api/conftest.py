"""The client's fixtures: a `TalkyaClient` on the in-memory sandbox, recording its requests, never
sleeping for real (backoff delays are collected in `sleeps` instead)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from talkya_console.api import TalkyaClient
from talkya_console.wire import Encounter, EncounterCreate, Patient, PatientCreate, User
from tests.sandbox_helpers import patient_body

BASE_URL = "http://sandbox"
WORKSPACE = "ws_truebliss"
DEMO_KEY = "tk_test_truebliss"


class Recorder(httpx.AsyncBaseTransport):
    """Forwards to `inner` and keeps every request it saw, retries included."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.requests: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return await self.inner.handle_async_request(request)

    def paths(self, method: str | None = None) -> list[str]:
        return [r.url.path for r in self.requests if method is None or r.method == method]


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def asgi(sandbox_app: Any) -> httpx.ASGITransport:
    return httpx.ASGITransport(app=sandbox_app)


@pytest.fixture
def recorder(asgi: httpx.ASGITransport) -> Recorder:
    return Recorder(asgi)


@pytest.fixture
async def make_client(
    request: pytest.FixtureRequest, sleeps: list[float]
) -> AsyncIterator[Callable[..., TalkyaClient]]:
    """Build clients (closed at teardown). The transport defaults to the recorder on the sandbox,
    built only then, so MockTransport tests need no sandbox."""
    made: list[TalkyaClient] = []

    async def record_sleep(delay: float) -> None:
        sleeps.append(delay)
        await asyncio.sleep(0)  # yield as a real sleep would, so other calls move meanwhile

    def make(transport: httpx.AsyncBaseTransport | None = None, **kwargs: Any) -> TalkyaClient:
        if "client_id" not in kwargs:
            kwargs.setdefault("api_key", DEMO_KEY)
        kwargs.setdefault("workspace", WORKSPACE)
        if transport is None:
            transport = request.getfixturevalue("recorder")
        client = TalkyaClient(BASE_URL, transport=transport, sleep=record_sleep, **kwargs)
        made.append(client)
        return client

    yield make
    for client in made:
        await client.aclose()


@pytest.fixture
def client(make_client: Callable[..., TalkyaClient]) -> TalkyaClient:
    return make_client()


@pytest.fixture
def new_patient() -> Callable[..., PatientCreate]:
    """A valid patient create, with intake consent, and any field overridden."""

    def build(**overrides: Any) -> PatientCreate:
        return PatientCreate.model_validate(patient_body(**overrides))

    return build


@pytest.fixture
async def patient(client: TalkyaClient, new_patient: Callable[..., PatientCreate]) -> Patient:
    return await client.patients.create(new_patient())


@pytest.fixture
async def provider(client: TalkyaClient) -> User:
    return (await client.users.list(role="provider", limit=1).page()).data[0]


@pytest.fixture
async def encounter(client: TalkyaClient, patient: Patient, provider: User) -> Encounter:
    params = EncounterCreate(
        patient_id=patient.id, provider_id=provider.id, type="telehealth_follow_up", reason="GLP-1 refill review"
    )
    return await client.encounters.create(params)

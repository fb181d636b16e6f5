"""Property tests (hypothesis state machines) of two promises of the contract, on the sandbox in-process.

- Idempotency: any interleaving of single, retried, concurrent (asyncio.gather) and conflicting
  (same key, other body) writes leaves exactly one record per key; a replay carries
  `Idempotent-Replayed: true` and the first response's record; a conflicting body is 422
  `idempotency_key_reused`; a racing twin is either a replay or 409 `idempotency_key_in_use`.
- Pagination: any interleaving of inserts and cursor page reads never skips or repeats a record
  that existed when the walk began (tasks, and patients, whose list has its own fast route).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import httpx
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from talkya_console.sandbox.app import create_app
from talkya_console.sandbox.context import Limits
from tests.conftest import DEMO_HEADERS, DEMO_TODAY
from tests.sandbox_helpers import patient_body

SETTINGS = settings(
    max_examples=25,
    stateful_step_count=15,
    deadline=None,
    database=None,  # no .hypothesis/ directory in the working tree
    suppress_health_check=[HealthCheck.too_slow],
)

KEYS = st.sampled_from(["key-a", "key-b", "key-c"])
VARIANTS = st.sampled_from(["one", "two"])


def with_latency(app: Any) -> Any:
    """The app behind a link that yields to the loop on every message it sends back, as a socket
    would: without it, in-process requests run to completion one by one and never overlap."""

    async def wrapped(scope: Any, receive: Any, send: Any) -> None:
        async def slow_send(message: Any) -> None:
            await asyncio.sleep(0)
            await send(message)

        await app(scope, receive, slow_send)

    return wrapped


class _SandboxMachine(RuleBasedStateMachine):
    """A fresh in-memory sandbox per example, driven through httpx on a private event loop."""

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.app = create_app(":memory:", seed="empty", limits=Limits(rate_limit=None), today=DEMO_TODAY)
        self.client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=with_latency(self.app)), base_url="http://sandbox", headers=DEMO_HEADERS
        )

    def run(self, coro: Any) -> Any:
        return self.loop.run_until_complete(coro)

    def teardown(self) -> None:
        self.run(self.client.aclose())
        self.loop.close()


class IdempotencyMachine(_SandboxMachine):
    def __init__(self) -> None:
        super().__init__()
        self.first: dict[str, tuple[str, str]] = {}  # key -> (variant that won, record id)

    @staticmethod
    def body(key: str, variant: str) -> dict[str, Any]:
        return {"title": f"{key}|{variant}", "description": f"variant {variant}"}

    async def post(self, key: str, variant: str) -> httpx.Response:
        return await self.client.post("/v1/tasks", json=self.body(key, variant), headers={"Idempotency-Key": key})

    def check(self, key: str, variant: str, response: httpx.Response, *, racing: bool) -> None:
        status = response.status_code
        if status in (200, 201):
            record = response.json()
            won = record["title"].split("|")[1]
            assert won == variant, (key, variant, record)
            if key in self.first:
                assert (won, record["id"]) == self.first[key], "a replay returned another record"
                assert response.headers.get("Idempotent-Replayed") == "true"
            else:
                self.first[key] = (won, record["id"])
            return
        error = response.json()["error"]
        assert error["request_id"] == response.headers["Talkya-Request-Id"]
        if status == 409:
            assert racing, "409 idempotency_key_in_use with nothing in flight"
            assert error["code"] == "idempotency_key_in_use" and error["type"] == "conflict_error", error
        elif status == 422:
            assert error["code"] == "idempotency_key_reused", error
        else:
            raise AssertionError(f"unexpected {status}: {response.text}")

    @rule(key=KEYS, variant=VARIANTS)
    def write(self, key: str, variant: str) -> None:
        response = self.run(self.post(key, variant))
        self.check(key, variant, response, racing=False)
        if key in self.first and self.first[key][0] != variant:
            assert response.status_code == 422

    @rule(key=KEYS, variant=VARIANTS, retries=st.integers(1, 3))
    def retried(self, key: str, variant: str, retries: int) -> None:
        """A client that lost the answer sends the same request again."""
        for _ in range(retries + 1):
            self.check(key, variant, self.run(self.post(key, variant)), racing=False)

    @rule(key=KEYS, variants=st.lists(VARIANTS, min_size=2, max_size=6))
    def concurrent(self, key: str, variants: list[str]) -> None:
        """Twins (and conflicting bodies) of one key at once."""

        async def burst() -> list[httpx.Response]:
            return await asyncio.gather(*(self.post(key, v) for v in variants))

        known = key in self.first
        responses = self.run(burst())
        for variant, response in zip(variants, responses, strict=True):
            self.check(key, variant, response, racing=True)
        if not known:
            assert key in self.first, "a burst of a new key created nothing: " + str([r.text for r in responses])

    @invariant()
    def one_record_per_key(self) -> None:
        rows = self.app.state.sandbox.db.conn.execute(
            "SELECT json_extract(data, '$.title') FROM records WHERE kind = 'task'"
        ).fetchall()
        counts = Counter(title.split("|")[0] for (title,) in rows)
        assert counts == Counter(dict.fromkeys(self.first, 1)), counts


class _PaginationMachine(_SandboxMachine):
    path = ""

    def __init__(self) -> None:
        super().__init__()
        self.made = 0
        self.walk: dict[str, Any] | None = None
        self.walks_done = 0

    async def create(self) -> None:
        raise NotImplementedError

    def existing_ids(self) -> set[str]:
        raise NotImplementedError

    @rule(n=st.integers(1, 8))
    def insert(self, n: int) -> None:
        async def many() -> None:
            for _ in range(n):
                await self.create()

        self.run(many())

    @rule(n=st.integers(2, 6))
    def insert_concurrently(self, n: int) -> None:
        async def many() -> None:
            await asyncio.gather(*(self.create() for _ in range(n)))

        self.run(many())

    @precondition(lambda self: self.walk is None)
    @rule(limit=st.integers(1, 7))
    def begin_walk(self, limit: int) -> None:
        self.walk = {"limit": limit, "cursor": None, "seen": [], "before": self.existing_ids()}

    @precondition(lambda self: self.walk is not None)
    @rule()
    def read_page(self) -> None:
        walk = self.walk
        assert walk is not None
        params: dict[str, Any] = {"limit": walk["limit"]}
        if walk["cursor"]:
            params["cursor"] = walk["cursor"]
        response = self.run(self.client.get(self.path, params=params))
        assert response.status_code == 200, response.text
        page = response.json()
        assert len(page["data"]) <= walk["limit"]
        walk["seen"].extend(item["id"] for item in page["data"])
        repeated = [i for i, c in Counter(walk["seen"]).items() if c > 1]
        assert not repeated, f"records repeated across pages: {repeated}"
        if page["has_more"]:
            assert page["next_cursor"]
            walk["cursor"] = page["next_cursor"]
        else:
            missing = walk["before"] - set(walk["seen"])
            assert not missing, f"records that existed when the walk began were skipped: {missing}"
            self.walk = None
            self.walks_done += 1

    def teardown(self) -> None:
        # Finish a walk left open, so every example checks at least the walk it began.
        guard = 0
        while self.walk is not None and guard < 500:
            self.read_page()
            guard += 1
        super().teardown()


class TaskPagination(_PaginationMachine):
    path = "/v1/tasks"

    async def create(self) -> None:
        self.made += 1
        response = await self.client.post("/v1/tasks", json={"title": f"task {self.made}"})
        assert response.status_code == 201, response.text

    def existing_ids(self) -> set[str]:
        rows = self.app.state.sandbox.db.conn.execute("SELECT id FROM records WHERE kind = 'task'").fetchall()
        return {r[0] for r in rows}


class PatientPagination(_PaginationMachine):
    path = "/v1/patients"

    async def create(self) -> None:
        self.made += 1
        response = await self.client.post("/v1/patients", json=patient_body(first_name=f"Rosa{self.made}"))
        assert response.status_code == 201, response.text

    def existing_ids(self) -> set[str]:
        rows = self.app.state.sandbox.db.conn.execute(
            "SELECT id FROM records WHERE kind = 'patient' AND workspace_id = 'ws_truebliss'"
        ).fetchall()
        return {r[0] for r in rows}


TestIdempotency = IdempotencyMachine.TestCase
TestIdempotency.settings = SETTINGS
TestTaskPagination = TaskPagination.TestCase
TestTaskPagination.settings = SETTINGS
TestPatientPagination = PatientPagination.TestCase
TestPatientPagination.settings = SETTINGS

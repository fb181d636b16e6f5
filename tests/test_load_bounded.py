"""Bounded load on the sandbox in-process: 50 concurrent clients for ~3 s against a per-workspace
rate limit. Past the limit: 429 with Retry-After and the contract's error body; below it: no error;
another workspace is not throttled by the first. (benchmarks/load.py is the full-size run.)"""

from __future__ import annotations

import asyncio
import math
import time
from collections import Counter

import httpx

from talkya_console.sandbox.app import create_app
from talkya_console.sandbox.context import Limits
from tests.conftest import DEMO_HEADERS, DEMO_TODAY, NORTHSIDE_HEADERS

CLIENTS = 50
LIMIT = 150
WINDOW = 1.0
SECONDS = 3.0


def _app(limit: int = LIMIT, window: float = WINDOW):
    return create_app(
        ":memory:", seed="empty", patients=30, limits=Limits(rate_limit=limit, rate_window=window), today=DEMO_TODAY
    )


def _check_429(response: httpx.Response) -> None:
    assert response.headers["Retry-After"].isdigit() and 1 <= int(response.headers["Retry-After"]) <= math.ceil(WINDOW)
    assert response.headers["RateLimit-Remaining"] == "0"
    assert response.headers["RateLimit-Limit"] == str(LIMIT)
    error = response.json()["error"]
    assert error["type"] == "rate_limit_error", error
    assert error["code"] and error["message"]
    assert error["request_id"] == response.headers["Talkya-Request-Id"]


async def test_fifty_clients_past_the_limit_get_429_with_retry_after() -> None:
    app = _app()
    transport = httpx.ASGITransport(app=app)
    statuses: Counter[int] = Counter()
    bad: list[str] = []
    northside: Counter[int] = Counter()

    async def client(headers: dict[str, str], into: Counter[int], pause: float = 0.0) -> None:
        async with httpx.AsyncClient(transport=transport, base_url="http://sandbox", headers=headers) as http:
            deadline = time.monotonic() + SECONDS
            while time.monotonic() < deadline:
                response = await http.get("/v1/patients", params={"limit": 5})
                into[response.status_code] += 1
                if response.status_code == 429:
                    try:
                        _check_429(response)
                    except (AssertionError, KeyError) as exc:
                        bad.append(f"{exc!r}: {dict(response.headers)} {response.text[:200]}")
                elif response.status_code == 200:
                    remaining = int(response.headers["RateLimit-Remaining"])
                    if not 0 <= remaining < LIMIT:
                        bad.append(f"RateLimit-Remaining {remaining} on a 200")
                    assert response.json()["object"] == "list"
                else:
                    bad.append(f"{response.status_code}: {response.text[:200]}")
                await asyncio.sleep(pause)

    started = time.monotonic()
    await asyncio.gather(
        *(client(DEMO_HEADERS, statuses) for _ in range(CLIENTS)),
        # A second clinic making a few requests meanwhile, well below the limit: never throttled.
        client(NORTHSIDE_HEADERS, northside, pause=0.05),
    )
    elapsed = time.monotonic() - started
    assert not bad, bad[:5]
    assert set(statuses) <= {200, 429}, statuses
    assert statuses[429] > 0, f"the load never reached the limit: {statuses}"
    windows = elapsed / WINDOW
    # Every window the load ran through admitted its full quota (none below the limit was refused),
    # and no window admitted more than the limit.
    assert LIMIT * math.floor(windows) <= statuses[200] <= LIMIT * (math.ceil(windows) + 1), (statuses, elapsed)
    assert set(northside) == {200} and northside[200] > 10, northside


async def test_below_the_limit_nothing_errors() -> None:
    app = _app(limit=1000, window=60.0)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox", headers=DEMO_HEADERS) as http:

        async def burst(n: int) -> list[int]:
            return [(await http.get("/v1/patients", params={"limit": 2})).status_code for _ in range(n)]

        results = await asyncio.gather(*(burst(19) for _ in range(CLIENTS)))  # 950 < 1000
    assert Counter(s for r in results for s in r) == Counter({200: 950})
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox", headers=DEMO_HEADERS) as http:
        tail = [await http.get("/v1/patients", params={"limit": 1}) for _ in range(60)]
    assert [r.status_code for r in tail] == [200] * 50 + [429] * 10
    assert tail[49].headers["RateLimit-Remaining"] == "0"
    assert int(tail[-1].headers["Retry-After"]) > 1

"""What the client costs over raw httpx, against one sandbox on a loopback port.

    .venv/bin/python benchmarks/client_overhead.py [--patients 10000] [--rounds 300] [--creates 1000]

Prints the list call (one page of 25 and of 100 patients, and a walk of every patient) through
`TalkyaClient` and through raw httpx with `.json()`, as medians and a ratio (budget <= 1.2x), then
1,000 sequential lead creates through each. The server runs in its own process so it does not
share the event loop, or the GIL, with the load."""

from __future__ import annotations

import sys
from pathlib import Path

# The repository, not benchmarks/: its queue.py is not the standard library's.
sys.path[0] = str(Path(__file__).resolve().parents[1])

import argparse
import asyncio
import multiprocessing
import socket
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from functools import partial
from pathlib import Path
from typing import Any

import httpx

from talkya_console.api import TalkyaClient

WORKSPACE = "ws_truebliss"
KEY = "tk_test_truebliss"
HEADERS = {"Authorization": f"Bearer {KEY}", "Talkya-Workspace": WORKSPACE}
BUDGET = 1.2


def serve(db: str, port: int, patients: int) -> None:
    """The sandbox, seeded, under uvicorn (runs in the child process)."""
    import uvicorn

    from talkya_console.sandbox.app import create_app
    from talkya_console.sandbox.context import Limits

    app = create_app(db, seed="demo", patients=patients, limits=Limits(rate_limit=None))
    uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)).run()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(base: str, server: multiprocessing.Process, timeout: float = 600.0) -> float:
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if not server.is_alive():
            raise RuntimeError("the sandbox exited before it answered")
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return time.perf_counter() - started
        except httpx.TransportError:
            time.sleep(0.2)
    raise RuntimeError("the sandbox did not answer in time")


async def timed(call: Callable[[], Awaitable[Any]]) -> float:
    started = time.perf_counter()
    await call()
    return time.perf_counter() - started


async def compare(
    name: str, raw: Callable[[], Awaitable[Any]], typed: Callable[[], Awaitable[Any]], rounds: int
) -> float:
    """Median seconds of each, alternating which goes first so drift hits both alike; prints a line."""
    for _ in range(min(20, rounds)):
        await raw()
        await typed()
    raw_times: list[float] = []
    typed_times: list[float] = []
    for i in range(rounds):
        order = ((raw, raw_times), (typed, typed_times))
        for call, times in order if i % 2 == 0 else reversed(order):
            times.append(await timed(call))
    raw_median, typed_median = statistics.median(raw_times), statistics.median(typed_times)
    ratio = typed_median / raw_median
    verdict = "within" if ratio <= BUDGET else "OVER"
    print(
        f"{name:<34} raw httpx {raw_median * 1000:8.2f} ms   client {typed_median * 1000:8.2f} ms   "
        f"ratio {ratio:.3f}x ({verdict} the {BUDGET}x budget)"
    )
    return ratio


async def walk_raw(http: httpx.AsyncClient) -> list[dict[str, Any]]:
    """Every patient as dicts; kept, as the client's walk keeps its models, so both pay for memory."""
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 100}
        if cursor:
            params["cursor"] = cursor
        page = (await http.get("/v1/patients", params=params)).json()
        items.extend(page["data"])
        if not page["has_more"]:
            return items
        cursor = page["next_cursor"]


async def creates(raw: Callable[[int], Awaitable[Any]], typed: Callable[[int], Awaitable[Any]], count: int) -> None:
    """`count` sequential creates each way, interleaved so drift hits both alike; prints the figures."""
    raw_times: list[float] = []
    typed_times: list[float] = []
    for n in range(count):
        order = ((raw, raw_times), (typed, typed_times))
        for call, times in order if n % 2 == 0 else reversed(order):
            times.append(await timed(partial(call, n)))
    for name, times in (("create lead: raw httpx", raw_times), ("create lead: client", typed_times)):
        ordered = sorted(times)
        print(
            f"{name:<34} {count} creates in {sum(times):6.2f} s   {count / sum(times):7.1f}/s   "
            f"p50 {statistics.median(times) * 1000:.2f} ms   p99 {ordered[int(count * 0.99) - 1] * 1000:.2f} ms"
        )
    print(f"{'create lead: ratio (total time)':<34} {sum(typed_times) / sum(raw_times):.3f}x")


async def run(base: str, rounds: int, count: int) -> None:
    async with (
        httpx.AsyncClient(base_url=base, headers=HEADERS, timeout=60) as http,
        TalkyaClient(base, WORKSPACE, api_key=KEY) as client,
    ):
        for size in (25, 100):  # 25 is the API's default page, what the console asks for

            async def raw_page(size: int = size) -> Any:
                response = await http.get("/v1/patients", params={"limit": size})
                response.raise_for_status()
                return response.json()

            await compare(
                f"list: one page of {size} patients",
                raw_page,
                lambda size=size: client.patients.search(limit=size).page(),
                rounds,
            )
        walked = len(await walk_raw(http))
        assert walked == len(await client.patients.search().collect()), "the two walks disagree"
        await compare(
            f"list: walk all {walked} patients",
            lambda: walk_raw(http),
            lambda: client.patients.search().collect(),
            max(3, rounds // 60),
        )

        def lead(n: int, who: str) -> dict[str, Any]:
            return {"source": "website", "campaign": "bench", "patient": {"name": f"{who} lead {n}"}}

        async def raw_create(n: int) -> Any:
            response = await http.post("/v1/leads", json=lead(n, "raw"), headers={"Idempotency-Key": f"bench-{n}"})
            response.raise_for_status()
            return response.json()

        await creates(raw_create, lambda n: client.leads.create(lead(n, "client")), count)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--patients", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=300, help="timed list calls per side")
    parser.add_argument("--creates", type=int, default=1_000)
    args = parser.parse_args()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "bench.db")
        server = multiprocessing.get_context("spawn").Process(target=serve, args=(db, port, args.patients), daemon=True)
        server.start()
        try:
            ready = wait_until_up(base, server)
            print(f"sandbox with {args.patients} patients up in {ready:.1f} s at {base}")
            asyncio.run(run(base, args.rounds, args.creates))
        finally:
            server.terminate()
            server.join(10)


if __name__ == "__main__":
    main()

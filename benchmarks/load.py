"""Issue 12's load run, full size: the sandbox under uvicorn in a subprocess on a loopback port 0,
50 concurrent httpx clients for 60 s against a per-workspace rate limit. Prints requests, 429s,
errors (anything else, incl. a 429 without Retry-After or the contract's body) and p50/p99 latency.

    python benchmarks/load.py [--seconds 60] [--clients 50] [--rate-limit 1000] [--rate-window 10]
                              [--patients 1000]

Each client mixes list reads (`GET /v1/patients`, `GET /v1/tasks`) with writes (`POST /v1/tasks`
with an Idempotency-Key). A client that gets a 429 waits its Retry-After, as the contract's client does.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

import httpx

# The repository, not benchmarks/: its queue.py is not the standard library's.
sys.path[0] = str(Path(__file__).resolve().parents[1])

DEMO_HEADERS = {"Authorization": "Bearer tk_test_truebliss", "Talkya-Workspace": "ws_truebliss"}

CHILD = """
import socket, sys, uvicorn
from talkya_console.sandbox.app import create_app
from talkya_console.sandbox.context import Limits
limit, window, patients = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
app = create_app(":memory:", seed="empty", patients=patients, limits=Limits(rate_limit=limit or None, rate_window=window))
sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
sock.bind(("127.0.0.1", 0))
sock.listen(1024)
print(sock.getsockname()[1], flush=True)
config = uvicorn.Config(app, log_level="warning", access_log=False, log_config=None)
uvicorn.Server(config).run(sockets=[sock])
"""


def percentile(values: list[float], pct: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def contract_429(response: httpx.Response) -> bool:
    try:
        error = response.json()["error"]
        return (
            response.headers.get("Retry-After", "").isdigit()
            and error["type"] == "rate_limit_error"
            and error["request_id"] == response.headers.get("Talkya-Request-Id")
        )
    except (ValueError, KeyError, TypeError):
        return False


async def run_clients(base: str, clients: int, seconds: float) -> dict[str, object]:
    stats: Counter[str] = Counter()
    latencies: list[float] = []
    errors: list[str] = []
    deadline = time.monotonic() + seconds

    async def one(index: int) -> None:
        rng = random.Random(index)
        async with httpx.AsyncClient(base_url=base, headers=DEMO_HEADERS, timeout=30) as http:
            while time.monotonic() < deadline:
                choice = rng.random()
                started = time.perf_counter()
                try:
                    if choice < 0.6:
                        response = await http.get("/v1/patients", params={"limit": 25})
                    elif choice < 0.8:
                        response = await http.get("/v1/tasks", params={"limit": 25})
                    else:
                        key = f"load-{uuid.uuid4()}"
                        response = await http.post(
                            "/v1/tasks", json={"title": f"load {index}"}, headers={"Idempotency-Key": key}
                        )
                except httpx.HTTPError as exc:
                    stats["errors"] += 1
                    errors.append(repr(exc))
                    continue
                latencies.append((time.perf_counter() - started) * 1000)
                stats["requests"] += 1
                if response.status_code == 429:
                    stats["429"] += 1
                    if not contract_429(response):
                        stats["errors"] += 1
                        errors.append(f"429 off contract: {response.headers} {response.text[:200]}")
                        continue
                    wait = int(response.headers["Retry-After"])
                    await asyncio.sleep(min(wait, max(0.0, deadline - time.monotonic())) * rng.random())
                elif response.status_code >= 400:
                    stats["errors"] += 1
                    errors.append(f"{response.status_code}: {response.text[:200]}")
                else:
                    stats["ok"] += 1

    started = time.monotonic()
    await asyncio.gather(*(one(i) for i in range(clients)))
    elapsed = time.monotonic() - started
    return {
        "seconds": round(elapsed, 1),
        "clients": clients,
        "requests": stats["requests"],
        "ok": stats["ok"],
        "429s": stats["429"],
        "errors": stats["errors"],
        "req_per_s": round(stats["requests"] / elapsed, 1),
        "p50_ms": round(percentile(latencies, 50), 2),
        "p99_ms": round(percentile(latencies, 99), 2),
        "first_errors": errors[:5],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--rate-limit", type=int, default=1000, help="requests per window per workspace; 0: off")
    parser.add_argument("--rate-window", type=float, default=10.0)
    parser.add_argument("--patients", type=int, default=1000)
    args = parser.parse_args()

    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1]))
    argv = [sys.executable, "-c", CHILD, str(args.rate_limit), str(args.rate_window), str(args.patients)]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert proc.stdout is not None
        port = int(proc.stdout.readline())
        base = f"http://127.0.0.1:{port}"
        for _ in range(300):
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        figures = asyncio.run(run_clients(base, args.clients, args.seconds))
    finally:
        proc.terminate()
        proc.wait(10)
    figures["rate_limit"] = f"{args.rate_limit}/{args.rate_window:g}s" if args.rate_limit else "off"
    print(json.dumps(figures, indent=2))
    if figures["errors"]:
        sys.exit(1)


if __name__ == "__main__":
    main()

"""Shared bits for the benchmark scripts: start a sandbox process, find ports, summarise."""

from __future__ import annotations

import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx

DEMO_HEADERS = {"Authorization": "Bearer tk_test_truebliss", "Talkya-Workspace": "ws_truebliss"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def percentile(values: Sequence[float], pct: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def summary_ms(values: Sequence[float]) -> str:
    return (
        f"p50 {percentile(values, 50) * 1000:.2f} ms, p99 {percentile(values, 99) * 1000:.2f} ms, "
        f"mean {statistics.fmean(values) * 1000:.2f} ms, n={len(values)}"
    )


def pinned(cpu: int, argv: list[str]) -> list[str]:
    """Pin a process to one core when taskset exists, so server and load generator don't fight."""
    if shutil.which("taskset") and (os.cpu_count() or 1) > 1:
        return ["taskset", "-c", str(cpu), *argv]
    return argv


@contextmanager
def sandbox_process(db: Path, *, patients: int | None = None, extra: Sequence[str] = (), cpu: int = 0) -> Iterator[str]:
    """Run `talkya-console sandbox` in its own process; yields its base URL."""
    port = free_port()
    argv = [
        sys.executable,
        "-m",
        "talkya_console",
        "sandbox",
        "--db",
        str(db),
        "--port",
        str(port),
        "--rate-limit",
        "0",
        "--log-level",
        "warning",
        *extra,
    ]
    if patients is not None:
        argv += ["--patients", str(patients)]
    proc = subprocess.Popen(pinned(cpu, argv), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    started = time.perf_counter()
    try:
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"sandbox exited: {proc.stderr.read().decode()[-2000:] if proc.stderr else ''}")
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)  # a separate process: nothing to await but its port
            if time.perf_counter() - started > 180:
                raise RuntimeError("sandbox did not start in 180 s")
        yield base
    finally:
        proc.terminate()
        proc.wait(10)

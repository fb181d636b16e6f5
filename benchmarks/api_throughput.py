"""Issue 2's figures: on a 100,000-patient workspace over loopback, requests/s and p50/p99 for
`GET /v1/patients?limit=25`, for searches, and for `POST /v1/leads` with idempotency keys.

Budget on a 2-core machine: list >= 2,000 req/s, search p99 <= 20 ms.

    python benchmarks/api_throughput.py [--patients 100000] [--seconds 10] [--connections 16]

Load comes from wrk (Debian package `wrk`) pinned to the second core, the sandbox to the first.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# The repository, not benchmarks/: its queue.py is not the standard library's.
sys.path[0] = str(Path(__file__).resolve().parents[1])

from benchmarks._harness import DEMO_HEADERS, pinned, sandbox_process

LEAD_SCRIPT = """
counter = 0
request = function()
  counter = counter + 1
  local body = '{"source":"website","service_interest":"Botox consult","patient":{"name":"Bench Lead","phone":"+13055550123"},"consent":{"sms":true,"marketing":true}}'
  -- wrk.format uses only the table it is given, so start from the -H headers (credentials).
  local headers = {}
  for name, value in pairs(wrk.headers) do headers[name] = value end
  headers["Content-Type"] = "application/json"
  headers["Idempotency-Key"] = "bench-" .. tostring(os.time()) .. "-" .. tostring(math.random(1, 1e9)) .. "-" .. counter
  return wrk.format("POST", "/v1/leads", headers, body)
end
"""


def wrk(url: str, seconds: int, connections: int, script: str | None = None) -> dict[str, float]:
    argv = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency"]
    for key, value in DEMO_HEADERS.items():
        argv += ["-H", f"{key}: {value}"]
    if script:
        argv += ["-s", script]
    out = subprocess.run(pinned(1, [*argv, url]), capture_output=True, text=True, check=True).stdout
    figures = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))}
    for pct in ("50", "99"):
        match = re.search(rf"^\s+{pct}%\s+([\d.]+)(us|ms|s)", out, re.M)
        value, unit = float(match.group(1)), match.group(2)
        figures[f"p{pct}"] = value / 1000 if unit == "us" else value * 1000 if unit == "s" else value
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    figures["errors"] = float(non2xx.group(1)) if non2xx else 0.0
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed: apt-get install wrk")
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        started = time.perf_counter()
        # The API alone: no simulator traffic competing for the server's core.
        with sandbox_process(db, patients=args.patients, extra=["--no-simulate"]) as base:
            print(f"seeded and started with {args.patients:,} patients in {time.perf_counter() - started:.1f} s")
            script = Path(tmp) / "lead.lua"
            script.write_text(LEAD_SCRIPT)
            cases = [
                ("GET /v1/patients?limit=25", f"{base}/v1/patients?limit=25", None),
                ("search name  query=lopez", f"{base}/v1/patients?query=lopez&limit=25", None),
                ("search two   query=maria%20lop", f"{base}/v1/patients?query=maria%20lop&limit=25", None),
                ("search phone query=555-0142", f"{base}/v1/patients?query=555-0142&limit=25", None),
                ("search dob   query=3/14/80", f"{base}/v1/patients?query=3/14/80&limit=25", None),
                ("POST /v1/leads (idempotency keys)", f"{base}/v1/leads", str(script)),
            ]
            wrk(cases[0][1], 2, args.connections)  # warm caches
            print(f"{args.connections} connections (throughput), then 1 connection (one person's latency)")
            print(f"{'case':36} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>8} {'1c p50':>8} {'1c p99':>8}")
            for name, url, lua in cases:
                f = wrk(url, args.seconds, args.connections, lua)
                one = wrk(url, max(2, args.seconds // 2), 1, lua)
                print(
                    f"{name:36} {f['rps']:9.0f} {f['p50']:8.2f} {f['p99']:8.2f} {f['errors']:8.0f}"
                    f" {one['p50']:8.2f} {one['p99']:8.2f}"
                )


if __name__ == "__main__":
    main()

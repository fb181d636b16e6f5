"""Running the sandbox under uvicorn."""

from __future__ import annotations

import ipaddress
import logging
import sys
from pathlib import Path

import uvicorn

from talkya_console.sandbox.app import create_app
from talkya_console.sandbox.context import Limits

log = logging.getLogger("talkya.sandbox")


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(
    host: str,
    port: int,
    db: Path | str,
    seed: str,
    patients: int | None,
    rate_limit: int | None,
    allow_demo_keys_on_network: bool,
    log_level: str = "info",
) -> int:
    if seed == "demo" and not is_loopback(host):
        if not allow_demo_keys_on_network:
            print(
                f"Refusing to bind {host} with the well-known demo credentials. "
                "Pass --allow-demo-keys-on-network if you mean it, or --seed empty.",
                file=sys.stderr,
            )
            return 2
        print(f"WARNING: the demo keys (tk_test_truebliss, ...) are reachable on {host}:{port}.", file=sys.stderr)
    limits = Limits(rate_limit=rate_limit if rate_limit and rate_limit > 0 else None)
    app = create_app(db, seed=seed, patients=patients, limits=limits)
    print(f"Talkya sandbox on http://{host}:{port}/v1 (database {db})", flush=True)
    uvicorn.run(app, host=host, port=port, log_level=log_level, access_log=False)
    return 0

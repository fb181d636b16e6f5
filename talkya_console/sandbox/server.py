"""Running the sandbox under uvicorn."""

from __future__ import annotations

import ipaddress
import logging
import sys
from pathlib import Path

import uvicorn

from talkya_console.sandbox.app import create_app
from talkya_console.sandbox.context import Limits
from talkya_console.sandbox.dispatcher import dispatcher_hook
from talkya_console.sandbox.reminders import reminders_hook
from talkya_console.sandbox.simulator import simulator_hook

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
    simulate: bool | None = None,
    rate: float = 1.0,
    sim_seed: int | None = None,
) -> int:
    """Run the sandbox until interrupted: the API, the webhook dispatcher, task reminders and,
    with the demo seed unless turned off, the traffic simulator."""
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
    hooks = [dispatcher_hook, reminders_hook]
    if simulate if simulate is not None else seed == "demo":
        hooks.append(simulator_hook(rate=rate, seed=sim_seed))
    app = create_app(db, seed=seed, patients=patients, limits=limits, on_startup=hooks)
    simulating = "on" if len(hooks) == 3 else "off"
    print(f"Talkya sandbox on http://{host}:{port}/v1 (database {db}; simulator {simulating})", flush=True)
    uvicorn.run(app, host=host, port=port, log_level=log_level, access_log=False)
    return 0

"""The `talkya-console` command."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from talkya_console import __version__
from talkya_console.relay.cli import add_relay_parser, run_relay


def _sandbox_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("sandbox", help="run the local Talkya API (demo clinic by default)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8787)
    p.add_argument("--db", help="SQLite file (default: in the user data dir); ':memory:' for a throwaway")
    p.add_argument("--seed", choices=["demo", "empty"], default="demo")
    p.add_argument("--patients", type=int, help="how many synthetic patients to seed (default 500; up to 100000)")
    p.add_argument("--rate-limit", type=int, default=1000, help="requests per 10 s per workspace; 0 turns limits off")
    p.add_argument("--allow-demo-keys-on-network", action="store_true")
    p.add_argument(
        "--simulate",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="keep the demo clinic busy (default: on with --seed demo)",
    )
    p.add_argument("--rate", type=float, default=1.0, help="simulator speed: 10 is ten times as busy")
    p.add_argument("--sim-seed", type=int, help="repeat a simulator run's choices")
    p.add_argument("--log-level", default="info")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="talkya-console", description="A staff console for Talkya clinics.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command")
    _sandbox_parser(sub)
    add_relay_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "relay":
        return run_relay(args)
    if args.command in (None, "sandbox"):
        from talkya_console.config import default_sandbox_db
        from talkya_console.sandbox.server import serve

        if args.command is None:  # until the console lands, the default runs the sandbox
            args = build_parser().parse_args(["sandbox"])
        if args.patients is not None and not 0 <= args.patients <= 100_000:
            build_parser().error("--patients must be between 0 and 100000")
        if args.rate <= 0:
            build_parser().error("--rate must be above 0")
        return serve(
            args.host,
            args.port,
            args.db or default_sandbox_db(),
            args.seed,
            args.patients,
            args.rate_limit,
            args.allow_demo_keys_on_network,
            args.log_level,
            simulate=args.simulate,
            rate=args.rate,
            sim_seed=args.sim_seed,
        )
    return 0

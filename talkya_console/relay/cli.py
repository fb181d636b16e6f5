"""`talkya-console relay` and `talkya-console relay token create`: wired into the main CLI by two calls."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from talkya_console.relay.settings import SECRETS_ENV, CatchUpSource, RelaySettings, Secret, parse_secret_specs


def default_relay_db() -> Path:
    from talkya_console.config import data_dir

    return data_dir() / "relay.db"


def add_relay_parser(subparsers: argparse._SubParsersAction) -> None:
    """Add `relay` (serve) and `relay token create` to the main parser's subcommands."""
    p = subparsers.add_parser("relay", help="run the webhook relay that streams events to consoles")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8788)
    p.add_argument("--db", help="SQLite file (default: relay.db in the user data dir)")
    p.add_argument(
        "--secret",
        action="append",
        default=[],
        metavar="WS=WHSEC",
        help=f"a workspace's webhook secret, e.g. ws_truebliss=whsec_...; repeat for a rotation (also {SECRETS_ENV})",
    )
    p.add_argument("--retention-days", type=float, default=7.0, help="drop events older than this (default 7)")
    p.add_argument("--retention-count", type=int, default=100_000, help="keep at most this many per workspace")
    p.add_argument(
        "--synchronous",
        choices=["full", "normal"],
        default="full",
        help="full: fsync each commit group (survives power loss); normal: survives a crash of the relay only",
    )
    p.add_argument("--ping-interval", type=float, default=15.0, help="seconds between stream pings")
    p.add_argument("--catch-up-url", help="Talkya API base URL to fill gaps from GET /v1/events")
    p.add_argument("--catch-up-key", help="API key with webhooks:read (or env TALKYA_RELAY_CATCH_UP_KEY)")
    p.add_argument("--catch-up-workspace", help="the key's workspace (default: the only one with a secret)")
    p.add_argument("--catch-up-interval", type=float, default=0.0, help="minutes between catch-ups (0: startup only)")
    p.add_argument("--log-level", default="info")
    sub = p.add_subparsers(dest="relay_command")
    token = sub.add_parser("token", help="manage relay tokens").add_subparsers(dest="token_command", required=True)
    create = token.add_parser("create", help="mint a token for one workspace (shown once)")
    create.add_argument("--workspace", required=True)
    create.add_argument("--label", help="who holds it, e.g. 'front desk PC 2' (shown by list)")
    create.add_argument("--db", dest="token_db", help="the relay's SQLite file")
    listing = token.add_parser("list", help="the tokens' ids, workspaces, labels and last use (never the tokens)")
    listing.add_argument("--workspace", help="only this workspace's tokens")
    listing.add_argument("--db", dest="token_db", help="the relay's SQLite file")
    revoke = token.add_parser("revoke", help="revoke a token; its open streams close within one ping interval")
    revoke.add_argument("token_id", metavar="ID", help="the rtk_... id from `relay token list`")
    revoke.add_argument("--db", dest="token_db", help="the relay's SQLite file")


def _catch_up(args: argparse.Namespace, secrets: dict[str, list[str]]) -> tuple[CatchUpSource, ...]:
    key = args.catch_up_key or os.environ.get("TALKYA_RELAY_CATCH_UP_KEY")
    if not args.catch_up_url:
        return ()
    if not key:
        raise ValueError("--catch-up-url needs --catch-up-key (or TALKYA_RELAY_CATCH_UP_KEY)")
    workspace = args.catch_up_workspace or (next(iter(secrets)) if len(secrets) == 1 else None)
    if workspace is None:
        raise ValueError("--catch-up-workspace is needed when several workspaces have secrets")
    interval = args.catch_up_interval * 60 if args.catch_up_interval > 0 else None
    return (CatchUpSource(args.catch_up_url, workspace, Secret(key), interval),)


def _run_token(args: argparse.Namespace) -> int:
    from talkya_console.relay.tokens import create_token, describe_age, list_tokens, revoke_token

    db = Path(args.token_db or args.db or default_relay_db())
    if args.token_command == "create":
        if not args.workspace.startswith("ws_"):
            print("--workspace must be a workspace id (ws_...)", file=sys.stderr)
            return 2
        token = create_token(db, args.workspace, args.label)
        print(f"Relay token for {args.workspace} (stored hashed in {db}; it will not be shown again):")
        print(token)
        return 0
    if args.token_command == "list":
        if not db.exists():
            print(f"no relay database at {db}", file=sys.stderr)
            return 1
        rows = list_tokens(db, args.workspace)
        if not rows:
            print("no tokens")
            return 0
        print(f"{'ID':18} {'WORKSPACE':20} {'CREATED':12} {'LAST USED':12} LABEL")
        for row in rows:
            created, used = describe_age(row.created_at), describe_age(row.last_used_at)
            print(f"{row.id:18} {row.workspace_id:20} {created:12} {used:12} {row.label or ''}")
        return 0
    if not db.exists() or not revoke_token(db, args.token_id):
        shown = "that token" if args.token_id.startswith("rt_") else repr(args.token_id)  # never echo a secret
        print(f"no token {shown} in {db} (ids come from `relay token list`)", file=sys.stderr)
        return 1
    print(f"revoked {args.token_id}; its open streams close within one ping interval")
    return 0


def run_relay(args: argparse.Namespace) -> int:
    """Serve the relay, or run a `relay token` command; returns the exit status."""
    if args.relay_command == "token":
        return _run_token(args)
    try:
        secrets = parse_secret_specs([os.environ.get(SECRETS_ENV, ""), *args.secret])
        catch_up = _catch_up(args, secrets)
    except ValueError as exc:
        print(f"talkya-console relay: {exc}", file=sys.stderr)
        return 2
    import uvicorn

    from talkya_console.relay.app import UVICORN_OPTIONS, create_relay_app

    db = Path(args.db or default_relay_db())
    settings = RelaySettings(
        retention_days=args.retention_days,
        retention_count=args.retention_count,
        ping_interval=args.ping_interval,
        synchronous=args.synchronous.upper(),
        catch_up=catch_up,
    )
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = create_relay_app(db, secrets, settings=settings)
    base = f"{args.host}:{args.port}"
    print(f"Talkya relay on http://{base} (database {db})", flush=True)
    print(f"  webhooks: POST http://{base}/webhooks/{{workspace_id}}; stream: ws://{base}/v1/stream", flush=True)
    if secrets:
        listed = ", ".join(f"{ws} ({len(values)} secret{'s' * (len(values) > 1)})" for ws, values in secrets.items())
        print(f"  workspaces: {listed}", flush=True)
    else:
        print(f"  WARNING: no webhook secrets (--secret or {SECRETS_ENV}); every delivery will be refused.", flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level, **UVICORN_OPTIONS)
    return 0

"""The `talkya-console` command."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from talkya_console import __version__, config
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


def _config_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("config", help="the console's config.toml (profiles, theme, keymap)")
    actions = p.add_subparsers(dest="config_command", required=True)
    actions.add_parser("path", help="print where config.toml is")
    actions.add_parser("show", help="print the settings; keys are shown only as set or not, never their values")
    init = actions.add_parser("init", help="write a default config.toml (0600)")
    init.add_argument("--force", action="store_true", help="overwrite an existing file")


def _login_parsers(sub: argparse._SubParsersAction) -> None:
    # SUPPRESS keeps a `--profile` given before the subcommand from being reset to None.
    login = sub.add_parser("login", help="sign in as yourself (in a browser, or with a code on another device)")
    login.add_argument("--profile", metavar="NAME", default=argparse.SUPPRESS, help="a [profiles.NAME] to sign in to")
    login.add_argument("--device", action="store_true", help="show a code to approve on another device")
    login.add_argument("--no-pin", action="store_true", help="do not ask for a PIN to unlock an idle console")
    logout = sub.add_parser("logout", help="sign out: revoke the session at Talkya and forget it here")
    logout.add_argument("--profile", metavar="NAME", default=argparse.SUPPRESS, help="a [profiles.NAME]")


def run_config(args: argparse.Namespace) -> int:
    """`config path|show|init`."""
    try:
        path = config.config_path()
        if args.config_command == "path":
            print(path)
            return 0
        if args.config_command == "init":
            if path.exists() and not args.force:
                print(f"{path} exists; pass --force to overwrite it", file=sys.stderr)
                return 1
            config.save_config(config.default_config(path))
            print(f"wrote {path}")
            return 0
        print(_show(config.load_config(path), args.profile))
    except config.ConfigError as exc:
        print(f"config: {exc}", file=sys.stderr)
        return 1
    return 0


def _show(cfg: config.Config, profile: str | None) -> str:
    """The settings as TOML, then where each profile's keys come from (never the keys themselves)."""
    keyring = "available" if config.keyring_available() else "not installed (keys come from the environment only)"
    lines = [f"# {cfg.path}" + ("" if cfg.path.exists() else " (not written yet; defaults)"), config.dump_config(cfg)]
    lines.append(f"# keyring: {keyring}")
    names = [profile] if profile else list(cfg.profiles) or [None]
    for name in names:
        resolved = config.resolve_profile(cfg, name, os.environ)
        label = name or "(no profile)"
        lines.append(
            f"# {label}: base_url={resolved.base_url} workspace={resolved.workspace} relay_url={resolved.relay_url}"
        )
        for key in config.ENV_SECRETS:
            _, source = config.resolve_secret(key, name, os.environ)
            lines.append(f"#   {key}: {'set (' + source + ')' if source != 'not set' else 'not set'}")
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="talkya-console", description="A staff console for Talkya clinics.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--profile", metavar="NAME", help="a [profiles.NAME] from config.toml (default: embedded demo)")
    parser.add_argument(
        "--as",
        dest="sign_in_as",
        metavar="USER_ID",
        help="embedded demo: the staff member signed in (default usr_102, front desk; usr_104 VA, usr_114 provider)",
    )
    sub = parser.add_subparsers(dest="command")
    _sandbox_parser(sub)
    add_relay_parser(sub)
    _config_parser(sub)
    _login_parsers(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "relay":
        return run_relay(args)
    if args.command == "config":
        return run_config(args)
    if args.command in ("login", "logout"):
        from talkya_console import login  # the client and the keyring load only for these

        return login.run_login(args) if args.command == "login" else login.run_logout(args)
    if args.command is None:
        from talkya_console.console import run_console  # textual loads only for the console

        return run_console(args.profile, args.sign_in_as)
    if args.command == "sandbox":
        from talkya_console.config import default_sandbox_db
        from talkya_console.sandbox.server import serve

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

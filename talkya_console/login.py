"""`talkya-console login` and `logout`: staff sign in as themselves, in a browser on this machine
(loopback redirect + PKCE) or on any other device (device code), as RFC 8252 recommends."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import hmac
import html
import os
import secrets
import sys
import threading
import webbrowser
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import parse_qsl, urlsplit

import httpx

from talkya_console import config
from talkya_console.api import APIError, ConnectionError, SignInError, TalkyaClient, UserTokens
from talkya_console.api.oauth import (
    authorize_url,
    exchange_code,
    new_pkce,
    oauth_http,
    poll_device,
    revoke,
    sign_in_error,
    start_device,
)
from talkya_console.credentials import TokenStore
from talkya_console.pin import PinStore
from talkya_console.wire import User

CALLBACK_TIMEOUT = 300.0
PIN_PROMPT = "PIN to unlock an idle console (4-8 digits): "
DEFAULT_PROFILE = "default"


@dataclass
class LoginDeps:
    """What the flows touch outside themselves, replaceable in tests."""

    env: Mapping[str, str] = field(default_factory=lambda: os.environ)
    transport: httpx.AsyncBaseTransport | None = None
    open_browser: Callable[[str], bool] | None = None  # None: find the system's browser, if there is one
    getpass: Callable[[str], str] = getpass.getpass
    isatty: Callable[[], bool] = field(default=lambda: sys.stdin is not None and sys.stdin.isatty())
    out: TextIO = field(default_factory=lambda: sys.stdout)
    err: TextIO = field(default_factory=lambda: sys.stderr)
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    token_dir: Path | None = None
    token_backend: str | None = None
    pin_path: Path | None = None
    callback_timeout: float = CALLBACK_TIMEOUT


def browser_opener(env: Mapping[str, str]) -> Callable[[str], bool] | None:
    """The system browser's `open`, when one can show a page to the person at this terminal."""
    if env.get("SSH_CONNECTION") or env.get("SSH_TTY"):
        return None  # a browser would open on the remote machine, out of the person's sight
    if sys.platform.startswith("linux") and not (env.get("DISPLAY") or env.get("WAYLAND_DISPLAY")):
        return None
    try:
        return webbrowser.get().open
    except webbrowser.Error:
        return None


def _where(args: argparse.Namespace, deps: LoginDeps) -> tuple[str, str | None, str | None]:
    """The profile label, base URL and workspace; raises config.ConfigError."""
    cfg = config.load_config(env=deps.env)
    # As the console resolves it (runtime.resolve_runtime), so both find the same stored sign-in.
    name = getattr(args, "profile", None) or deps.env.get("TALKYA_PROFILE") or None
    profile = config.resolve_profile(cfg, name, deps.env)
    return name or DEFAULT_PROFILE, profile.base_url, profile.workspace


def run_login(args: argparse.Namespace, deps: LoginDeps | None = None) -> int:
    """`talkya-console login`."""
    deps = deps or LoginDeps()
    try:
        label, base_url, workspace = _where(args, deps)
    except config.ConfigError as exc:
        print(f"login: {exc}", file=deps.err)
        return 1
    if not base_url or not workspace:
        print(
            "login: no Talkya to sign in to. Set base_url and workspace in a [profiles.NAME] table of "
            f"{config.config_path(deps.env)} and pass --profile NAME, or set TALKYA_BASE_URL and TALKYA_WORKSPACE.",
            file=deps.err,
        )
        return 1
    store = TokenStore(label, directory=deps.token_dir, backend=deps.token_backend)
    previous = store.load()
    try:
        tokens, user = asyncio.run(_sign_in(base_url, workspace, args.device, deps))
    except SignInError as exc:
        print(f"login: {exc.message}", file=deps.err)
        return 1
    except ConnectionError as exc:
        print(f"login: could not reach Talkya at {base_url} ({exc.message})", file=deps.err)
        return 1
    except APIError as exc:
        print(f"login: {exc.message}", file=deps.err)
        return 1
    except TimeoutError:
        minutes = f"{deps.callback_timeout / 60:g} minutes"
        print(
            f"login: the browser did not come back within {minutes}; run login again, or use --device.", file=deps.err
        )
        return 1
    where = store.save(tokens)
    print(f"Signed in as {user.name} ({user.role}) to {workspace}.", file=deps.out)
    print(f"Your sign-in is kept in {where}.", file=deps.out)
    if previous is not None and previous.refresh_token is not None:
        # The session this one replaces would otherwise stay valid at the server until it expires.
        asyncio.run(_revoke_quietly(base_url, previous, deps))
    if not args.no_pin and deps.isatty():
        _offer_pin(PinStore(deps.pin_path), f"{workspace}/{user.id}", deps)
    return 0


async def _sign_in(base_url: str, workspace: str, device: bool, deps: LoginDeps) -> tuple[UserTokens, User]:
    async with oauth_http(base_url, transport=deps.transport) as http:
        opener = None if device else (deps.open_browser or browser_opener(deps.env))
        if opener is not None:
            tokens = await _loopback(http, base_url, workspace, opener, deps)
        else:
            tokens = await _device(http, workspace, deps)
    async with TalkyaClient(base_url, workspace, tokens=tokens, transport=deps.transport) as client:
        user = await client.users.me()
        tokens = client.signed_in_tokens or tokens
    return tokens.model_copy(update={"workspace": workspace, "user_id": user.id}), user


async def _device(http: httpx.AsyncClient, workspace: str, deps: LoginDeps) -> UserTokens:
    device = await start_device(http, workspace=workspace)
    print(f"To sign in, open {device.verification_uri} and enter the code {device.user_code}", file=deps.out)
    if device.verification_uri_complete:
        print(f"(or open {device.verification_uri_complete})", file=deps.out)
    print("Waiting for you to approve the sign-in... (Ctrl-C to stop)", file=deps.out, flush=True)
    return await poll_device(http, device, sleep=deps.sleep)


async def _loopback(
    http: httpx.AsyncClient, base_url: str, workspace: str, opener: Callable[[str], bool], deps: LoginDeps
) -> UserTokens:
    verifier, challenge = new_pkce()
    state = secrets.token_urlsafe(24)
    loop = asyncio.get_running_loop()
    answer: asyncio.Future[dict[str, str]] = loop.create_future()

    def deliver(params: dict[str, str]) -> None:
        loop.call_soon_threadsafe(lambda: answer.done() or answer.set_result(params))

    server = CallbackServer(state, deliver)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        redirect_uri = f"http://127.0.0.1:{server.server_port}/callback"
        url = authorize_url(base_url, workspace=workspace, redirect_uri=redirect_uri, challenge=challenge, state=state)
        print(f"Opening your browser to sign in. If it does not open, visit:\n  {url}", file=deps.out, flush=True)
        opener(url)
        params = await asyncio.wait_for(answer, deps.callback_timeout)
    finally:
        await asyncio.to_thread(server.shutdown)
        server.server_close()
    if "code" not in params:
        raise sign_in_error(params.get("error") or "invalid_request", params.get("error_description"))
    return await exchange_code(http, code=params["code"], verifier=verifier, redirect_uri=redirect_uri)


class CallbackServer(HTTPServer):
    """Serves `/callback` on a free loopback port; hands the query of the redirect carrying `state` to `deliver`."""

    def __init__(self, state: str, deliver: Callable[[dict[str, str]], None]) -> None:
        super().__init__(("127.0.0.1", 0), _CallbackHandler)
        self.state = state
        self.deliver = deliver


class _CallbackHandler(BaseHTTPRequestHandler):
    server: CallbackServer

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        if url.path != "/callback":
            self._page(404, "Not found", "This address only receives the Talkya sign-in.")
            return
        params = dict(parse_qsl(url.query))
        # Any local program could call this port: only the redirect carrying our state is believed.
        if not hmac.compare_digest(params.get("state", "").encode(), self.server.state.encode()):
            self._page(400, "Not this sign-in", "This page is not the sign-in your terminal is waiting for.")
            return
        if "code" in params:
            self._page(200, "Signed in", "Signed in, return to your terminal.")
        else:
            self._page(200, "Not signed in", "The sign-in did not complete; return to your terminal.")
        self.server.deliver(params)

    def _page(self, status: int, title: str, text: str) -> None:
        body = (
            f"<!doctype html><html><head><meta charset='utf-8'><title>Talkya Console: {html.escape(title)}</title>"
            f"</head><body><p>{html.escape(text)}</p></body></html>"
        ).encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: the request line holds the authorization code."""


def _offer_pin(pins: PinStore, user_key: str, deps: LoginDeps) -> None:
    if pins.has_pin(user_key):
        return
    try:
        while True:
            pin = deps.getpass(PIN_PROMPT)
            try:
                pins.validate(pin)
            except ValueError as exc:
                print(str(exc), file=deps.out)
                continue
            if deps.getpass("The same PIN again: ") != pin:
                print("The two PINs differ; try again.", file=deps.out)
                continue
            pins.set_pin(user_key, pin)
            print("PIN set.", file=deps.out)
            return
    except (EOFError, KeyboardInterrupt):
        print("\nNo PIN set; run login again to set one.", file=deps.out)


async def _revoke_quietly(base_url: str, tokens: UserTokens, deps: LoginDeps) -> None:
    async with oauth_http(base_url, transport=deps.transport) as http:
        for token, hint in ((tokens.refresh_token, "refresh_token"), (tokens.access_token, "access_token")):
            if token is not None:
                try:
                    await revoke(http, token, hint)
                except APIError:
                    return


def run_logout(args: argparse.Namespace, deps: LoginDeps | None = None) -> int:
    """`talkya-console logout`: revoke at the server (when reachable), forget the tokens and the PIN here."""
    deps = deps or LoginDeps()
    try:
        label, base_url, workspace = _where(args, deps)
    except config.ConfigError as exc:
        print(f"logout: {exc}", file=deps.err)
        return 1
    store = TokenStore(label, directory=deps.token_dir, backend=deps.token_backend)
    tokens = store.load()
    if tokens is None:
        store.delete()  # an unreadable leftover, if any
        print(f"Not signed in (profile {label}); nothing to do.", file=deps.out)
        return 0
    if not base_url:
        print("Could not revoke the session: no base_url is configured. Forgetting it here anyway.", file=deps.out)
    elif asyncio.run(_sign_out(base_url, workspace or tokens.workspace or "", tokens, deps)):
        print(f"Revoked the session at {base_url}.", file=deps.out)
    else:
        print(
            f"Could not reach Talkya at {base_url} to revoke the session; it ends when it expires. "
            "Forgetting it here anyway.",
            file=deps.out,
        )
    store.delete()
    print(f"Deleted the stored sign-in from {store.location}.", file=deps.out)
    if tokens.workspace and tokens.user_id and PinStore(deps.pin_path).clear(f"{tokens.workspace}/{tokens.user_id}"):
        print("Cleared the unlock PIN.", file=deps.out)
    print("Signed out.", file=deps.out)
    return 0


async def _sign_out(base_url: str, workspace: str, tokens: UserTokens, deps: LoginDeps) -> bool:
    async with TalkyaClient(base_url, workspace, tokens=tokens, transport=deps.transport, max_retries=0) as client:
        return await client.sign_out()

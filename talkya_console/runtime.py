"""Where the console's API and relay are: embedded on loopback (the default), or remote from a profile."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
from collections.abc import Generator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import uvicorn

from talkya_console.config import (
    ConfigError,
    data_dir,
    load_config,
    resolve_profile,
    resolve_secret,
    write_private,
)

DEMO_WORKSPACE = "ws_truebliss"
DEMO_API_KEY = "tk_test_truebliss"  # the sandbox's well-known demo key, reachable on loopback only
ENDPOINT_DESCRIPTION = "embedded relay"
STATE_FILE = "embedded.json"
LOCK_FILE = "embedded.lock"
DEFAULT_BASE_URL = "https://api.talkya.ai"


class _EmbeddedServer(uvicorn.Server):
    """A uvicorn server that leaves signals to the host app and tells when its startup is over."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.startup_done = asyncio.Event()

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        """No signal handlers: the console (Textual) owns Ctrl+C and SIGTERM."""
        yield

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        """uvicorn's startup, then a flag that `started` now holds its final value."""
        try:
            await super().startup(sockets=sockets)
        finally:
            self.startup_done.set()


def _listen() -> socket.socket:
    """A loopback socket on a free port, already listening (connections queue until uvicorn serves)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    sock.setblocking(False)
    return sock


async def _serve(app: Any, sock: socket.socket, **options: Any) -> tuple[_EmbeddedServer, asyncio.Task[None]]:
    """Serve `app` on `sock` in this loop; return once its lifespan has started."""
    config = uvicorn.Config(
        app, log_config=None, log_level="warning", lifespan="on", timeout_graceful_shutdown=2, **options
    )
    server = _EmbeddedServer(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    waiter = asyncio.create_task(server.startup_done.wait())
    await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
    waiter.cancel()
    if not server.started:
        server.should_exit = True
        await asyncio.gather(task, return_exceptions=True)
        sock.close()
        raise RuntimeError("an embedded server failed to start (see the log)")
    return server, task


class RuntimeBusy(RuntimeError):
    """Another process runs the embedded demo from the same data dir (it owns the webhook endpoint)."""


def _lock(path: Path) -> IO[str]:
    """An exclusive, non-blocking lock on `path` held while the file stays open (POSIX; none elsewhere)."""
    handle = open(path, "a", encoding="utf-8")  # noqa: SIM115 - held open for the runtime's life
    try:
        import fcntl
    except ImportError:
        return handle
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        raise RuntimeBusy(f"another console is running the embedded demo from {path.parent}") from None
    return handle


def _read_state(path: Path) -> dict[str, str]:
    """embedded.json, or {} when missing or unreadable."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {k: v for k, v in data.items() if isinstance(v, str)} if isinstance(data, dict) else {}


def _ensure_token(db_path: Path, workspace: str, token: str | None) -> str:
    """The stored relay token if the relay's database still knows it, else a newly issued one."""
    from talkya_console.relay.log import EventLog
    from talkya_console.relay.tokens import issue_token, token_workspace

    log = EventLog(db_path)
    try:
        if token and token_workspace(log, token) == workspace:
            return token
        return issue_token(log, workspace)
    finally:
        log.close()


class EmbeddedRuntime:
    """The sandbox (demo clinic) and the relay, served on loopback ports inside the current asyncio loop."""

    def __init__(
        self, data_dir: Path | str, *, rate: float = 1.0, simulate: bool = True, patients: int | None = None
    ) -> None:
        self.data_dir = Path(data_dir)
        self.rate = rate
        self.simulate = simulate
        self.patients = patients
        self.workspace = DEMO_WORKSPACE
        self.api_key = DEMO_API_KEY
        self.api_base = ""
        self.relay_url = ""
        self.relay_token = ""
        self.endpoint_id = ""
        self._servers: list[tuple[_EmbeddedServer, asyncio.Task[None]]] = []
        self._lock: IO[str] | None = None

    @property
    def running(self) -> bool:
        """Both servers are up."""
        return len(self._servers) == 2

    async def __aenter__(self) -> EmbeddedRuntime:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def start(self) -> None:
        """Start the sandbox, wire its webhooks to the relay, start the relay; seeding runs off the loop."""
        if self._lock is not None:
            return
        self.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._lock = _lock(self.data_dir / LOCK_FILE)
        try:
            await self._start()
        except BaseException:
            await self.stop()
            raise

    async def _start(self) -> None:
        """The steps of `start`, in order; `start` cleans up if one fails."""
        from talkya_console.relay.app import UVICORN_OPTIONS, create_relay_app

        state_path = self.data_dir / STATE_FILE
        state = _read_state(state_path)
        app = await asyncio.to_thread(self._sandbox_app)
        api_sock = _listen()
        self.api_base = f"http://127.0.0.1:{api_sock.getsockname()[1]}"
        self._servers.append(await _serve(app, api_sock))
        # The relay's port is reserved before its app exists: the endpoint points there at once,
        # and the relay is built with the secret the endpoint answers with.
        relay_sock = _listen()
        relay_port = relay_sock.getsockname()[1]
        try:
            secret = await self._ensure_endpoint(f"http://127.0.0.1:{relay_port}/webhooks/{self.workspace}", state)
            relay_db = self.data_dir / "relay.db"
            self.relay_token = await asyncio.to_thread(
                _ensure_token, relay_db, self.workspace, state.get("relay_token")
            )
            # The relay token is kept in plaintext here: it is a local demo credential for a relay
            # that listens on loopback only, and the file is owner-only (0600).
            state = {"webhook_secret": secret, "endpoint_id": self.endpoint_id, "relay_token": self.relay_token}
            write_private(state_path, json.dumps(state, indent=2) + "\n")
            relay_app = create_relay_app(relay_db, {self.workspace: [secret]})
            self._servers.append(await _serve(relay_app, relay_sock, **UVICORN_OPTIONS))
        except BaseException:
            relay_sock.close()
            raise
        self.relay_url = f"ws://127.0.0.1:{relay_port}/v1/stream"

    def _sandbox_app(self) -> Any:
        """The sandbox app with the demo seed (slow the first time, so run in a thread)."""
        from talkya_console.sandbox.app import create_app
        from talkya_console.sandbox.dispatcher import dispatcher_hook
        from talkya_console.sandbox.reminders import reminders_hook
        from talkya_console.sandbox.simulator import simulator_hook

        hooks: list[Any] = [dispatcher_hook, reminders_hook]
        if self.simulate:
            hooks.append(simulator_hook(rate=self.rate, workspace=self.workspace))
        return create_app(self.data_dir / "sandbox.db", seed="demo", patients=self.patients, on_startup=hooks)

    async def _ensure_endpoint(self, url: str, state: Mapping[str, str]) -> str:
        """One endpoint described "embedded relay", pointed at `url`; returns its current secret."""
        from talkya_console.api import TalkyaClient

        async with TalkyaClient(self.api_base, self.workspace, api_key=self.api_key) as client:
            endpoints = client.webhook_endpoints
            found = None
            async for endpoint in endpoints.list():
                if endpoint.url == url or endpoint.description == ENDPOINT_DESCRIPTION:
                    found = endpoint
                    break
            if found is None:
                created = await endpoints.create({"url": url, "events": ["*"], "description": ENDPOINT_DESCRIPTION})
                self.endpoint_id = created.id
                assert created.secret is not None, "the sandbox shows a new endpoint's secret"
                return created.secret
            self.endpoint_id = found.id
            if found.url != url or found.status != "enabled":
                await endpoints.update(found.id, {"url": url, "status": "enabled"})
            secret = state.get("webhook_secret")
            if secret and state.get("endpoint_id") == found.id:
                return secret
            # The secret was lost (or belongs to another endpoint): only a rotation shows a new one.
            rotated = await endpoints.rotate_secret(found.id, expires_in=0)
            assert rotated.secret is not None, "the sandbox shows a rotated secret"
            return rotated.secret

    async def stop(self) -> None:
        """Shut both servers down (sandbox first, so no delivery is cut mid-way) and wait for them."""
        servers, self._servers = self._servers, []
        for server, task in servers:
            server.should_exit = True
            await asyncio.gather(task, return_exceptions=True)
        if self._lock is not None:
            self._lock.close()
            self._lock = None


@dataclass
class RemoteRuntime:
    """A real Talkya and a deployed relay, from a profile and the environment; nothing is started."""

    api_base: str
    workspace: str
    api_key: str
    relay_url: str | None = None
    relay_token: str | None = None

    def __repr__(self) -> str:
        return f"RemoteRuntime(api_base={self.api_base!r}, workspace={self.workspace!r}, relay_url={self.relay_url!r})"

    async def __aenter__(self) -> RemoteRuntime:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def start(self) -> None:
        """Nothing to start."""

    async def stop(self) -> None:
        """Nothing to stop."""

    @classmethod
    def from_profile(cls, profile: str | None, env: Mapping[str, str]) -> RemoteRuntime:
        """Fields from the profile (env over it), keys from env or the keyring; ConfigError if incomplete."""
        resolved = resolve_profile(load_config(env=env), profile, env)
        api_key, _ = resolve_secret("api_key", profile, env)
        relay_token, _ = resolve_secret("relay_token", profile, env)
        if not api_key:
            raise ConfigError("no API key: set TALKYA_API_KEY (or store it in the OS keyring)")
        if not resolved.workspace:
            raise ConfigError("no workspace: set TALKYA_WORKSPACE or the profile's workspace")
        return cls(resolved.base_url or DEFAULT_BASE_URL, resolved.workspace, api_key, resolved.relay_url, relay_token)


def resolve_runtime(profile: str | None, env: Mapping[str, str] | None = None) -> EmbeddedRuntime | RemoteRuntime:
    """A profile (or TALKYA_PROFILE) or TALKYA_API_KEY means remote; no credentials means the embedded demo."""
    env = os.environ if env is None else env
    profile = profile or env.get("TALKYA_PROFILE") or None
    if profile is None and not env.get("TALKYA_API_KEY"):
        return EmbeddedRuntime(data_dir() / "embedded")
    return RemoteRuntime.from_profile(profile, env)

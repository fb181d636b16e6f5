"""The embedded demo: the sandbox and the relay served on loopback inside one asyncio loop.

`EmbeddedRuntime` runs them in the caller's loop (tests do). The console runs `main` in a child
process (see `runtime.EmbeddedProcess`), so the sandbox loads on the other core, never in the
console's event loop, and at the lowest priority, so it never holds up the console's frames."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import signal
import socket
import sys
import threading
from collections.abc import Generator, Mapping
from pathlib import Path
from typing import IO, Any

import uvicorn

from talkya_console.config import write_private
from talkya_console.runtime import (
    ENDPOINT_DESCRIPTION,
    LOCK_FILE,
    STATE_FILE,
    EmbeddedDemo,
    RuntimeBusy,
    StartError,
)


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
        raise StartError("an embedded server failed to start (see the log)")
    return server, task


def _lock(path: Path) -> IO[str]:
    """An exclusive, non-blocking lock on `path` held while the file stays open (POSIX; none elsewhere)."""
    # Owner-only, like everything else in the data dir; held open for the runtime's life.
    handle = os.fdopen(os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600), "a", encoding="utf-8")
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


def _sign_in(app: Any, workspace: str, user_id: str) -> dict[str, Any]:
    """Sign the demo's staff member in as the console would (a token family of the console's
    client), so their writes are audited as theirs and signing out revokes it like any other."""
    from talkya_console.sandbox.grants import is_staff, issue_tokens, new_family
    from talkya_console.sandbox.seed.credentials import CONSOLE_CLIENT_ID
    from talkya_console.wire.users import ALL_SCOPES

    sandbox = app.state.sandbox
    if not is_staff(sandbox.db, workspace, user_id):
        raise StartError(f"{user_id} is not on the demo clinic's staff (try usr_102, usr_104 or usr_114)")
    return issue_tokens(sandbox, workspace, " ".join(ALL_SCOPES), CONSOLE_CLIENT_ID, user_id, family=new_family())


def _import_relay_stack() -> None:
    """What starting the relay imports: the relay app and the API client (to register the endpoint)."""
    import talkya_console.api
    import talkya_console.relay.app  # noqa: F401


class EmbeddedRuntime(EmbeddedDemo):
    """The sandbox (demo clinic) and the relay, served on loopback ports inside the current asyncio loop."""

    def __init__(self, data_dir: Path | str, **options: Any) -> None:
        """`options` as `EmbeddedDemo`'s."""
        super().__init__(data_dir, **options)
        self.endpoint_id = ""
        self._servers: list[tuple[_EmbeddedServer, asyncio.Task[None]]] = []
        self._lock: IO[str] | None = None

    @property
    def running(self) -> bool:
        """Both servers are up."""
        return len(self._servers) == 2

    async def __aenter__(self) -> EmbeddedRuntime:
        await self.start()
        await self.start_live()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def start(self) -> None:
        """Start the sandbox (the API is usable after this); seeding runs off the loop."""
        if self._lock is not None:
            return
        self.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._lock = _lock(self.data_dir / LOCK_FILE)
        try:
            app = await asyncio.to_thread(self._sandbox_app)
            if self.sign_in_as:
                self.sign_in = _sign_in(app, self.workspace, self.sign_in_as)
            api_sock = _listen()
            self.api_base = f"http://127.0.0.1:{api_sock.getsockname()[1]}"
            self._servers.append(await _serve(app, api_sock))
        except BaseException:
            await self.stop()
            raise

    async def start_live(self) -> None:
        """Wire the sandbox's webhooks to the relay and start the relay (the stream is usable after this)."""
        if self.relay_url or not self._servers:
            return
        try:
            await self._start_relay()
        except BaseException:
            await self.stop()
            raise

    async def _start_relay(self) -> None:
        # Imported off the loop: the sandbox is serving the console's first requests meanwhile.
        await asyncio.to_thread(_import_relay_stack)
        from talkya_console.relay.app import UVICORN_OPTIONS, create_relay_app

        state_path = self.data_dir / STATE_FILE
        state = _read_state(state_path)
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
            relay_app = await asyncio.to_thread(create_relay_app, relay_db, {self.workspace: [secret]})
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
        self.relay_url = ""
        for server, task in servers:
            server.should_exit = True
            await asyncio.gather(task, return_exceptions=True)
        if self._lock is not None:
            self._lock.close()
            self._lock = None


# The child process: `main(["DATA_DIR", "--rate", R, "--no-simulate", "--patients", N])`, or the same
# arguments to `python -m talkya_console.embedded` by hand.
# It speaks JSON lines on stdout: {"api": {...}} once the API answers, {"live": {...}} once the relay
# does, or {"error": "...", "busy": bool}. It stops when its stdin closes (the console quit or died)
# or on SIGTERM. Its logs go to stderr, which the console points at an owner-only file.


def _report(channel: IO[str], message: Mapping[str, Any]) -> None:
    channel.write(json.dumps(message) + "\n")
    channel.flush()


async def _until_released(stop: asyncio.Event) -> None:
    """Return when stdin reaches EOF (the console went away) or `stop` is set (SIGTERM)."""
    loop = asyncio.get_running_loop()

    def watch_stdin() -> None:
        sys.stdin.buffer.read()
        loop.call_soon_threadsafe(stop.set)

    # A daemon thread, so a SIGTERM with stdin still open does not leave the exit waiting on the read.
    threading.Thread(target=watch_stdin, name="stdin-eof", daemon=True).start()
    await stop.wait()


async def _child(args: argparse.Namespace, channel: IO[str]) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signum, stop.set)
    runtime = EmbeddedRuntime(
        args.data_dir, rate=args.rate, simulate=args.simulate, patients=args.patients, sign_in_as=args.sign_in_as
    )
    try:
        await runtime.start()
        _report(channel, {"api": {"api_base": runtime.api_base, "sign_in": runtime.sign_in}})
        await runtime.start_live()
        _report(channel, {"live": {"relay_url": runtime.relay_url, "relay_token": runtime.relay_token}})
    except StartError as error:
        _report(channel, {"error": str(error), "busy": isinstance(error, RuntimeBusy)})
        return 1
    except Exception as error:
        logging.getLogger("talkya.embedded").exception("the embedded demo failed to start")
        _report(channel, {"error": f"the embedded demo failed to start ({type(error).__name__})", "busy": False})
        await runtime.stop()
        return 1
    try:
        await _until_released(stop)
    finally:
        await runtime.stop()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m talkya_console.embedded")
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("--rate", type=float, default=1.0)
    parser.add_argument("--no-simulate", dest="simulate", action="store_false")
    parser.add_argument("--patients", type=int)
    parser.add_argument("--as", dest="sign_in_as", metavar="USER_ID", help="the staff member signed in")
    parser.add_argument("--nice", type=int, default=19, help="niceness to run at (default: the lowest priority)")
    args = parser.parse_args(argv)
    # The console in front comes first: when both want a core, the demo behind it waits. Set before
    # any thread starts (threads inherit it) and before the sandbox is imported (most of its start).
    with contextlib.suppress(OSError, AttributeError):
        os.nice(max(0, args.nice - os.nice(0)))
    # Only our reports may reach the console through stdout; anything else printed goes to the log.
    channel = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    return asyncio.run(_child(args, channel))


if __name__ == "__main__":
    sys.exit(main())

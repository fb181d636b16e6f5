"""Where the console's API and relay are: the embedded demo in a child process (the default), or a
remote Talkya from a profile. Light on purpose: this loads before the console's first frame."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from talkya_console.config import ConfigError, data_dir, load_config, resolve_profile, resolve_secret

DEMO_WORKSPACE = "ws_truebliss"
DEMO_API_KEY = "tk_test_truebliss"  # the sandbox's well-known demo key, reachable on loopback only
DEMO_USER = "usr_102"  # the demo starts signed in as this front-desk member (Jordan Reyes)
ENDPOINT_DESCRIPTION = "embedded relay"
STATE_FILE = "embedded.json"
LOCK_FILE = "embedded.lock"
LOG_FILE = "embedded.log"
LOG_ROTATE_BYTES = 5 * 1024 * 1024
DEFAULT_BASE_URL = "https://api.talkya.ai"


class StartError(RuntimeError):
    """The embedded demo could not start; the message is fit for the header (no paths, no data)."""


class RuntimeBusy(StartError):
    """Another process runs the embedded demo from the same data dir (it owns the webhook endpoint)."""


class EmbeddedDemo:
    """What both ways of running the embedded demo share: its options, and where it answers once started."""

    def __init__(
        self,
        data_dir: Path | str,
        *,
        rate: float = 1.0,
        simulate: bool = True,
        patients: int | None = None,
        sign_in_as: str | None = DEMO_USER,
    ) -> None:
        self.data_dir = Path(data_dir)
        self.rate = rate
        self.simulate = simulate
        self.patients = patients
        self.sign_in_as = sign_in_as
        self.workspace = DEMO_WORKSPACE
        self.api_key = DEMO_API_KEY
        self.api_base = ""
        self.relay_url = ""
        self.relay_token = ""
        # Once started: the demo staff member's sign-in (OAuth token response), None if `sign_in_as` is.
        self.sign_in: dict[str, Any] | None = None

    @property
    def has_relay(self) -> bool:
        return True


class EmbeddedProcess(EmbeddedDemo):
    """The embedded demo (sandbox, simulator, relay) in a child process on loopback.

    `launch()` spawns it as the console starts: it loads the sandbox on the other core, at the
    lowest priority, so the console's first frame comes first. `start()` returns when the API
    answers and `start_live()` when the relay does; the console loads its panes in between.
    `stop()` closes the child's stdin (it shuts down cleanly on EOF, and so also when the console
    dies) and waits for it."""

    def __init__(self, data_dir: Path | str, **options: Any) -> None:
        """`options` as `EmbeddedDemo`'s."""
        super().__init__(data_dir, **options)
        self._proc: subprocess.Popen[str] | None = None

    @property
    def log_path(self) -> Path:
        return self.data_dir / LOG_FILE

    def launch(self) -> None:
        """Spawn the child (idempotent); its output is read by `start`."""
        if self._proc is not None:
            return
        self.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        log = self._open_log()
        argv = [sys.executable, "-m", "talkya_console.embedded", str(self.data_dir), "--rate", str(self.rate)]
        if not self.simulate:
            argv.append("--no-simulate")
        if self.patients is not None:
            argv += ["--patients", str(self.patients)]
        if self.sign_in_as:
            argv += ["--as", self.sign_in_as]
        try:
            self._proc = subprocess.Popen(
                argv,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
                encoding="utf-8",
                # Its own process group, so Ctrl+C in the terminal is the console's to handle. Not
                # its own session: Linux schedules each session as a group (autogroup), and in a
                # group of its own the child's lower priority would count for nothing against ours.
                process_group=0,
            )
        finally:
            log.close()

    def _open_log(self) -> IO[str]:
        path = self.log_path
        with contextlib.suppress(OSError):
            if path.stat().st_size > LOG_ROTATE_BYTES:
                path.replace(path.with_name(LOG_FILE + ".1"))
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        os.chmod(path, 0o600)
        return os.fdopen(fd, "a", encoding="utf-8")

    async def _expect(self, key: str) -> dict[str, Any]:
        """The child's next report, which must be `key`; a StartError if it failed or exited."""
        assert self._proc is not None and self._proc.stdout is not None
        line = await asyncio.to_thread(self._proc.stdout.readline)
        try:
            report = json.loads(line) if line else {}
        except ValueError:
            report = {}
        if key in report and isinstance(report[key], dict):
            return report[key]
        if "error" in report:
            error = str(report["error"])
            raise RuntimeBusy(error) if report.get("busy") else StartError(error)
        raise StartError(f"the embedded demo exited during startup (its log: {LOG_FILE} in the data dir)")

    async def start(self) -> None:
        """Launch if needed and wait until the sandbox's API answers."""
        if self.api_base:
            return
        self.launch()
        try:
            api = await self._expect("api")
            self.api_base = api["api_base"]
            self.sign_in = api.get("sign_in")
        except BaseException:
            await self.stop()
            raise

    async def start_live(self) -> None:
        """Wait until the relay is up and wired to the sandbox's webhooks."""
        if self.relay_url:
            return
        await self.start()
        try:
            live = await self._expect("live")
        except BaseException:
            await self.stop()
            raise
        self.relay_token = live["relay_token"]
        self.relay_url = live["relay_url"]

    async def stop(self, timeout: float = 10.0) -> None:
        """Ask the child to stop (EOF on its stdin), then terminate or kill it if it lingers."""
        proc, self._proc = self._proc, None
        self.api_base = self.relay_url = ""
        if proc is None:
            return
        with contextlib.suppress(OSError):
            if proc.stdin is not None:
                proc.stdin.close()
        for action in (None, proc.terminate, proc.kill):
            if action is not None:
                with contextlib.suppress(OSError):
                    action()
            try:
                await asyncio.to_thread(proc.wait, timeout)
                break
            except subprocess.TimeoutExpired:
                continue
        if proc.stdout is not None:
            proc.stdout.close()

    @property
    def returncode(self) -> int | None:
        return None if self._proc is None else self._proc.poll()


@dataclass
class RemoteRuntime:
    """A real Talkya and a deployed relay, from a profile and the environment; nothing is started."""

    api_base: str
    workspace: str
    api_key: str | None  # None: only a staff member's sign-in (`talkya-console login`) opens the desk
    relay_url: str | None = None
    relay_token: str | None = None
    profile: str = "default"  # where a sign-in is stored (keyring entry or file), as `login` names it

    def __repr__(self) -> str:
        return f"RemoteRuntime(api_base={self.api_base!r}, workspace={self.workspace!r}, relay_url={self.relay_url!r})"

    async def __aenter__(self) -> RemoteRuntime:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def start(self) -> None:
        """Nothing to start."""

    @property
    def has_relay(self) -> bool:
        return bool(self.relay_url and self.relay_token)

    async def start_live(self) -> None:
        """Nothing to start."""

    def launch(self) -> None:
        """Nothing to launch."""

    async def stop(self) -> None:
        """Nothing to stop."""

    @classmethod
    def from_profile(cls, profile: str | None, env: Mapping[str, str]) -> RemoteRuntime:
        """Fields from the profile (env over it), keys from env or the keyring; ConfigError if incomplete."""
        resolved = resolve_profile(load_config(env=env), profile, env)
        api_key, _ = resolve_secret("api_key", profile, env)
        relay_token, _ = resolve_secret("relay_token", profile, env)
        if not resolved.workspace:
            raise ConfigError("no workspace: set TALKYA_WORKSPACE or the profile's workspace")
        base_url = resolved.base_url or DEFAULT_BASE_URL
        return cls(base_url, resolved.workspace, api_key or None, resolved.relay_url, relay_token, profile or "default")


def resolve_runtime(
    profile: str | None, env: Mapping[str, str] | None = None, *, sign_in_as: str | None = None
) -> EmbeddedProcess | RemoteRuntime:
    """A profile (or TALKYA_PROFILE), TALKYA_API_KEY or TALKYA_BASE_URL means remote (signed in with
    `talkya-console login`, or with the key); none of them means the embedded demo."""
    env = os.environ if env is None else env
    profile = profile or env.get("TALKYA_PROFILE") or None
    if profile is None and not env.get("TALKYA_API_KEY") and not env.get("TALKYA_BASE_URL"):
        return EmbeddedProcess(data_dir() / "embedded", sign_in_as=sign_in_as or DEMO_USER)
    return RemoteRuntime.from_profile(profile, env)

"""Launching the console: resolve where the API and relay are, launch the embedded demo (if that is
where) before Textual even loads, then run the app; quitting stops the demo.

Nothing heavy is imported at module level: `run_console` spawns the demo's process first, so the
sandbox loads on the other core while this process imports Textual and paints."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Protocol

from talkya_console.config import Config, ConfigError, load_config
from talkya_console.runtime import resolve_runtime

if TYPE_CHECKING:  # the client and relay stacks load after the first frame, in the app's workers
    from talkya_console.outbox import Outbox
    from talkya_console.relay.subscriber import Reset, SubscriberState
    from talkya_console.session import StaffSession
    from talkya_console.tui.app import TalkyaConsole
    from talkya_console.wire import Event


class Runtime(Protocol):
    """What the console needs of a runtime (embedded in a child process or this loop, or remote)."""

    api_base: str
    workspace: str
    api_key: str | None
    relay_url: str | None
    relay_token: str | None

    @property
    def has_relay(self) -> bool: ...  # a relay to follow (known before start)

    async def start(self) -> None: ...  # the API answers after this

    async def start_live(self) -> None: ...  # the relay answers after this

    async def stop(self) -> None: ...


def make_session(runtime: Runtime) -> StaffSession:
    """Whose credentials, once the runtime has started: a stored sign-in (or the API key) for a
    remote Talkya; the embedded demo's signed-in staff member (or its demo key)."""
    from talkya_console.runtime import RemoteRuntime
    from talkya_console.session import StaffSession

    if isinstance(runtime, RemoteRuntime):
        from talkya_console.credentials import TokenStore

        store = TokenStore(runtime.profile)
        return StaffSession(runtime.api_base, runtime.workspace, api_key=runtime.api_key, store=store)
    sign_in = getattr(runtime, "sign_in", None)
    if sign_in:
        return StaffSession.from_sign_in(runtime.api_base, runtime.workspace, sign_in)
    return StaffSession(runtime.api_base, runtime.workspace, api_key=runtime.api_key)


def open_outbox(runtime: Runtime) -> Outbox:
    """The durable outbox of this Talkya (the demo's, or a profile's), in the user data dir."""
    from talkya_console.config import data_dir
    from talkya_console.outbox import Outbox

    label = getattr(runtime, "profile", None) or "demo"
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in label)
    return Outbox(data_dir() / f"outbox-{safe}.sqlite3", runtime.workspace)


def build_app(runtime: Runtime, config: Config) -> TalkyaConsole:
    """The console wired to a runtime: a staff session, its clients, and one relay subscriber."""
    from talkya_console.tui.app import TalkyaConsole
    from talkya_console.tui.messages import LiveStatus

    app: TalkyaConsole
    sessions: list[StaffSession] = []

    def session() -> StaffSession:
        """Made once, when first needed (after the runtime has started: the API's address is known)."""
        if not sessions:
            sessions.append(make_session(runtime))
        return sessions[0]

    def report(state: SubscriberState) -> None:
        app.post_message(LiveStatus(state.status, state.retry_in, state.offline_since))

    def subscribe(since: int | None, epoch: str | None) -> AsyncIterator[Event | Reset]:
        from talkya_console.relay.subscriber import RelaySubscriber

        # Read at call time: the embedded relay's address is known only once it has started.
        subscriber = RelaySubscriber(
            runtime.relay_url or "", runtime.relay_token or "", since=since, epoch=epoch, on_state_change=report
        )
        return subscriber.__aiter__()

    app = TalkyaConsole(
        outbox=open_outbox(runtime),
        client_factory=lambda: session().client(),
        identity_factory=session,
        idle_lock_minutes=config.idle_lock_minutes,
        subscribe=subscribe if runtime.has_relay else None,
        workspace=runtime.workspace,
        keymap=dict(config.keymap),
        theme=config.theme,
        start=runtime.start,
        start_live=runtime.start_live,
    )
    return app


async def _run(runtime: Runtime, config: Config) -> None:
    try:
        await build_app(runtime, config).run_async()
    finally:
        await runtime.stop()


def run_console(profile: str | None, sign_in_as: str | None = None) -> int:
    """`talkya-console` with no subcommand."""
    try:
        config = load_config()
        runtime = resolve_runtime(profile, sign_in_as=sign_in_as)
    except ConfigError as err:
        print(f"talkya-console: {err}", file=sys.stderr)
        return 2
    # The embedded demo's child also leaves on its own when this process exits (its stdin closes).
    runtime.launch()
    asyncio.run(_run(runtime, config))
    return 0

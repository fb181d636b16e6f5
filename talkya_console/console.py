"""Launching the console: resolve where the API and relay are, then run the Textual app and
the embedded servers (if any) in one event loop, so quitting stops them cleanly."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from talkya_console.config import Config, ConfigError, load_config
from talkya_console.runtime import EmbeddedRuntime, RemoteRuntime, resolve_runtime
from talkya_console.tui.app import TalkyaConsole
from talkya_console.tui.messages import LiveStatus

if TYPE_CHECKING:  # the client and relay stacks load after the first frame, in the app's workers
    from talkya_console.api import TalkyaClient
    from talkya_console.relay.subscriber import Reset, SubscriberState
    from talkya_console.wire import Event


def build_app(runtime: EmbeddedRuntime | RemoteRuntime, config: Config) -> TalkyaConsole:
    """The console wired to a runtime: a client per session and one relay subscriber."""
    app: TalkyaConsole

    def client_factory() -> TalkyaClient:
        from talkya_console.api import TalkyaClient

        return TalkyaClient(runtime.api_base, runtime.workspace, api_key=runtime.api_key)

    def report(state: SubscriberState) -> None:
        app.post_message(LiveStatus(state.status, state.retry_in, state.offline_since))

    def subscribe(since: int | None, epoch: str | None) -> AsyncIterator[Event | Reset]:
        from talkya_console.relay.subscriber import RelaySubscriber

        # Read at call time: the embedded relay's address is known only once it has started.
        subscriber = RelaySubscriber(
            runtime.relay_url or "", runtime.relay_token or "", since=since, epoch=epoch, on_state_change=report
        )
        return subscriber.__aiter__()

    has_relay = isinstance(runtime, EmbeddedRuntime) or bool(runtime.relay_url and runtime.relay_token)
    app = TalkyaConsole(
        client_factory=client_factory,
        subscribe=subscribe if has_relay else None,
        workspace=runtime.workspace,
        keymap=dict(config.keymap),
        theme=config.theme,
        start=runtime.start,
    )
    return app


async def _run(runtime: EmbeddedRuntime | RemoteRuntime, config: Config) -> None:
    try:
        await build_app(runtime, config).run_async()
    finally:
        await runtime.stop()


def run_console(profile: str | None) -> int:
    """`talkya-console` with no subcommand."""
    try:
        config = load_config()
        runtime = resolve_runtime(profile)
    except ConfigError as err:
        print(f"talkya-console: {err}", file=sys.stderr)
        return 2
    asyncio.run(_run(runtime, config))
    return 0

"""Time to the next painted frame, for the console benchmarks (lookup, messenger, transcript, queue).

Imported before Textual: `talkya_console.tui` sets the console's frame pacing, which Textual reads
once, when it is first imported."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import talkya_console.tui  # noqa: F401  (before Textual: see above)


class PaintClock:
    """Wraps an app's display: each screen update is rendered to what a terminal would be sent,
    and `await clock.once(condition)` returns when the first update composed after `condition`
    holds was rendered. Nothing polls, so the measuring costs the console nothing."""

    def __init__(self, app: Any) -> None:
        from textual._compositor import CompositorUpdate

        self.app = app
        self.condition: Callable[[], bool] | None = None
        self.event = asyncio.Event()
        self.at = 0.0
        display = app._display

        def timed_display(screen: Any, renderable: Any) -> None:
            display(screen, renderable)
            if isinstance(renderable, CompositorUpdate):
                renderable.render_segments(app.console)
                if self.condition is not None and self.condition():
                    self.condition = None
                    self.at = time.perf_counter()
                    self.event.set()

        app._display = timed_display

    async def once(self, condition: Callable[[], bool], timeout: float = 30) -> float:
        """When (perf_counter) the first frame after `condition` holds was painted."""
        self.event = asyncio.Event()
        self.condition = condition
        await asyncio.wait_for(self.event.wait(), timeout)
        return self.at

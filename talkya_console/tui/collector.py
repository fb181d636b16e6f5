"""When the console's garbage collector makes its full passes: in a pause of the typing, not in the
middle of a frame.

CPython's cycle collector makes a full pass over every tracked object once enough young objects
have survived. On this project's 2-core VM a full pass over the console's 100,000-odd objects
takes 60 to 90 ms, and paging through a 2,000-segment transcript allocates enough to start one every
few pages: those were the frames that took 80 to 140 ms (benchmarks/transcript.py). So, once boot
is over:
- what boot made is frozen (`gc.freeze`): it lives as long as the app, and no pass reads it again;
- a full pass starts on its own only after 1,000 young-generation passes instead of 10, so it
  stays possible (memory is still bounded when nobody ever pauses) but rare;
- every few seconds, when nobody has typed for two seconds and young passes have run since the
  last full one, the full pass runs then, while nothing on screen waits for it.
The young passes run as before (a few milliseconds each), so short-lived cycles are freed as soon."""

from __future__ import annotations

import gc

# Young-generation passes between full passes when nobody pauses (CPython's default: 10).
FULL_PASS_AFTER = 1000
# Quiet for this long counts as a pause.
IDLE_SECONDS = 2.0
# How often a pause is looked for.
CHECK_SECONDS = 5.0


def settle() -> tuple[int, int, int]:
    """At the end of boot: freeze what boot made, and make full passes rare on their own. Returns
    the thresholds before, for `release`."""
    before = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(before[0], before[1], FULL_PASS_AFTER)
    return before


def release(before: tuple[int, int, int]) -> None:
    """When the console ends: the collector as it was, what was frozen looked at again (a process
    that runs consoles one after another, as the test suite does, would otherwise keep each one's
    cycles for good)."""
    gc.unfreeze()
    gc.set_threshold(*before)


def collect_if_idle(last_input: float, now: float) -> bool:
    """A full pass now, if nobody has typed for `IDLE_SECONDS` and there is anything to look at
    (young passes have run since the last full one). True when it ran."""
    if now - last_input < IDLE_SECONDS or gc.get_count()[2] == 0:
        return False
    gc.collect()
    return True

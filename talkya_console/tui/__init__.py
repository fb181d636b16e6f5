"""The Textual console.

Frames are paced at up to 120 a second instead of Textual's 60 (unless `TEXTUAL_FPS` is set).
Textual paints a change at the next slot of its frame clock, so a key's echo and then its results
each wait for a slot: at 60 that wait was a third of a lookup keystroke's 42 ms (p50; 28 ms at 120,
benchmarks/lookup.py). Nothing is painted when nothing changed, so an idle console costs the same.
This has to be set before Textual is first imported, which is why it is here."""

import os

os.environ.setdefault("TEXTUAL_FPS", "120")

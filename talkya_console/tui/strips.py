"""Lines that are freed when they go: two of Textual's line (`Strip`) caches kept a line in itself.

In Textual 8.2.8, `Strip.divide` stores `[self]` in the line's own cache when the cut is the whole
line, and `Strip.crop_extend` stores the line itself when the crop is the whole line. Either makes
the line a reference cycle (line → cache → line), which only the garbage collector's passes can
free. The compositor divides every line of every frame, whole lines mostly, so each frame left its
lines behind: paging through a 2,000-segment transcript left 255,000 lines and 1.8 million caches
for the collector (`gc.DEBUG_SAVEALL`, benchmarks/transcript.py), and the full passes that freed
them took 60 to 600 ms, in the middle of frames.

`patch()` wraps both methods so a whole-line answer is returned without being cached (it is the line
itself: nothing to compute); every other answer goes through Textual's cached code as before."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from rich.style import Style
from textual.strip import Strip

_divide = Strip.divide
_crop_extend = Strip.crop_extend


def divide(self: Strip, cuts: Iterable[int]) -> Sequence[Strip]:
    """`Strip.divide`, without caching the line in itself when the one cut is its end."""
    length = self.cell_length
    kept = [cut for cut in cuts if cut <= length]
    if kept == [length]:
        return [self]
    return _divide(self, kept)


def crop_extend(self: Strip, start: int, end: int, style: Style | None) -> Strip:
    """`Strip.crop_extend`, without caching the line in itself when the crop is the whole line."""
    if start == 0 and end == self.cell_length:
        return self
    return _crop_extend(self, start, end, style)


def patch() -> None:
    """Put the wrappers on `Strip` (once; the console does this at import)."""
    Strip.divide = divide  # type: ignore[method-assign]
    Strip.crop_extend = crop_extend  # type: ignore[method-assign]

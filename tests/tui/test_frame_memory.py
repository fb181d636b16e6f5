"""What keeps frames short: whole-line cuts of a `Strip` leave no reference cycle behind (strips.py),
and full collector passes wait for a pause in the typing (collector.py)."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Iterator

import pytest
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

from talkya_console.tui import collector, strips
from talkya_console.tui.app import TalkyaConsole


def a_line(mark: str = "2024-03-24") -> Strip:
    return Strip([Segment("Valentina ", Style(bold=True)), Segment(f"Clark, {mark}")], 17 + len(mark))


@pytest.fixture
def saved_garbage() -> Iterator[list[object]]:
    """The collector keeps what it would free in `gc.garbage`, for the test to look at."""
    gc.collect()
    gc.garbage.clear()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        yield gc.garbage
    finally:
        gc.set_debug(0)
        gc.garbage.clear()


def strips_in(garbage: list[object], mark: str) -> int:
    """How many of this test's lines (their text ends with `mark`) only the collector could free."""
    return sum(isinstance(thing, Strip) and thing.text.endswith(mark) for thing in garbage)


def test_whole_line_cuts_return_the_line_itself() -> None:
    strips.patch()
    line = a_line()
    assert list(line.divide([line.cell_length])) == [line]
    assert list(line.divide([27, 40])) == [line]  # a cut past the end is no cut
    assert line.crop_extend(0, 27, None) is line


def test_other_cuts_are_the_same_as_textuals() -> None:
    strips.patch()
    line = a_line()
    halves = line.divide([10, 27])
    assert [half.text for half in halves] == ["Valentina ", "Clark, 2024-03-24"]
    assert line.crop_extend(10, 15, None).text == "Clark"
    assert line.crop_extend(20, 30, None).text == "4-03-24   "  # extended with blanks past the end


def test_a_divided_and_cropped_line_is_freed_without_the_collector(saved_garbage: list[object]) -> None:
    strips.patch()
    for _ in range(50):
        line = a_line("freed-by-refcount")
        line.divide([line.cell_length])
        line.crop_extend(0, line.cell_length, None)
        del line
    gc.collect()
    assert strips_in(saved_garbage, "freed-by-refcount") == 0


def test_unpatched_textual_leaves_those_lines_to_the_collector(saved_garbage: list[object]) -> None:
    # The reason for the patch: Textual's own methods make each line a cycle. If a Textual upgrade
    # fixes that, this fails and strips.py can go.
    for _ in range(50):
        line = a_line("left-in-a-cycle")
        strips._divide(line, [line.cell_length])
        strips._crop_extend(line, 0, line.cell_length, None)
        del line
    gc.collect()
    assert strips_in(saved_garbage, "left-in-a-cycle") == 50


def test_settle_freezes_what_boot_made_and_release_gives_it_back() -> None:
    young, middle, full = before = gc.get_threshold()
    assert collector.settle() == before
    try:
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold() == (young, middle, collector.FULL_PASS_AFTER)
    finally:
        collector.release(before)
    assert gc.get_freeze_count() == 0
    assert gc.get_threshold() == (young, middle, full)


async def test_the_console_settles_after_boot_and_releases_when_it_ends(quiet_console: TalkyaConsole) -> None:
    before = gc.get_threshold()
    async with quiet_console.run_test(size=(120, 40)) as pilot:
        await asyncio.wait_for(quiet_console.booted.wait(), 30)
        await pilot.pause()
        assert gc.get_threshold()[2] == collector.FULL_PASS_AFTER
        assert gc.get_freeze_count() > 0
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


def test_a_full_pass_waits_for_a_pause_in_the_typing() -> None:
    gc.collect()
    gc.collect(1)  # a middle pass since the last full one: something for a full pass to look at
    assert gc.get_count()[2] > 0
    assert not collector.collect_if_idle(last_input=100.0, now=100.0 + collector.IDLE_SECONDS / 2)
    assert gc.get_count()[2] > 0
    assert collector.collect_if_idle(last_input=100.0, now=100.0 + collector.IDLE_SECONDS)
    assert gc.get_count()[2] == 0
    assert not collector.collect_if_idle(last_input=100.0, now=200.0)  # nothing new since: no pass

"""Snapshots of a chart: its overview (masked), its encounter timeline, and a note."""

from __future__ import annotations

import pytest

from talkya_console.tui.app import TalkyaConsole
from tests.tui.conftest import settle


def opening(name: str, *keys: str):  # type: ignore[no-untyped-def]
    """A `run_before` that opens `name`'s chart and presses `keys`."""

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot)
        page = await pilot.app.client.patients.search(query=name, limit=1).page()
        pilot.app.open_chart(page.data[0].id)
        await settle(pilot)
        for key in keys:
            await pilot.press(key)
            await settle(pilot)

    return run_before


@pytest.mark.parametrize(
    "keys",
    [(), ("2",), ("3", "enter")],
    ids=["overview", "encounters", "note"],
)
def test_chart(snap_compare, quiet_console: TalkyaConsole, keys: tuple[str, ...]) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(quiet_console, terminal_size=(120, 40), run_before=opening("Valentina Clark", *keys))

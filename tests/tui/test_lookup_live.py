"""Patient lookup, the chart, the command palette, and live events through the relay feed."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from textual.command import CommandPalette
from textual.widgets import DataTable, OptionList

from talkya_console.relay.subscriber import Reset
from talkya_console.tui.app import TalkyaConsole
from talkya_console.tui.screens.chart import ChartScreen
from talkya_console.tui.screens.lookup import LookupScreen
from talkya_console.wire import Event
from tests.tui.conftest import settle, until


def options(app: TalkyaConsole) -> list[str]:
    """The texts in the lookup results."""
    results = app.screen.query_one(OptionList)
    return [str(results.get_option_at_index(i).prompt) for i in range(results.option_count)]


def hits(app: TalkyaConsole) -> list[str]:
    """The texts in the command palette's list."""
    return [str(option.prompt) for option in app.screen.query_one(OptionList).options]


async def test_slash_lookup_finds_maria_lopez_and_opens_her_chart(console: TalkyaConsole) -> None:
    async with console.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("slash")
        assert isinstance(console.screen, LookupScreen)
        await pilot.press(*"lopez")
        await settle(pilot)
        found = options(console)
        maria = next(i for i, text in enumerate(found) if text.startswith("Maria Lopez"))
        await pilot.press(*["down"] * maria, "enter")
        await settle(pilot)
        assert isinstance(console.screen, ChartScreen)
        chart = console.screen.query_one("#chart-box")
        assert chart.border_title == "Chart · Maria Lopez"
        await pilot.press("escape")
        assert not isinstance(console.screen, ChartScreen)


async def test_enter_on_a_patient_row_opens_the_chart(console: TalkyaConsole) -> None:
    async with console.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        newest = next(iter(console.query_one("#patients").patients.values()))  # type: ignore[attr-defined]
        await pilot.press("3", "enter")
        await settle(pilot)
        assert isinstance(console.screen, ChartScreen)
        assert console.screen.query_one("#chart-box").border_title == f"Chart · {newest.name}"


async def test_palette_finds_a_patient(console: TalkyaConsole) -> None:
    async with console.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        assert isinstance(console.screen, CommandPalette)
        await pilot.press(*"maria lopez")
        await until(pilot, lambda: any("Patient: Maria Lopez" in hit for hit in hits(console)))
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(console.screen, ChartScreen)


async def test_palette_runs_an_action(console: TalkyaConsole) -> None:
    async with console.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p", *"go to tasks")
        await until(pilot, lambda: any("Go to Tasks and handoffs" in hit for hit in hits(console)))
        await pilot.press("enter")
        await pilot.pause()
        assert console.focused is console.query_one("#tasks-table")


async def test_call_started_event_appears_in_the_calls_pane(
    console: TalkyaConsole, sandbox: object, feed: asyncio.Queue[Event | Reset]
) -> None:
    async with console.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        table = console.query_one("#calls-table", DataTable)
        first = table.coordinate_to_cell_key((0, 0)).row_key.value
        call = await console.client.calls.get(first)  # type: ignore[union-attr]
        before = table.row_count
        table.clear()
        console.query_one("#calls").calls.clear()  # type: ignore[attr-defined]
        event = Event(
            id="evt_1",
            type="receptionist.call.started",
            created_at=datetime(2026, 11, 20, 15, 29, tzinfo=UTC),
            workspace_id="ws_truebliss",
            data={"call_id": call.id},
        )
        await feed.put(event)
        await pilot.pause()
        await settle(pilot)
        assert table.row_count == 1 <= before
        assert table.get_row_index(call.id) == 0
        await feed.put(Reset(epoch="e2"))
        await pilot.pause()
        await settle(pilot)
        assert table.row_count == before


def event(type_: str, **data: object) -> Event:
    """A wire event as the relay would deliver it."""
    return Event(
        id=f"evt_{type_}",
        type=type_,
        created_at=datetime(2026, 11, 20, 15, 29, tzinfo=UTC),
        workspace_id="ws_truebliss",
        data=dict(data),
    )


async def test_message_in_another_channel_counts_as_unread(
    console: TalkyaConsole, feed: asyncio.Queue[Event | Reset]
) -> None:
    async with console.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        table = console.query_one("#channels-table", DataTable)
        other = table.coordinate_to_cell_key((1, 0)).row_key.value
        await feed.put(event("message.created", channel_id=other, message_id="msg_x"))
        await feed.put(event("message.created", channel_id=other, message_id="msg_y"))
        await pilot.pause()
        await settle(pilot)
        assert str(table.get_cell(other, "unread")) == "2"


async def test_new_handoff_is_listed_and_toasted(console: TalkyaConsole, feed: asyncio.Queue[Event | Reset]) -> None:
    async with console.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        pane = console.query_one("#tasks")
        handoff = next(iter(pane.handoffs.values()))  # type: ignore[attr-defined]
        pane.handoffs.clear()  # type: ignore[attr-defined]
        await feed.put(event("openclaw.handoff.created", handoff_id=handoff.id))
        await pilot.pause()
        await settle(pilot)
        assert handoff.id in pane.handoffs  # type: ignore[attr-defined]
        assert any(n.title == "New handoff" for n in console._notifications)


async def test_palette_opens_a_channel(console: TalkyaConsole) -> None:
    async with console.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p", *"channel: #billing")
        await until(pilot, lambda: any("Channel: #billing" in hit for hit in hits(console)))
        await pilot.press("enter")
        await settle(pilot)
        assert console.focused is console.query_one("#channels-table")
        assert console.query_one("#messenger").selected == "ch_billing"  # type: ignore[attr-defined]


async def test_update_to_a_known_call_changes_its_row_in_place(
    console: TalkyaConsole, feed: asyncio.Queue[Event | Reset]
) -> None:
    async with console.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        table = console.query_one("#calls-table", DataTable)
        before = table.row_count
        second = table.coordinate_to_cell_key((1, 0)).row_key.value
        await feed.put(event("receptionist.call.transcript.updated", call_id=second))
        await pilot.pause()
        await settle(pilot)
        assert table.row_count == before
        assert table.get_row_index(second) == 1


async def test_an_empty_lookup_lists_the_charts_opened_newest_first(console: TalkyaConsole) -> None:
    async with console.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("slash")
        await settle(pilot)
        assert console.screen.query_one(OptionList).option_count == 0
        await pilot.press("escape")
        table = console.query_one("#patients-table", DataTable)
        opened = []
        for row in (0, 1):
            await pilot.press("3")
            table.move_cursor(row=row)
            await pilot.press("enter")
            await settle(pilot)
            opened.append(console.screen.patient.name)  # type: ignore[attr-defined]
            await pilot.press("escape")
        await pilot.press("slash")
        await settle(pilot)
        options = console.screen.query_one(OptionList)
        assert [str(options.get_option_at_index(i).prompt).split("  ·  ")[0] for i in range(2)] == opened[::-1]
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(console.screen, ChartScreen) and console.screen.patient.name == opened[1]  # type: ignore[union-attr]


async def test_lookup_pages_in_more_results_as_the_highlight_nears_the_end(console: TalkyaConsole) -> None:
    async with console.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert console.client is not None
        everyone = await console.client.patients.search(query="+1").collect()
        assert len(everyone) > 25  # the demo's patients all have a phone
        await pilot.press("slash", *"+1")
        await settle(pilot)
        screen = console.screen
        assert isinstance(screen, LookupScreen)
        assert len(options(console)) == 20
        assert "20+ (more below) found" in str(screen.query_one("#lookup-status").render())
        await pilot.press(*["down"] * 17)
        await settle(pilot)
        shown = options(console)
        assert len(shown) == min(40, len(everyone))
        assert len(set(shown)) == len(shown)  # nothing twice
        ids = [screen.query_one(OptionList).get_option_at_index(i).id for i in range(len(shown))]
        assert ids == [patient.id for patient in everyone[: len(ids)]]

"""The desk: pane focus, zoom, help, theme, keymap, and the header."""

from __future__ import annotations

import re

from textual.coordinate import Coordinate
from textual.widgets import DataTable, Static

from talkya_console.tui.app import TalkyaConsole
from talkya_console.tui.messages import LiveStatus
from talkya_console.tui.screens.help import HelpScreen
from talkya_console.tui.widgets.pane import Pane
from tests.tui.conftest import FIXED_NOW, client_factory_for, fixed_clock, settle


async def test_number_keys_focus_each_pane(console: TalkyaConsole) -> None:
    async with console.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        for key, pane_id in (("2", "messenger"), ("3", "patients"), ("4", "tasks"), ("1", "calls")):
            await pilot.press(key)
            assert console.focused_pane() is console.query_one(f"#{pane_id}", Pane)


async def test_z_zooms_the_focused_pane_and_back(console: TalkyaConsole) -> None:
    async with console.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("3", "z")
        patients = console.query_one("#patients", Pane)
        assert patients.region.width == 120
        assert not console.query_one("#calls", Pane).display or console.query_one("#calls", Pane).region.width == 0
        await pilot.press("z")
        await pilot.pause()
        assert patients.region.width < 120
        assert console.query_one("#calls", Pane).region.width > 0


async def test_panes_load_from_the_api(console: TalkyaConsole) -> None:
    async with console.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        for table_id in ("#calls-table", "#channels-table", "#patients-table", "#tasks-table"):
            assert console.query_one(table_id, DataTable).row_count > 0
        calls = console.query_one("#calls-table", DataTable)
        assert re.fullmatch(r"\d+:\d\d", str(calls.get_cell_at(Coordinate(0, 3))))
        assert "API key" in str(console.query_one("#who", Static).render())


async def test_start_is_awaited_before_the_client_is_made(sandbox: object) -> None:
    order: list[str] = []
    make = client_factory_for(sandbox)

    async def start() -> None:
        order.append("start")

    def factory():  # type: ignore[no-untyped-def]
        order.append("client")
        return make()

    app = TalkyaConsole(
        client_factory=factory, subscribe=None, workspace="ws_truebliss", start=start, clock=fixed_clock
    )
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert order == ["start", "client"]
        assert app.query_one("#patients-table", DataTable).row_count > 0


async def test_panes_load_while_the_relay_is_still_starting(sandbox: object) -> None:
    import asyncio

    relay_up = asyncio.Event()
    subscribed: list[int | None] = []

    async def start_live() -> None:
        await relay_up.wait()

    async def subscribe(since, epoch):  # type: ignore[no-untyped-def]
        subscribed.append(since)
        await asyncio.Event().wait()
        yield

    app = TalkyaConsole(
        client_factory=client_factory_for(sandbox),
        subscribe=subscribe,
        workspace="ws_truebliss",
        start_live=start_live,
        clock=fixed_clock,
    )
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert app.query_one("#calls-table", DataTable).row_count > 0
        assert subscribed == []
        relay_up.set()
        for _ in range(20):
            await pilot.pause()
            if subscribed:
                break
        assert subscribed == [None]


async def test_a_failed_start_is_said_in_the_header(sandbox: object) -> None:
    from talkya_console.runtime import RuntimeBusy

    async def start() -> None:
        raise RuntimeBusy("another console is running the embedded demo")

    app = TalkyaConsole(
        client_factory=client_factory_for(sandbox),
        subscribe=None,
        workspace="ws_truebliss",
        start=start,
        clock=fixed_clock,
    )
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert "start failed: another console is running" in str(app.query_one("#who", Static).render())
        assert "offline" in str(app.query_one("#live", Static).render())
        assert app.client is None


async def test_question_mark_lists_every_binding(console: TalkyaConsole) -> None:
    async with console.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(console.screen, HelpScreen)
        ids = {row[3] for row in console.screen.rows}
        assert {"desk.calls", "desk.zoom", "desk.lookup", "app.theme", "app.help", "lookup.close"} <= ids
        await pilot.press("escape")
        assert not isinstance(console.screen, HelpScreen)


async def test_keymap_overrides_a_binding_by_id(sandbox: object) -> None:
    app = TalkyaConsole(
        client_factory=client_factory_for(sandbox),
        subscribe=None,
        workspace="ws_truebliss",
        keymap={"desk.zoom": "f"},
        theme="nord",
        clock=fixed_clock,
    )
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("f")
        assert app.query_one("#desk").has_class("-zoomed")
        assert ("Anywhere", "f", "Zoom", "desk.zoom") in app.binding_rows()
        assert app.theme == "nord"


async def test_t_cycles_the_theme(console: TalkyaConsole) -> None:
    async with console.run_test(size=(120, 40)) as pilot:
        before = console.theme
        await pilot.press("t")
        assert console.theme != before


async def test_live_indicator_shows_reconnecting(console: TalkyaConsole) -> None:
    async with console.run_test(size=(120, 40)) as pilot:
        console.post_message(LiveStatus("reconnecting", retry_in=4))
        await pilot.pause()
        assert str(console.query_one("#live", Static).render()) == "◐ reconnecting in 4 s"
        console.post_message(LiveStatus("offline", offline_since=FIXED_NOW))
        await pilot.pause()
        assert "offline since" in str(console.query_one("#live", Static).render())
        console.post_message(LiveStatus("connected"))
        await pilot.pause()
        assert str(console.query_one("#live", Static).render()) == "● live"


async def test_unreachable_api_is_shown_inline(sandbox: object) -> None:
    import httpx

    from talkya_console.api import TalkyaClient

    def broken() -> TalkyaClient:
        def refuse(request: httpx.Request) -> httpx.Response:
            raise httpx.ConnectError("refused", request=request)

        return TalkyaClient(
            "http://sandbox", "ws_truebliss", api_key="tk", transport=httpx.MockTransport(refuse), max_retries=0
        )

    app = TalkyaConsole(client_factory=broken, subscribe=None, workspace="ws_truebliss", clock=fixed_clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        problem = app.query_one("#calls .problem", Static)
        assert problem.display
        assert "API unreachable" in str(problem.render())
        assert "API unreachable" in str(app.query_one("#who", Static).render())

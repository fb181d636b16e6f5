"""Snapshots of the routing rules form showing the API's refusal under its field, and of today's
telehealth visits."""

from __future__ import annotations

import httpx
from textual.widgets import DataTable, Input

from talkya_console.api import TalkyaClient
from talkya_console.tui.app import TalkyaConsole
from talkya_console.tui.forms import RoutingRulesScreen
from talkya_console.tui.screens.telehealth import TelehealthScreen
from talkya_console.wire.common import ERROR_TYPES
from tests.tui.conftest import _measuring, fixed_clock, settle, until

REFUSAL = {
    "type": ERROR_TYPES[422],
    "code": "parameter_invalid",
    "message": "The greeting must name the clinic.",
    "param": "greeting.text",
    "request_id": "req_test",
}


class Refusing(httpx.AsyncBaseTransport):
    """The in-process sandbox, refusing every change of the routing rules."""

    def __init__(self, sandbox: object) -> None:
        self.inner = httpx.ASGITransport(app=sandbox)  # type: ignore[arg-type]

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "PATCH" and request.url.path == "/v1/receptionist/routing-rules":
            return httpx.Response(422, json={"error": REFUSAL})
        return await self.inner.handle_async_request(request)


def test_routing_rules_form_with_a_refusal(snap_compare, sandbox: object) -> None:  # type: ignore[no-untyped-def]
    transport = Refusing(sandbox)
    app = TalkyaConsole(
        client_factory=lambda: TalkyaClient(
            "http://sandbox", "ws_truebliss", api_key="tk_test_truebliss", transport=transport
        ),
        subscribe=None,
        workspace="ws_truebliss",
        clock=fixed_clock,
    )

    async def refused(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot)
        pilot.app.push_screen(RoutingRulesScreen(pilot.app.client))
        await settle(pilot)
        for field in pilot.app.screen.query(Input):
            field.cursor_blink = False
        greeting = pilot.app.screen.query_one("#field-greeting-text Input", Input)
        greeting.focus()
        greeting.value = "Hello, this is Talkya. How can I help?"
        await pilot.press("ctrl+s", "ctrl+s")
        await settle(pilot)

    assert snap_compare(app, terminal_size=(120, 45), run_before=refused)


def test_todays_telehealth_visits(snap_compare, quiet_console: TalkyaConsole) -> None:  # type: ignore[no-untyped-def]
    async def opened(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot)
        pilot.app.push_screen(TelehealthScreen())
        await settle(pilot)
        # `settle` measures the desk's tables; this one is on the screen over it.
        table = pilot.app.screen.query_one(DataTable)
        await until(pilot, lambda: table.row_count > 0 and not _measuring(table))

    assert snap_compare(quiet_console, terminal_size=(140, 30), run_before=opened)

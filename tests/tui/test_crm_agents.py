"""OpenClaw runs, Hermes routes and the CRM screens, against the demo sandbox in-process."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, SelectionList, Static

from talkya_console.api import TalkyaClient
from talkya_console.relay.subscriber import Reset
from talkya_console.tui.app import TalkyaConsole
from talkya_console.tui.forms.agent_run import NewAgentRunScreen, known_tools
from talkya_console.tui.forms.fields import FormField
from talkya_console.tui.forms.lead import NewLeadScreen
from talkya_console.tui.screens.agents import AgentRunsScreen, RunDetailScreen
from talkya_console.tui.screens.crm import ContactProfileScreen, LeadsScreen
from talkya_console.tui.screens.deals import STAGES, DealsBoard
from talkya_console.tui.screens.hermes import HermesScreen, SampleEventScreen, parse_payload
from talkya_console.wire import EVENT_TYPES as ALL_EVENT_TYPES
from talkya_console.wire import Event
from talkya_console.wire.agents import Tool
from tests.tui.conftest import FIXED_NOW, fixed_clock, settle, until


class Recording(httpx.AsyncBaseTransport):
    """The in-process sandbox, recording each request."""

    def __init__(self, sandbox: object) -> None:
        self.inner = httpx.ASGITransport(app=sandbox)  # type: ignore[arg-type]
        self.requests: list[tuple[str, str, Any]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content) if request.content else None
        self.requests.append((request.method, request.url.path, body))
        return await self.inner.handle_async_request(request)

    def writes(self, method: str, path: str) -> list[Any]:
        return [body for m, p, body in self.requests if (m, p) == (method, path)]


@pytest.fixture
def transport(sandbox: object) -> Recording:
    return Recording(sandbox)


@pytest.fixture
def desk(transport: Recording, feed: asyncio.Queue[Event | Reset]) -> TalkyaConsole:
    async def subscribe(after: int | None, epoch: str | None):  # type: ignore[no-untyped-def]
        while True:
            yield await feed.get()

    return TalkyaConsole(
        client_factory=lambda: TalkyaClient(
            "http://sandbox", "ws_truebliss", api_key="tk_test_truebliss", transport=transport
        ),
        subscribe=subscribe,
        workspace="ws_truebliss",
        clock=fixed_clock,
    )


def client_of(app: TalkyaConsole) -> TalkyaClient:
    assert app.client is not None
    return app.client


def text(app: TalkyaConsole, selector: str) -> str:
    widget = app.screen.query_one(selector, Static)
    return str(widget.render()) if widget.display else ""


def rows(app: TalkyaConsole) -> list[list[str]]:
    table = app.screen.query_one(DataTable)
    return [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]


async def type_into(pilot: Pilot[None], name: str, typed: str) -> None:
    control = pilot.app.screen.query_one(f"#field-{name.replace('.', '-')}", FormField).control
    assert isinstance(control, Input)
    control.focus()
    control.value = ""
    await pilot.press(*typed)


async def push(pilot: Pilot[None], screen: object) -> None:
    await settle(pilot)
    pilot.app.push_screen(screen)  # type: ignore[arg-type]
    await settle(pilot)


def test_the_tools_offered_are_the_ones_the_api_knows() -> None:
    from typing import get_args

    assert known_tools() == get_args(Tool)


def test_payloads_are_json_objects() -> None:
    assert parse_payload("") == {}
    assert parse_payload('{"language": "es"}') == {"language": "es"}
    for bad in ("[1]", "{language: es}"):
        with pytest.raises(ValueError):
            parse_payload(bad)


def test_the_board_follows_every_deal_event_talkya_emits() -> None:
    assert {t for t in ALL_EVENT_TYPES if t.startswith("deal.")} <= DealsBoard.EVENT_TYPES


# -- OpenClaw -------------------------------------------------------------------------------------


async def test_a_run_inspected_shows_its_tool_calls_in_order(desk: TalkyaConsole) -> None:
    async with desk.run_test(size=(140, 45)) as pilot:
        await push(pilot, AgentRunsScreen())
        runs = await client_of(desk).agent_runs.list().collect(100)
        runs.sort(key=lambda run: (run.created_at, run.id), reverse=True)
        assert len(rows(desk)) == len(runs)
        index, run = next((i, run) for i, run in enumerate(runs) if len(run.tool_calls) >= 2)
        for _ in range(index):
            await pilot.press("down")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(desk.screen, RunDetailScreen)
        detail = text(desk, "#run-detail")
        positions = [detail.index(f"{n}. {call.tool}") for n, call in enumerate(run.tool_calls, start=1)]
        assert positions == sorted(positions)
        assert json.dumps(run.tool_calls[0].input["intent"]) in detail
        assert run.outcome is not None and run.outcome.summary in detail
        for handoff_id in run.handoff_ids:
            assert handoff_id in detail
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(desk.screen, AgentRunsScreen)


async def test_n_starts_a_run_with_the_chosen_tools(desk: TalkyaConsole, transport: Recording) -> None:
    async with desk.run_test(size=(140, 45)) as pilot:
        await push(pilot, AgentRunsScreen())
        before = len(rows(desk))
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(desk.screen, NewAgentRunScreen)
        tools = desk.screen.query_one(SelectionList)
        tools.deselect_all()
        # Nothing is sent without a tool.
        await type_into(pilot, "input", "I would like to book an appointment for Botox")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "Tick at least one tool" in text(desk, "#field-allowed_tools .field-message")
        assert transport.writes("POST", "/v1/agents/runs") == []
        tools.select("book_appointment")
        tools.select("answer")
        await type_into(pilot, "workflow", "booking_desk")
        await pilot.press("ctrl+s")
        await settle(pilot)
        [sent] = transport.writes("POST", "/v1/agents/runs")
        assert sent["allowed_tools"] == ["answer", "book_appointment"]
        assert sent["context"] == {"workflow": "booking_desk"}
        assert isinstance(desk.screen, RunDetailScreen)
        detail = text(desk, "#run-detail")
        assert "1. book_appointment" in detail and "booking_desk" in detail
        runs = await client_of(desk).agent_runs.list().collect(100)
        assert len(runs) == before + 1
        assert desk.screen.run is not None and desk.screen.run.id == runs[0].id
        await pilot.press("escape")
        await until(pilot, lambda: len(rows(desk)) == before + 1)
        assert rows(desk)[0][1] == "booking_desk"


# -- Hermes -----------------------------------------------------------------------------------------


async def test_a_route_test_shows_the_destination(desk: TalkyaConsole, transport: Recording) -> None:
    async with desk.run_test(size=(140, 45)) as pilot:
        await push(pilot, HermesScreen())
        routes = await client_of(desk).hermes_routes.list().collect(100)
        assert len(rows(desk)) == len(routes)
        await pilot.press("t")
        await settle(pilot)
        assert isinstance(desk.screen, SampleEventScreen)
        desk.screen.fields()["kind"].selector.value = "call"  # type: ignore[attr-defined]
        await type_into(pilot, "type", "call.after_hours")
        await type_into(pilot, "payload", '{"language": "es"}')
        await pilot.press("ctrl+s")
        await settle(pilot)
        shown = text(desk, "#sample-deliveries")
        assert "channel ch_frontdesk" in shown and "After-hours calls to front desk" in shown
        assert "user usr_105" in shown  # the Spanish-speaking condition holds too
        assert transport.writes("POST", "/v1/hermes/events") == []
        assert isinstance(desk.screen, SampleEventScreen)  # stays open to try another


async def test_p_publishes_an_event(desk: TalkyaConsole, transport: Recording) -> None:
    async with desk.run_test(size=(140, 45)) as pilot:
        await push(pilot, HermesScreen())
        before = await client_of(desk).hermes_events.list().collect(500)
        await pilot.press("p")
        await settle(pilot)
        assert isinstance(desk.screen, SampleEventScreen)
        desk.screen.fields()["kind"].selector.value = "form"  # type: ignore[attr-defined]
        await type_into(pilot, "type", "form.contact_us")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(desk.screen, HermesScreen)
        after = await client_of(desk).hermes_events.list().collect(500)
        [event] = [item for item in after if item.id not in {old.id for old in before}]
        assert (event.kind, event.type) == ("form", "form.contact_us")
        assert event.id in text(desk, "#hermes-last")
        assert "role front desk" in text(desk, "#hermes-last")


# -- CRM ------------------------------------------------------------------------------------------


async def test_n_creates_a_lead_and_enter_shows_its_contact(desk: TalkyaConsole, transport: Recording) -> None:
    async with desk.run_test(size=(140, 45)) as pilot:
        await push(pilot, LeadsScreen())
        leads = await client_of(desk).leads.list().collect(500)
        assert len(rows(desk)) == len(leads)
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(desk.screen, NewLeadScreen)
        await type_into(pilot, "patient.name", "Maria Lopez")
        await type_into(pilot, "patient.phone", "305 555 0199")
        await type_into(pilot, "source", "website")
        await type_into(pilot, "service_interest", "Botox consult")
        desk.screen.query_one("#consent-sms").value = True  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        await settle(pilot)
        [sent] = transport.writes("POST", "/v1/leads")
        assert sent["patient"] == {"name": "Maria Lopez", "phone": "+13055550199"}
        assert sent["consent"] == {"sms": True, "marketing": False, "email": False}
        await until(pilot, lambda: isinstance(desk.screen, LeadsScreen) and len(rows(desk)) == len(leads) + 1)
        row = rows(desk)[0]
        assert row[1:3] == ["Maria Lopez", "website"]
        assert row[4] == "Botox consult" and row[5] == "SMS ✓ Mkt ✗ Email ✗"
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(desk.screen, ContactProfileScreen)
        profile = text(desk, "#contact-profile")
        assert "Maria Lopez" in profile and "Stage:    lead" in profile
        assert "+13055550199" not in profile and "••99" in profile


async def test_moving_a_deal_changes_its_stage_in_the_api_and_on_the_board(
    desk: TalkyaConsole, transport: Recording
) -> None:
    async with desk.run_test(size=(160, 45)) as pilot:
        await push(pilot, DealsBoard())
        board = desk.screen
        assert isinstance(board, DealsBoard)
        client = client_of(desk)
        # → to the consult-scheduled column; its first deal moves on to consult done.
        await pilot.press("right")
        column = board.focused_column()
        assert column.stage == "consult_scheduled"
        deal = column.current()
        assert deal is not None
        count = len(column.deals)
        await pilot.press("right_square_bracket")
        await until(pilot, lambda: board.deals[deal.id].stage == "consult_done")
        [sent] = transport.writes("PATCH", f"/v1/deals/{deal.id}")
        assert sent == {"stage": "consult_done"}
        assert (await client.deals.get(deal.id)).stage == "consult_done"
        assert len(board.column("consult_scheduled").deals) == count - 1
        assert board.focused_column().stage == "consult_done"
        assert board.current() is not None and board.current().id == deal.id  # type: ignore[union-attr]
        # [ moves it back.
        await pilot.press("left_square_bracket")
        await until(pilot, lambda: board.deals[deal.id].stage == "consult_scheduled")
        assert (await client.deals.get(deal.id)).stage == "consult_scheduled"
        # The first stage has nothing before it.
        await pilot.press("left", "left")
        assert board.focused_column().stage == "new"
        await pilot.press("left_square_bracket")
        await settle(pilot)
        assert len(transport.writes("PATCH", f"/v1/deals/{deal.id}")) == 2
        assert [column.stage for column in board.columns()] == list(STAGES)


async def test_a_live_deal_event_updates_the_board(desk: TalkyaConsole, feed: asyncio.Queue[Event | Reset]) -> None:
    async with desk.run_test(size=(160, 45)) as pilot:
        await push(pilot, DealsBoard())
        board = desk.screen
        assert isinstance(board, DealsBoard)
        deal = board.column("proposal").deals[0]
        await client_of(desk).deals.update(deal.id, {"stage": "won"})
        assert deal.id in {d.id for d in board.column("proposal").deals}
        data = {"deal_id": deal.id, "from_stage": "proposal", "to_stage": "won", "value": deal.value}
        await feed.put(
            Event(
                id="evt_test", type="deal.stage_changed", created_at=FIXED_NOW, workspace_id="ws_truebliss", data=data
            )
        )
        await until(pilot, lambda: deal.id in {d.id for d in board.column("won").deals})
        assert deal.id not in {d.id for d in board.column("proposal").deals}

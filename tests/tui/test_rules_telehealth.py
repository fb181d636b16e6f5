"""The receptionist's routing rules form and the telehealth screens, against the demo sandbox."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Static

from talkya_console.api import TalkyaClient
from talkya_console.relay.subscriber import Reset
from talkya_console.tui.app import TalkyaConsole
from talkya_console.tui.forms import NewVisitScreen, RoutingRulesScreen, VisitLinksScreen
from talkya_console.tui.forms.fields import FormField, SelectField
from talkya_console.tui.forms.rules_values import parse_day_hours, parse_languages, parse_triggers
from talkya_console.tui.forms.telehealth import next_slot, parse_when
from talkya_console.tui.screens.chart import ChartScreen
from talkya_console.tui.screens.telehealth import EVENT_TYPES, TelehealthScreen
from talkya_console.wire import EVENT_TYPES as ALL_EVENT_TYPES
from talkya_console.wire import Event
from talkya_console.wire.common import ERROR_TYPES
from tests.tui.conftest import FIXED_NOW, fixed_clock, settle, until

RULES = "/v1/receptionist/routing-rules"


class Recording(httpx.AsyncBaseTransport):
    """The in-process sandbox, recording each request; `refuse` answers a method and path with a
    contract error instead."""

    def __init__(self, sandbox: object) -> None:
        self.inner = httpx.ASGITransport(app=sandbox)  # type: ignore[arg-type]
        self.requests: list[tuple[str, str, Any]] = []
        self.refusals: dict[tuple[str, str], tuple[int, dict[str, Any]]] = {}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content) if request.content else None
        self.requests.append((request.method, request.url.path, body))
        refusal = self.refusals.get((request.method, request.url.path))
        if refusal is not None:
            status, error = refusal
            return httpx.Response(status, json={"error": {"request_id": "req_test", **error}})
        return await self.inner.handle_async_request(request)

    def refuse(self, method: str, path: str, status: int, code: str, message: str, param: str | None) -> None:
        error = {"type": ERROR_TYPES[status], "code": code, "message": message, "param": param}
        self.refusals[(method, path)] = (status, error)

    def writes(self, method: str, path: str) -> list[Any]:
        return [body for m, p, body in self.requests if (m, p) == (method, path)]


@pytest.fixture
def transport(sandbox: object) -> Recording:
    return Recording(sandbox)


@pytest.fixture
def feed() -> asyncio.Queue[Event | Reset]:
    return asyncio.Queue()


@pytest.fixture
def desk(transport: Recording, feed: asyncio.Queue[Event | Reset]) -> TalkyaConsole:
    """The console on the recording transport, fed live events by the queue."""

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


def field(app: TalkyaConsole, name: str) -> FormField:
    return app.screen.query_one(f"#field-{name.replace('.', '-')}", FormField)


def message(app: TalkyaConsole, name: str) -> str:
    line = field(app, name).query_one(".field-message")
    return str(line.render()) if line.display else ""


def value(app: TalkyaConsole, name: str) -> Any:
    control = field(app, name).control
    return control.value  # type: ignore[attr-defined]


def static_text(app: TalkyaConsole, selector: str) -> str:
    widget = app.screen.query_one(selector, Static)
    return str(widget.render()) if widget.display else ""


async def type_into(pilot: Pilot[None], name: str, text: str) -> None:
    """Focus a field's input and type, replacing what is there."""
    control = field(pilot.app, name).control  # type: ignore[arg-type]
    assert isinstance(control, Input)
    control.focus()
    control.value = ""
    await pilot.press(*text)


def choose(app: TalkyaConsole, name: str, choice: object) -> None:
    select = field(app, name)
    assert isinstance(select, SelectField)
    select.selector.value = choice


async def open_rules(pilot: Pilot[None]) -> list[Any]:
    results: list[Any] = []
    await settle(pilot)
    pilot.app.push_screen(RoutingRulesScreen(client_of(pilot.app)), results.append)  # type: ignore[arg-type]
    await settle(pilot)
    return results


# -- parsing --------------------------------------------------------------------------------------


def test_opening_hours_are_read_as_the_api_takes_them() -> None:
    assert parse_day_hours("") == []
    assert parse_day_hours("9:00-18:00") == [("09:00", "18:00")]
    assert parse_day_hours("09:00-12:00, 13:00-17:30") == [("09:00", "12:00"), ("13:00", "17:30")]
    for bad in ("9-5", "09:00", "25:00-26:00", "18:00-09:00"):
        with pytest.raises(ValueError):
            parse_day_hours(bad)


def test_triggers_and_languages_are_checked_against_what_the_api_knows() -> None:
    assert parse_triggers("Caller request, emergency, emergency") == ["caller_request", "emergency"]
    with pytest.raises(ValueError, match="Not a trigger"):
        parse_triggers("caller_request, bored_caller")
    assert parse_languages("en, ES") == ["en", "es"]
    with pytest.raises(ValueError):
        parse_languages("english")


def test_visit_times_are_read_in_the_clocks_zone() -> None:
    assert parse_when("16:30", FIXED_NOW) == datetime(2026, 11, 20, 16, 30, tzinfo=UTC)
    assert parse_when("tomorrow 9:00", FIXED_NOW) == datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
    assert parse_when("2026-11-22 08:15", FIXED_NOW) == datetime(2026, 11, 22, 8, 15, tzinfo=UTC)
    assert parse_when("now", FIXED_NOW) == FIXED_NOW
    assert next_slot(FIXED_NOW) == datetime(2026, 11, 20, 15, 45, tzinfo=UTC)
    for bad, why in (
        ("09:00", "passed"),
        ("2027-12-01 09:00", "year"),
        ("2026-02-30 09:00", "no such"),
        ("soon", "Type it"),
    ):
        with pytest.raises(ValueError, match=why):
            parse_when(bad, FIXED_NOW)


def test_the_screen_follows_every_visit_event_talkya_emits() -> None:
    assert {t for t in ALL_EVENT_TYPES if t.startswith("telehealth.visit.")} <= EVENT_TYPES


# -- routing rules ----------------------------------------------------------------------------------


async def test_the_rules_form_shows_the_workspaces_rules(desk: TalkyaConsole) -> None:
    async with desk.run_test(size=(120, 50)) as pilot:
        await open_rules(pilot)
        rules = await client_of(desk).routing_rules.get()
        assert isinstance(desk.screen, RoutingRulesScreen)
        assert value(desk, "greeting.text") == rules.greeting.text
        assert value(desk, "greeting.voice") == rules.greeting.voice
        assert value(desk, "escalation.triggers") == ", ".join(rules.escalation.triggers)
        assert value(desk, "escalation.max_wait_seconds") == str(rules.escalation.max_wait_seconds)
        assert value(desk, "booking.visit_types") == ", ".join(rules.booking.visit_types)
        assert value(desk, "language.supported") == "en, es"
        assert value(desk, "after_hours.timezone") == "America/New_York"
        assert value(desk, "after_hours.hours.mon") == "09:00-18:00"
        assert value(desk, "after_hours.hours.sat") == "10:00-14:00"
        assert value(desk, "after_hours.hours.sun") == ""
        # Saving with nothing changed sends nothing.
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "Nothing changed" in static_text(desk, "#form-banner")
        assert isinstance(desk.screen, RoutingRulesScreen)


async def test_a_bad_value_is_refused_under_its_field_before_anything_is_sent(
    desk: TalkyaConsole, transport: Recording
) -> None:
    async with desk.run_test(size=(120, 50)) as pilot:
        await open_rules(pilot)
        await type_into(pilot, "escalation.max_wait_seconds", "900")
        await type_into(pilot, "after_hours.hours.tue", "18:00-09:00")
        await type_into(pilot, "language.primary", "fr")
        choose(desk, "after_hours.mode", "forward")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert message(desk, "escalation.max_wait_seconds") == "From 0 to 600."
        assert message(desk, "after_hours.hours.tue") == "Must close after it opens."
        assert message(desk, "language.primary") == "Must be one of the supported languages."
        assert message(desk, "after_hours.forward_to") == "Required when after-hours calls are forwarded."
        assert "fix the fields marked in red" in static_text(desk, "#form-banner")
        assert not static_text(desk, "#rules-diff")
        assert transport.writes("PATCH", RULES) == []
        # Fixing one clears its complaint as it is typed.
        await type_into(pilot, "escalation.max_wait_seconds", "90")
        await settle(pilot)
        assert message(desk, "escalation.max_wait_seconds") == ""


async def test_the_diff_lists_exactly_the_changes_and_a_second_save_sends_only_them(
    desk: TalkyaConsole, transport: Recording
) -> None:
    async with desk.run_test(size=(120, 50)) as pilot:
        results = await open_rules(pilot)
        choose(desk, "greeting.voice", "energetic")
        await type_into(pilot, "escalation.max_wait_seconds", "90")
        await type_into(pilot, "after_hours.hours.sun", "11:00-15:00")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert static_text(desk, "#rules-diff").splitlines() == [
            "Voice: warm → energetic",
            "Longest wait (seconds): 45 → 90",
            "Opening hours:",
            "  before: Mon 09:00-18:00; Tue 09:00-18:00; Wed 09:00-18:00; Thu 09:00-18:00; Fri 09:00-18:00; "
            "Sat 10:00-14:00",
            "  after:  Mon 09:00-18:00; Tue 09:00-18:00; Wed 09:00-18:00; Thu 09:00-18:00; Fri 09:00-18:00; "
            "Sat 10:00-14:00; Sun 11:00-15:00",
        ]
        assert "Ctrl+S again" in static_text(desk, "#form-banner")
        assert transport.writes("PATCH", RULES) == []
        # An edit takes the diff back; the next Save shows the new one first.
        await type_into(pilot, "escalation.max_wait_seconds", "120")
        await settle(pilot)
        assert not static_text(desk, "#rules-diff")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "Longest wait (seconds): 45 → 120" in static_text(desk, "#rules-diff")
        assert transport.writes("PATCH", RULES) == []
        await pilot.press("ctrl+s")
        await settle(pilot)
        [sent] = transport.writes("PATCH", RULES)
        assert sent == {
            "greeting": {"voice": "energetic"},
            "escalation": {"max_wait_seconds": 120},
            "after_hours": {
                "hours": [
                    *({"day": day, "open": "09:00", "close": "18:00"} for day in ("mon", "tue", "wed", "thu", "fri")),
                    {"day": "sat", "open": "10:00", "close": "14:00"},
                    {"day": "sun", "open": "11:00", "close": "15:00"},
                ]
            },
        }
        assert not isinstance(desk.screen, RoutingRulesScreen)
        assert results and results[0].greeting.voice == "energetic"
        stored = await client_of(desk).routing_rules.get()
        assert stored.greeting.voice == "energetic"
        assert stored.greeting.text.startswith("Thank you for calling")  # the rest of the section kept
        assert stored.escalation.max_wait_seconds == 120
        assert stored.escalation.triggers == ["caller_request", "upset_caller", "emergency", "billing_dispute"]
        assert [hours.day for hours in stored.after_hours.hours][-1] == "sun"
        # The outbox shows no PHI: the label is the form's name.
        assert not desk.outbox or not desk.outbox.count()


async def test_an_api_refusal_shows_under_the_field_it_names(desk: TalkyaConsole, transport: Recording) -> None:
    async with desk.run_test(size=(120, 50)) as pilot:
        await open_rules(pilot)
        await type_into(pilot, "after_hours.hours.sun", "11:00-15:00")
        # The seventh entry sent is Sunday's: the API names it by its index.
        transport.refuse(
            "PATCH", RULES, 422, "hours_invalid", "Sunday hours are not allowed.", "after_hours.hours[6].close"
        )
        await pilot.press("ctrl+s", "ctrl+s")
        await settle(pilot)
        assert message(desk, "after_hours.hours.sun") == "Sunday hours are not allowed."
        assert "see Sun hours" in static_text(desk, "#form-banner")
        assert isinstance(desk.screen, RoutingRulesScreen)
        # A refusal naming a section's field lands there too.
        transport.refuse("PATCH", RULES, 422, "parameter_invalid", "Not a transfer target.", "escalation.transfer_to")
        await pilot.press("ctrl+s", "ctrl+s")
        await settle(pilot)
        assert message(desk, "escalation.transfer_to") == "Not a transfer target."


# -- telehealth -----------------------------------------------------------------------------------


def table_rows(app: TalkyaConsole) -> list[list[str]]:
    table = app.screen.query_one(DataTable)
    return [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]


async def open_telehealth(pilot: Pilot[None]) -> TelehealthScreen:
    await settle(pilot)
    screen = TelehealthScreen()
    pilot.app.push_screen(screen)
    await settle(pilot)
    return screen


async def todays_visits(app: TalkyaConsole) -> list[Any]:
    start = FIXED_NOW.replace(hour=0, minute=0)
    visits = await (
        client_of(app)
        .telehealth_visits.list(scheduled_after=start, scheduled_before=start + timedelta(days=1))
        .collect(100)
    )
    return sorted(visits, key=lambda visit: (visit.scheduled_at, visit.id))


async def test_the_telehealth_screen_lists_todays_visits(desk: TalkyaConsole) -> None:
    async with desk.run_test(size=(140, 40)) as pilot:
        screen = await open_telehealth(pilot)
        visits = await todays_visits(desk)
        assert len(visits) == 4
        rows = table_rows(desk)
        assert [row[0] for row in rows] == [f"{visit.scheduled_at:%H:%M}" for visit in visits]
        client = client_of(desk)
        for row, visit in zip(rows, visits, strict=True):
            patient = await client.patients.get(visit.patient_id)
            provider = await client.users.get(visit.provider_id)
            assert row[1] == patient.name
            assert row[2] == provider.name
        statuses = " ".join(row[3] for row in rows)
        assert "completed" in statuses and "waiting room" in statuses and "scheduled" in statuses
        waiting = next(row for row in rows if "waiting" in row[3])
        assert waiting[4] == "patient waiting"
        completed = next(row for row in rows if "completed" in row[3])
        assert completed[5] != "—" and completed[4] == "both joined"
        assert "4 visits today." in static_text(desk, "#telehealth-count")
        assert screen.EVENT_TYPES == EVENT_TYPES


async def test_p_and_v_copy_the_join_links(desk: TalkyaConsole) -> None:
    async with desk.run_test(size=(140, 40)) as pilot:
        await open_telehealth(pilot)
        visits = await todays_visits(desk)
        await pilot.press("down")
        await pilot.press("p")
        await settle(pilot)
        assert desk.clipboard == visits[1].join_links.patient
        assert desk.clipboard.startswith("https://meet.talkya.ai/v/")
        await pilot.press("v")
        await settle(pilot)
        assert desk.clipboard == visits[1].join_links.provider


async def test_g_generates_the_draft_note_onto_the_encounter(desk: TalkyaConsole, transport: Recording) -> None:
    async with desk.run_test(size=(140, 40)) as pilot:
        await open_telehealth(pilot)
        visits = await todays_visits(desk)
        completed = next(i for i, visit in enumerate(visits) if visit.status == "completed")
        visit = visits[completed]
        assert visit.draft_note_id is None
        for _ in range(completed):
            await pilot.press("down")
        await pilot.press("g")
        await until(pilot, lambda: table_rows(desk)[completed][7] == "✓ drafted")
        [sent] = transport.writes("POST", f"/v1/telehealth/visits/{visit.id}/notes")
        assert sent == {"mode": "generate"}
        client = client_of(desk)
        after = await client.telehealth_visits.get(visit.id)
        assert after.draft_note_id is not None and after.encounter_id is not None
        note = await client.notes.get(after.draft_note_id)
        assert note.encounter_id == after.encounter_id
        assert note.patient_id == visit.patient_id
        assert note.status == "draft"
        # A second g asks first, and `n` sends nothing.
        await pilot.press("g")
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        assert len(transport.writes("POST", f"/v1/telehealth/visits/{visit.id}/notes")) == 1


async def test_enter_opens_the_patients_chart(desk: TalkyaConsole) -> None:
    async with desk.run_test(size=(140, 40)) as pilot:
        await open_telehealth(pilot)
        visits = await todays_visits(desk)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(desk.screen, ChartScreen)
        assert desk.screen.patient_id == visits[0].patient_id
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(desk.screen, TelehealthScreen)


async def test_a_live_visit_event_updates_the_list(desk: TalkyaConsole, feed: asyncio.Queue[Event | Reset]) -> None:
    async with desk.run_test(size=(140, 40)) as pilot:
        await open_telehealth(pilot)
        visits = await todays_visits(desk)
        waiting = next(i for i, visit in enumerate(visits) if visit.status == "waiting")
        client = client_of(desk)
        visit = visits[waiting]
        await client.telehealth_visits.update(visit.id, {"status": "in_progress"})
        await client.telehealth_visits.update(visit.id, {"status": "completed"})
        assert "waiting" in table_rows(desk)[waiting][3]
        event = Event(
            id="evt_test",
            type="telehealth.visit.completed",
            created_at=FIXED_NOW,
            workspace_id="ws_truebliss",
            data={"visit_id": visit.id, "patient_id": visit.patient_id, "encounter_id": None},
        )
        await feed.put(event)
        await until(pilot, lambda: "completed" in table_rows(desk)[waiting][3])


async def test_t_on_a_chart_creates_a_visit_and_shows_its_links(desk: TalkyaConsole, transport: Recording) -> None:
    async with desk.run_test(size=(120, 45)) as pilot:
        await settle(pilot)
        client = client_of(desk)
        patient = (await client.patients.search(limit=1).page()).data[0]
        before = await client.telehealth_visits.list(patient_id=patient.id).collect(100)
        desk.open_chart(patient.id)
        await settle(pilot)
        await pilot.press("t")
        await settle(pilot)
        assert isinstance(desk.screen, NewVisitScreen)
        assert value(desk, "scheduled_at") == "2026-11-20 15:45"
        provider = next(user for user in await client.users.list(role="provider").collect(100) if user.active)
        # Nothing is sent without a provider.
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert message(desk, "provider_id") == "Choose one."
        choose(desk, "provider_id", provider.id)
        await type_into(pilot, "scheduled_at", "16:30")
        await type_into(pilot, "reason", "GLP-1 refill review")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(desk.screen, VisitLinksScreen)
        after = await client.telehealth_visits.list(patient_id=patient.id).collect(100)
        [visit] = [item for item in after if item.id not in {old.id for old in before}]
        assert visit.provider_id == provider.id
        assert visit.scheduled_at == datetime(2026, 11, 20, 16, 30, tzinfo=UTC)
        assert visit.reason == "GLP-1 refill review"
        assert visit.encounter_id is None
        [sent] = transport.writes("POST", "/v1/telehealth/visits")
        assert sent["patient_id"] == patient.id
        await pilot.press("p")
        await settle(pilot)
        assert desk.clipboard == visit.join_links.patient
        await pilot.press("v")
        await settle(pilot)
        assert desk.clipboard == visit.join_links.provider
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(desk.screen, ChartScreen)

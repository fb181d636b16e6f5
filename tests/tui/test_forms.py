"""The front-desk forms: new patient, edit demographics, new encounter, against the demo sandbox."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import date
from typing import Any

import httpx
import pytest
from textual.pilot import Pilot
from textual.widgets import Button, Input, OptionList, Select

from talkya_console.api import TalkyaClient
from talkya_console.tui.app import TalkyaConsole
from talkya_console.tui.forms import EditPatientScreen, NewEncounterScreen, NewPatientScreen
from talkya_console.tui.forms.fields import FormField
from talkya_console.tui.forms.parsing import e164, field_path, parse_dob, parse_emails, parse_visit_type
from talkya_console.tui.screens.chart import ChartScreen
from talkya_console.wire import Encounter, Patient
from talkya_console.wire.common import ERROR_TYPES
from tests.tui.conftest import fixed_clock, settle, until

TODAY = date(2026, 11, 20)


class Recording(httpx.AsyncBaseTransport):
    """The in-process sandbox, recording each request; it can refuse a request with a contract
    error body, or hold requests until `gate` is set."""

    def __init__(self, sandbox: object) -> None:
        self.inner = httpx.ASGITransport(app=sandbox)  # type: ignore[arg-type]
        self.requests: list[tuple[str, str, dict[str, Any] | None]] = []
        self.refusals: dict[tuple[str, str], tuple[int, dict[str, Any]]] = {}
        self.gate: asyncio.Event | None = None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Record, maybe hold or refuse, else pass to the sandbox."""
        body = json.loads(request.content) if request.content else None
        self.requests.append((request.method, request.url.path, body))
        if self.gate is not None and request.method != "GET":
            await self.gate.wait()
        refusal = self.refusals.get((request.method, request.url.path))
        if refusal is not None:
            status, error = refusal
            return httpx.Response(status, json={"error": {"request_id": "req_test", **error}})
        return await self.inner.handle_async_request(request)

    def refuse(self, status: int, code: str, message: str, param: str | None) -> None:
        """Answer the next creates of patients with this contract error."""
        error = {"type": ERROR_TYPES[status], "code": code, "message": message, "param": param}
        self.refusals[("POST", "/v1/patients")] = (status, error)

    def writes(self, method: str = "POST", path: str = "/v1/patients") -> list[dict[str, Any] | None]:
        """The bodies of the writes sent to `path`."""
        return [body for m, p, body in self.requests if (m, p) == (method, path)]


@pytest.fixture
def transport(sandbox: object) -> Recording:
    return Recording(sandbox)


@pytest.fixture
def desk(transport: Recording) -> TalkyaConsole:
    """The console whose client goes through the recording transport."""
    return TalkyaConsole(
        client_factory=lambda: TalkyaClient(
            "http://sandbox", "ws_truebliss", api_key="tk_test_truebliss", transport=transport
        ),
        subscribe=None,
        workspace="ws_truebliss",
        clock=fixed_clock,
    )


def field(app: TalkyaConsole, name: str) -> FormField:
    return app.screen.query_one(f"#field-{name.replace('.', '-')}", FormField)


def message(app: TalkyaConsole, name: str) -> str:
    """The line under a field."""
    line = field(app, name).query_one(".field-message")
    return str(line.render()) if line.display else ""


def banner(app: TalkyaConsole) -> str:
    widget = app.screen.query_one("#form-banner")
    return str(widget.render()) if widget.display else ""


async def open_form(pilot: Pilot[None], form: Callable[[TalkyaClient], Any]) -> list[Any]:
    """Once the console has its client, push the form it makes; returns the list its result lands in."""
    results: list[Any] = []
    await settle(pilot)
    pilot.app.push_screen(form(pilot.app.client), results.append)  # type: ignore[attr-defined]
    await settle(pilot)
    return results


async def capture_consent(pilot: Pilot[None]) -> None:
    """Tick intake consent and choose `Written` with the keyboard (the form opens on the tick box)."""
    await pilot.press("space", "tab", "enter", "down", "enter")
    await settle(pilot)


async def type_into(pilot: Pilot[None], name: str, text: str) -> None:
    """Focus a field's input and type (replacing what is there)."""
    control = field(pilot.app, name).control  # type: ignore[arg-type]
    assert isinstance(control, Input)
    control.focus()
    control.value = ""
    await pilot.press(*text)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("1980-03-14", date(1980, 3, 14)),
        ("03/14/1980", date(1980, 3, 14)),
        ("3/14/80", date(1980, 3, 14)),
        ("3/14/05", date(2005, 3, 14)),
        (" 12-1-1999 ", date(1999, 12, 1)),
        ("", None),
    ],
)
def test_dob_is_read_as_people_type_it(typed: str, expected: date | None) -> None:
    assert parse_dob(typed, TODAY) == expected


@pytest.mark.parametrize("typed", ["2/30/1980", "1/1/2027", "1980", "14/03/1980", "1/1/1850"])
def test_dob_refuses_what_is_no_birth_date(typed: str) -> None:
    with pytest.raises(ValueError):
        parse_dob(typed, TODAY)


def test_phones_emails_visit_types_and_params_are_read_as_the_api_takes_them() -> None:
    assert e164("(305) 555-0123") == e164("305.555.0123") == e164("1 305 555 0123") == "+13055550123"
    assert e164("+44 20 7946 0958") == "+442079460958"
    with pytest.raises(ValueError):
        e164("555-0123")
    assert parse_emails("a@example.com; b@example.org") == ["a@example.com", "b@example.org"]
    with pytest.raises(ValueError):
        parse_emails("not-an-email")
    assert parse_visit_type("Botox consult") == "botox_consult"
    assert field_path("phones[0].number") == field_path("phones.0.number") == ["phones.0.number", "phones.0", "phones"]


async def test_n_creates_a_patient_and_opens_the_chart(desk: TalkyaConsole, transport: Recording) -> None:
    async with desk.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("3", "n")
        await settle(pilot)
        assert isinstance(desk.screen, NewPatientScreen)
        await capture_consent(pilot)
        await pilot.press("tab", "space")  # SMS consent
        await pilot.press("tab", "tab", *"Ana", "tab", *"Quintero", "tab", *"Annie", "tab", *"3/14/80")
        await settle(pilot)
        assert message(desk, "dob") == "14 Mar 1980"  # how the date was read, as it is typed
        await type_into(pilot, "phones.0", "(305) 555-0199")
        await type_into(pilot, "emails", "ana@example.com")
        await type_into(pilot, "address.state", "fl")
        await type_into(pilot, "tags", "new, vip")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(desk.screen, ChartScreen)
        sent = transport.writes()
        assert len(sent) == 1
        assert desk.client is not None
        patient = await desk.client.patients.get(desk.screen.patient_id)
        assert (patient.name, patient.preferred_name, patient.dob) == ("Ana Quintero", "Annie", date(1980, 3, 14))
        assert [(p.type, p.number) for p in patient.phones] == [("mobile", "+13055550199")]
        assert patient.emails == ["ana@example.com"] and patient.tags == ["new", "vip"]
        assert patient.address is not None and patient.address.state == "FL"
        consent = patient.consent
        assert (consent.intake, consent.method, consent.sms, consent.marketing) == (True, "written", True, False)
        assert consent.captured_at == fixed_clock()


async def test_the_palette_opens_the_new_patient_form(desk: TalkyaConsole) -> None:
    async with desk.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p", *"new patient")
        await until(
            pilot, lambda: any("New patient" in str(o.prompt) for o in desk.screen.query_one(OptionList).options)
        )
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(desk.screen, NewPatientScreen)


async def test_without_intake_consent_nothing_is_sent(desk: TalkyaConsole, transport: Recording) -> None:
    async with desk.run_test(size=(120, 40)) as pilot:
        results = await open_form(pilot, NewPatientScreen)
        await type_into(pilot, "first_name", "Ana")
        await type_into(pilot, "last_name", "Quintero")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(desk.screen, NewPatientScreen) and results == []
        assert "intake consent" in message(desk, "consent")
        assert "fix the fields marked in red" in banner(desk)
        assert desk.focused is desk.screen.query_one("#consent-intake")
        # Ticking the box without saying how is still refused.
        await pilot.press("space", "ctrl+s")
        await settle(pilot)
        assert message(desk, "consent") == "Choose how the intake consent was captured."
        assert transport.writes() == []


async def test_wrong_fields_are_marked_as_they_are_left_and_cleared_as_they_are_fixed(desk: TalkyaConsole) -> None:
    async with desk.run_test(size=(120, 40)) as pilot:
        await open_form(pilot, NewPatientScreen)
        await type_into(pilot, "dob", "1/1/2030")
        assert message(desk, "dob") == ""  # not while typing it the first time
        await pilot.press("tab")
        await settle(pilot)
        assert message(desk, "dob") == "A date of birth cannot be in the future."
        assert field(desk, "dob").control.has_class("-invalid")
        field(desk, "dob").control.focus()
        await pilot.press(*["backspace"] * 4, *"1980")
        await settle(pilot)
        assert message(desk, "dob") == "01 Jan 1980"
        assert not field(desk, "dob").control.has_class("-invalid")


async def test_an_api_refusal_shows_next_to_the_field_it_names(desk: TalkyaConsole, transport: Recording) -> None:
    transport.refuse(422, "phone_invalid", "That number is not in service.", "phones[0].number")
    async with desk.run_test(size=(120, 40)) as pilot:
        results = await open_form(pilot, NewPatientScreen)
        await capture_consent(pilot)
        await type_into(pilot, "first_name", "Ana")
        await type_into(pilot, "last_name", "Quintero")
        await type_into(pilot, "phones.0", "305 555 0100")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert results == [] and isinstance(desk.screen, NewPatientScreen)
        assert message(desk, "phones.0") == "That number is not in service."
        assert banner(desk) == "Not saved: see Phone 1."
        assert desk.focused is field(desk, "phones.0").control
        assert field(desk, "first_name").control.value == "Ana"  # type: ignore[attr-defined]

        # A refusal that names no field goes to the top.
        transport.refuse(403, "insufficient_scope", "This key cannot write patients.", None)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert banner(desk) == "Not saved: This key cannot write patients."

        del transport.refusals[("POST", "/v1/patients")]
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert len(results) == 1 and isinstance(results[0], Patient)
        assert results[0].phones[0].number == "+13055550100"
        assert len(transport.writes()) == 3


async def test_saving_twice_sends_one_request(desk: TalkyaConsole, transport: Recording) -> None:
    async with desk.run_test(size=(120, 40)) as pilot:
        results = await open_form(pilot, NewPatientScreen)
        await capture_consent(pilot)
        await type_into(pilot, "first_name", "Ana")
        await type_into(pilot, "last_name", "Quintero")
        transport.gate = asyncio.Event()
        await pilot.press("ctrl+s", "enter", "ctrl+s")
        await pilot.pause()
        assert desk.screen.query_one("#form-save", Button).disabled
        assert banner(desk) == "Saving…"
        await pilot.press("escape")  # not while the answer is awaited
        assert isinstance(desk.screen, NewPatientScreen)
        transport.gate.set()
        await settle(pilot)
        assert len(transport.writes()) == 1 and len(results) == 1


async def test_escape_cancels_and_asks_before_discarding(desk: TalkyaConsole, transport: Recording) -> None:
    async with desk.run_test(size=(120, 40)) as pilot:
        results = await open_form(pilot, NewPatientScreen)
        await pilot.press("escape")
        assert results == [None]  # nothing typed: closes at once

        results = await open_form(pilot, NewPatientScreen)
        await type_into(pilot, "first_name", "Ana")
        await pilot.press("escape")
        assert isinstance(desk.screen, NewPatientScreen) and results == []
        assert "Esc again discards" in banner(desk)
        await pilot.press("escape")
        await settle(pilot)
        assert results == [None] and not isinstance(desk.screen, NewPatientScreen)
        assert transport.writes() == []


async def seeded_patient(app: TalkyaConsole) -> Patient:
    assert app.client is not None
    page = await app.client.patients.search().page(limit=1)
    return page.data[0]


async def test_editing_sends_only_the_changed_fields(desk: TalkyaConsole, transport: Recording) -> None:
    async with desk.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        patient = await seeded_patient(desk)
        results = await open_form(pilot, lambda client: EditPatientScreen(client, patient))
        assert field(desk, "first_name").control.value == patient.first_name  # type: ignore[attr-defined]
        assert desk.focused is desk.screen.query_one("#consent-sms")  # consent on the record stays as it is
        await pilot.press("ctrl+s")  # nothing changed: no request, the record back
        await settle(pilot)
        assert results == [patient] and transport.writes("PATCH", f"/v1/patients/{patient.id}") == []

        results = await open_form(pilot, lambda client: EditPatientScreen(client, patient))
        await type_into(pilot, "preferred_name", "Mari")
        await type_into(pilot, "address.city", "Doral")
        await pilot.press("enter")
        await settle(pilot)
        [sent] = transport.writes("PATCH", f"/v1/patients/{patient.id}")
        assert sent is not None and set(sent) == {"preferred_name", "address"}
        assert sent["preferred_name"] == "Mari"
        assert patient.address is not None
        assert sent["address"] == {**patient.address.model_dump(), "city": "Doral"}
        [updated] = results
        assert (updated.preferred_name, updated.address.city, updated.phones) == ("Mari", "Doral", patient.phones)


async def test_a_new_encounter_with_a_provider_and_location(desk: TalkyaConsole, transport: Recording) -> None:
    async with desk.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        patient = await seeded_patient(desk)
        results = await open_form(pilot, lambda client: NewEncounterScreen(client, patient.id))
        await pilot.press("ctrl+s")  # nothing chosen: refused inline
        await settle(pilot)
        assert message(desk, "provider_id") == "Choose one." and message(desk, "type") == "Required, such as follow_up."
        provider = desk.screen.query_one("#field-provider_id Select", Select)
        provider.focus()
        await pilot.press("enter", "down", "enter", "tab", "enter", "down", "enter")
        await type_into(pilot, "type", "Botox consult")
        await type_into(pilot, "reason", "Forehead lines")
        await pilot.press("enter")
        await settle(pilot)
        [encounter] = results
        assert isinstance(encounter, Encounter)
        assert desk.client is not None
        stored = await desk.client.encounters.get(encounter.id)
        assert stored.patient_id == patient.id and stored.provider_id == provider.value
        assert stored.location_id is not None and stored.location_id.startswith("loc_")
        assert (stored.type, stored.reason, stored.source) == ("botox_consult", "Forehead lines", "front_desk")
        providers = await desk.client.users.list(role="provider").collect()
        assert stored.provider_id in {user.id for user in providers}


async def test_e_in_a_chart_edits_its_demographics_and_n_opens_an_encounter(console: TalkyaConsole) -> None:
    from talkya_console.tui.forms import EditPatientScreen, NewEncounterScreen
    from talkya_console.tui.screens.chart import ChartScreen

    async with console.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("3", "enter")
        await settle(pilot)
        assert isinstance(console.screen, ChartScreen)
        await pilot.press("e")
        await settle(pilot)
        assert isinstance(console.screen, EditPatientScreen)
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(console.screen, NewEncounterScreen)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(console.screen, ChartScreen)

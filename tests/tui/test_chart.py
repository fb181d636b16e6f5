"""The chart's sections: each shows the patient's records, fetched only when first shown, a page at a
time; notes and call transcripts open read only; problems show inline; masking holds until `v`."""

from __future__ import annotations

import asyncio
import html
import re
from collections import Counter

import httpx
import pytest
from textual.widgets import DataTable, TabbedContent

from talkya_console.api import TalkyaClient
from talkya_console.tui.app import TalkyaConsole
from talkya_console.tui.chart.detail import NoteScreen, TranscriptScreen
from talkya_console.tui.chart.section import PAGE_SIZE, Section
from talkya_console.tui.screens.chart import ChartScreen
from tests.tui.conftest import client_factory_for, fixed_clock, settle

# Each section's list endpoint (the overview reads tasks, contacts and deals).
LISTS = {
    "encounters": "/v1/encounters",
    "notes": "/v1/notes",
    "documents": "/v1/documents",
    "telehealth": "/v1/telehealth/visits",
    "calls": "/v1/calls",
}
KEYS = {
    "overview": "1",
    "encounters": "2",
    "notes": "3",
    "documents": "4",
    "telehealth": "5",
    "calls": "6",
    "audit": "7",
}


class Recorder(httpx.AsyncBaseTransport):
    """The sandbox in-process, noting each request's path and query; paths in `refuse` get a 403."""

    def __init__(self, app: object) -> None:
        self.inner = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.refuse: set[str] = set()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append((request.url.path, dict(request.url.params)))
        if request.url.path in self.refuse:
            error = {"error": {"type": "permission_error", "code": "forbidden", "message": "Not for this key."}}
            return httpx.Response(403, json=error, request=request)
        return await self.inner.handle_async_request(request)

    def paths(self) -> list[str]:
        return [path for path, _ in self.requests]


def recorded_console(sandbox: object) -> tuple[TalkyaConsole, Recorder]:
    recorder = Recorder(sandbox)

    def client() -> TalkyaClient:
        return TalkyaClient("http://sandbox", "ws_truebliss", api_key="tk_test_truebliss", transport=recorder)

    app = TalkyaConsole(client_factory=client, subscribe=None, workspace="ws_truebliss", clock=fixed_clock)
    return app, recorder


def screen_text(app: TalkyaConsole) -> str:
    """What is on screen, as plain text runs."""
    return html.unescape(re.sub(r"<[^>]+>", "", app.export_screenshot())).replace("\xa0", " ")


def rows(app: TalkyaConsole, section: str) -> list[list[str]]:
    table = app.screen.query_one(f"#{section}", Section).query_one(DataTable)
    return [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]


@pytest.fixture
async def demo(sandbox: object) -> dict[str, object]:
    """A demo patient with encounters, notes, documents, telehealth visits and calls, and those records
    as the API lists them."""
    client = client_factory_for(sandbox)()
    listed = {
        "encounters": await client.encounters.list().collect(),
        "notes": await client.notes.list().collect(),
        "documents": await client.documents.list().collect(),
        "telehealth": await client.telehealth_visits.list().collect(),
        "calls": await client.calls.list().collect(),
    }
    owner = {"calls": lambda r: r.caller.patient_id}
    having = [{owner.get(k, lambda r: r.patient_id)(r) for r in v} for k, v in listed.items()]
    patient_id = sorted(set.intersection(*having) - {None})[0]
    mine = {k: [r for r in v if owner.get(k, lambda r: r.patient_id)(r) == patient_id] for k, v in listed.items()}
    await client.aclose()
    return {"patient_id": patient_id, **mine}


async def open_chart(app: TalkyaConsole, pilot: object, patient_id: str) -> ChartScreen:
    await settle(pilot)  # type: ignore[arg-type]
    app.open_chart(patient_id)
    await settle(pilot)  # type: ignore[arg-type]
    assert isinstance(app.screen, ChartScreen)
    return app.screen


async def test_each_section_shows_the_patients_records(console: TalkyaConsole, demo: dict) -> None:
    async with console.run_test(size=(160, 50)) as pilot:
        chart = await open_chart(console, pilot, demo["patient_id"])
        await pilot.press("2")
        await settle(pilot)
        assert chart.query_one(TabbedContent).active == "encounters"
        shown = rows(console, "encounters")
        assert len(shown) == len(demo["encounters"])
        newest = demo["encounters"][0]
        assert shown[0][1] == newest.type.replace("_", " ") and shown[0][4] == (newest.reason or "—")[:31]

        await pilot.press("3")
        await settle(pilot)
        assert len(rows(console, "notes")) == len(demo["notes"])

        await pilot.press("4")
        await settle(pilot)
        assert [r[2] for r in rows(console, "documents")] == [d.filename for d in demo["documents"]]

        await pilot.press("5")
        await settle(pilot)
        assert len(rows(console, "telehealth")) == len(demo["telehealth"])

        await pilot.press("6")
        await settle(pilot)
        assert len(rows(console, "calls")) == len(demo["calls"])


async def test_the_overview_shows_the_contact_its_open_deals_and_open_tasks(console: TalkyaConsole) -> None:
    async with console.run_test(size=(160, 50)) as pilot:
        await settle(pilot)
        assert console.client is not None
        deals = await console.client.deals.list().collect()
        deal = next(d for d in deals if d.patient_id and d.stage not in ("won", "lost"))
        contact = await console.client.contacts.get(deal.contact_id or "")
        assert contact.open_tasks
        await open_chart(console, pilot, deal.patient_id or "")
        text = screen_text(console)
        assert f"{contact.name} · {contact.stage.replace('_', ' ')}" in text
        assert deal.name in text and f"${deal.value / 100:,.2f}" in text
        assert all(task.title in text for task in contact.open_tasks)


async def test_left_and_right_step_through_the_sections(console: TalkyaConsole, demo: dict) -> None:
    async with console.run_test(size=(120, 40)) as pilot:
        chart = await open_chart(console, pilot, demo["patient_id"])
        tabs = chart.query_one(TabbedContent)
        await pilot.press("right", "right")
        assert tabs.active == "notes"
        await pilot.press("left", "left", "left")
        assert tabs.active == "audit"  # wraps around


async def test_a_section_is_fetched_only_the_first_time_it_is_shown(sandbox: object, demo: dict) -> None:
    app, recorder = recorded_console(sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        recorder.requests.clear()  # the desk's own lists
        await open_chart(app, pilot, demo["patient_id"])
        audit = f"/v1/patients/{demo['patient_id']}/audit"
        opened = recorder.paths()
        assert not set(opened) & {*LISTS.values(), audit}
        assert {"/v1/tasks", f"/v1/patients/{demo['patient_id']}"} <= set(opened)  # the overview

        for section, path in [*LISTS.items(), ("audit", audit)]:
            await pilot.press(KEYS[section])
            await settle(pilot)
            assert recorder.paths().count(path) == 1, section
        before = len(recorder.requests)
        for key in "1234567":  # shown again: nothing refetched
            await pilot.press(key)
            await settle(pilot)
        assert len(recorder.requests) == before


async def test_the_patient_is_asked_for_once_as_the_chart_is_made_not_once_it_is_mounted(
    sandbox: object, demo: dict
) -> None:
    app, recorder = recorded_console(sandbox)
    patient_path = f"/v1/patients/{demo['patient_id']}"
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert app.client is not None
        chart = ChartScreen(demo["patient_id"], client=app.client)
        assert chart.early is not None
        fetched = await asyncio.wait_for(asyncio.shield(chart.early), 10)  # answered before any mount
        assert recorder.paths().count(patient_path) == 1
        await app.push_screen(chart)
        await settle(pilot)
        assert chart.patient == fetched
        assert recorder.paths().count(patient_path) == 1  # the mount used the early answer
        assert fetched.last_name in screen_text(app)


async def test_a_refused_early_patient_request_says_so_inline(sandbox: object, demo: dict) -> None:
    app, recorder = recorded_console(sandbox)
    recorder.refuse.add(f"/v1/patients/{demo['patient_id']}")
    async with app.run_test(size=(120, 40)) as pilot:
        chart = await open_chart(app, pilot, demo["patient_id"])
        assert chart.patient is None
        text = screen_text(app)
        assert "PermissionDenied" in text
        assert "Traceback" not in text


async def test_200_encounters_open_with_one_page_and_load_more_on_demand(sandbox: object) -> None:
    client = client_factory_for(sandbox)()
    patient = (await client.patients.search(query="Maria Lopez", limit=1).page()).data[0]
    for number in range(200):
        body = {"patient_id": patient.id, "provider_id": "usr_114", "type": "follow_up", "reason": f"Visit {number}"}
        await client.encounters.create(body)
    await client.aclose()

    app, recorder = recorded_console(sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        recorder.requests.clear()
        chart = await open_chart(app, pilot, patient.id)
        await pilot.press("2")
        await settle(pilot)
        fetched = [query for path, query in recorder.requests if path == "/v1/encounters"]
        assert fetched == [{"patient_id": patient.id, "limit": str(PAGE_SIZE)}]
        assert len(rows(app, "encounters")) == PAGE_SIZE
        assert rows(app, "encounters")[0][4] == "Visit 199"  # newest first

        await pilot.press("m")
        await settle(pilot)
        assert len(rows(app, "encounters")) == 2 * PAGE_SIZE

        await pilot.press("ctrl+end")  # the cursor at the last row asks for the next page
        await settle(pilot)
        assert len(rows(app, "encounters")) == 3 * PAGE_SIZE

        table = chart.query_one("#encounters", Section).query_one(DataTable)
        table.scroll_end(animate=False, immediate=True)  # so does scrolling to the end
        await settle(pilot)
        assert len(rows(app, "encounters")) == 4 * PAGE_SIZE
        assert len([p for p in recorder.paths() if p == "/v1/encounters"]) == 4


async def test_enter_on_a_note_shows_its_soap_sections_and_addenda(console: TalkyaConsole) -> None:
    async with console.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert console.client is not None
        notes = await console.client.notes.list(type="soap", status="signed").collect()
        note = notes[0]
        await console.client.notes.add_addendum(note.id, "Swelling resolved at the two-week call.")
        await open_chart(console, pilot, note.patient_id)
        await pilot.press("3")
        await settle(pilot)
        table = console.screen.query_one("#notes", Section).query_one(DataTable)
        table.move_cursor(row=table.get_row_index(note.id))
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(console.screen, NoteScreen)
        text = screen_text(console)
        for heading in ("Subjective", "Objective", "Assessment", "Plan", "Addenda (1)"):
            assert heading in text
        assert note.sections["subjective"][:40] in text
        assert "Swelling resolved at the two-week call." in text
        await pilot.press("escape")
        assert isinstance(console.screen, ChartScreen)


async def test_enter_on_a_call_shows_its_transcript(console: TalkyaConsole, demo: dict) -> None:
    async with console.run_test(size=(120, 40)) as pilot:
        await open_chart(console, pilot, demo["patient_id"])
        await pilot.press("6")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(console.screen, TranscriptScreen)
        assert console.client is not None
        transcript = await console.client.calls.transcript(console.screen.call.id)
        text = screen_text(console)
        assert transcript.segments and transcript.segments[0].text[:40] in text
        assert "Summary" in text and (transcript.summary or "")[:30] in text
        await pilot.press("escape")
        assert isinstance(console.screen, ChartScreen)


async def test_the_audit_tab_lists_the_chart_being_viewed(console: TalkyaConsole, demo: dict) -> None:
    async with console.run_test(size=(120, 40)) as pilot:
        await open_chart(console, pilot, demo["patient_id"])
        await pilot.press("7")
        await settle(pilot)
        assert Counter(row[2] for row in rows(console, "audit"))["viewed"] == 1


async def test_the_overview_stays_masked_until_v(console: TalkyaConsole, demo: dict) -> None:
    async with console.run_test(size=(120, 40)) as pilot:
        chart = await open_chart(console, pilot, demo["patient_id"])
        patient = chart.patient
        assert patient is not None and patient.dob is not None
        assert patient.dob.isoformat() not in screen_text(console) and "••••-••-••" in screen_text(console)
        await pilot.press("2", "1")  # other sections do not reveal anything
        await settle(pilot)
        assert patient.dob.isoformat() not in screen_text(console)
        await pilot.press("v")
        await settle(pilot)
        assert patient.dob.isoformat() in screen_text(console)
        await pilot.press("escape")
        assert not isinstance(console.screen, ChartScreen)


async def test_a_section_that_fails_says_so_inline_and_the_others_load(sandbox: object, demo: dict) -> None:
    app, recorder = recorded_console(sandbox)
    recorder.refuse.add("/v1/encounters")
    async with app.run_test(size=(120, 40)) as pilot:
        await open_chart(app, pilot, demo["patient_id"])
        await pilot.press("2")
        await settle(pilot)
        assert "API error at 15:30 (PermissionDenied)" in screen_text(app)
        assert rows(app, "encounters") == []
        await pilot.press("6")
        await settle(pilot)
        assert len(rows(app, "calls")) == len(demo["calls"])

        recorder.refuse.clear()  # shown again after a failure, it tries again
        await pilot.press("2")
        await settle(pilot)
        assert len(rows(app, "encounters")) == len(demo["encounters"])
        assert "API error" not in screen_text(app)


async def test_s_signs_a_draft_note_after_confirming_and_c_closes_an_open_encounter(console: TalkyaConsole) -> None:
    async with console.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        client = console.client
        assert client is not None
        patient = (await client.patients.search(query="Maria Lopez", limit=1).page()).data[0]
        encounter = await client.encounters.create(
            {"patient_id": patient.id, "provider_id": "usr_114", "type": "follow_up"}
        )
        note = await client.notes.create(
            {"encounter_id": encounter.id, "type": "soap", "sections": {"plan": "Recheck"}}
        )
        chart = await open_chart(console, pilot, patient.id)

        await pilot.press("3")
        await settle(pilot)
        table = chart.query_one("#notes", Section).query_one(DataTable)
        table.move_cursor(row=table.get_row_index(note.id))
        await pilot.press("s", "n")  # asked, and declined: nothing changes
        await settle(pilot)
        assert (await client.notes.get(note.id)).status != "signed"
        await pilot.press("s", "y")
        await settle(pilot)
        assert (await client.notes.get(note.id)).status == "signed"
        assert "draft" not in str(table.get_row(note.id))
        await pilot.press("s")  # signed notes are read-only: said inline, nothing asked
        await settle(pilot)
        assert isinstance(console.screen, ChartScreen)
        assert "corrections are addenda" in screen_text(console)

        await pilot.press("2")
        await settle(pilot)
        table = chart.query_one("#encounters", Section).query_one(DataTable)
        table.move_cursor(row=table.get_row_index(encounter.id))
        await pilot.press("c", "y")
        await settle(pilot)
        assert (await client.encounters.get(encounter.id)).status == "closed"
        assert "closed" in str(table.get_row(encounter.id))

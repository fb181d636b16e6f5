"""Clinical writes from the chart: a note drafted from a template on an open encounter (`a`), and a
document uploaded from a file picked on disk (`u`), against the demo sandbox."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, DirectoryTree, Input, Select, TextArea

from talkya_console.api import TalkyaClient
from talkya_console.outbox import Outbox
from talkya_console.sandbox.clinical import TEMPLATES as API_TEMPLATES
from talkya_console.sandbox.context import Limits
from talkya_console.sandbox.routes.files import BY_EXTENSION
from talkya_console.tui.app import TalkyaConsole
from talkya_console.tui.chart.section import Section
from talkya_console.tui.forms import NewNoteScreen, UploadDocumentScreen
from talkya_console.tui.forms import document as document_form
from talkya_console.tui.forms.document import ACCEPTED, SIZE_LIMIT
from talkya_console.tui.forms.fields import FormField, SelectField
from talkya_console.tui.forms.note import TEMPLATES, SectionField
from talkya_console.tui.screens.chart import ChartScreen
from talkya_console.wire import Encounter, Patient
from tests.tui.conftest import fixed_clock, settle


class Wire(httpx.AsyncBaseTransport):
    """The sandbox in-process, noting each request's method and path; `down` refuses to connect."""

    def __init__(self, sandbox: object) -> None:
        self.inner = httpx.ASGITransport(app=sandbox)  # type: ignore[arg-type]
        self.requests: list[tuple[str, str]] = []
        self.down = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.down:
            raise httpx.ConnectError("link down", request=request)
        self.requests.append((request.method, request.url.path))
        return await self.inner.handle_async_request(request)

    def posts(self, path: str) -> int:
        return self.requests.count(("POST", path))


@pytest.fixture
def wire(sandbox: object) -> Wire:
    return Wire(sandbox)


@pytest.fixture
def desk(wire: Wire) -> TalkyaConsole:
    """The console on the recorded sandbox, with an outbox in memory."""
    return TalkyaConsole(
        client_factory=lambda: TalkyaClient(
            "http://sandbox", "ws_truebliss", api_key="tk_test_truebliss", transport=wire, max_retries=0
        ),
        subscribe=None,
        workspace="ws_truebliss",
        clock=fixed_clock,
        outbox=Outbox(None, "ws_truebliss", clock=fixed_clock),
    )


def api(app: TalkyaConsole) -> TalkyaClient:
    assert app.client is not None
    return app.client


async def patient_with_encounter(app: TalkyaConsole, status: str = "open") -> tuple[Patient, Encounter]:
    """A demo patient, with a new encounter (closed if asked)."""
    client = api(app)
    patient = (await client.patients.search(query="Maria Lopez", limit=1).page()).data[0]
    encounter = await client.encounters.create(
        {"patient_id": patient.id, "provider_id": "usr_114", "type": "follow_up"}
    )
    if status == "closed":
        encounter = await client.encounters.close(encounter.id)
    return patient, encounter


def field(app: TalkyaConsole, name: str) -> FormField:
    return app.screen.query_one(f"#field-{name.replace('.', '-')}", FormField)


def message(app: TalkyaConsole, name: str) -> str:
    line = field(app, name).query_one(".field-message")
    return str(line.render()) if line.display else ""


def banner(app: TalkyaConsole) -> str:
    widget = app.screen.query_one("#form-banner")
    return str(widget.render()) if widget.display else ""


def sections(app: TalkyaConsole) -> list[tuple[str, str]]:
    """The note form's sections: heading and prompt."""
    return [(s.field_label, str(s.area.placeholder)) for s in app.screen.query(SectionField)]


async def write_in(pilot: Pilot[None], key: str, text: str) -> None:
    """Type into one section of the note."""
    area = field(pilot.app, f"sections.{key}").control  # type: ignore[arg-type]
    assert isinstance(area, TextArea)
    area.focus()
    await pilot.press(*text)


async def open_chart_at(pilot: Pilot[None], app: TalkyaConsole, patient_id: str, key: str) -> ChartScreen:
    app.open_chart(patient_id)
    await settle(pilot)
    await pilot.press(key)
    await settle(pilot)
    assert isinstance(app.screen, ChartScreen)
    return app.screen


def test_the_forms_know_what_the_api_takes() -> None:
    assert {key: tuple(k for k, _ in spec) for key, (_, spec) in TEMPLATES.items()} == API_TEMPLATES
    assert ACCEPTED == BY_EXTENSION
    assert Limits().file_bytes == SIZE_LIMIT


async def test_a_template_lays_out_its_sections_and_keeps_shared_ones(desk: TalkyaConsole) -> None:
    async with desk.run_test(size=(120, 44)) as pilot:
        await settle(pilot)
        patient, _ = await patient_with_encounter(desk)
        desk.push_screen(NewNoteScreen(api(desk), patient.id))
        await settle(pilot)
        shown = sections(desk)
        assert [heading for heading, _ in shown] == ["Subjective", "Objective", "Assessment", "Plan"]
        assert shown[0][1].startswith("Chief complaint")
        assert desk.focused is field(desk, "type").control
        await write_in(pilot, "subjective", "Tired")
        await write_in(pilot, "plan", "Recheck")

        template = field(desk, "type").control
        assert isinstance(template, Select)
        template.value = "procedure"
        await settle(pilot)
        assert [heading for heading, _ in sections(desk)] == [
            "Procedure",
            "Consent",
            "Technique",
            "Products used",
            "Aftercare",
        ]
        template.value = "telehealth"
        await settle(pilot)
        assert [h for h, _ in sections(desk)] == ["Chief complaint", "History", "Assessment", "Plan"]
        # Plan was never lost: a heading the templates share keeps its text.
        assert [s.area.text for s in desk.screen.query(SectionField)] == ["", "", "", "Recheck"]


async def test_a_in_encounters_drafts_one_note_on_that_encounter(desk: TalkyaConsole, wire: Wire) -> None:
    async with desk.run_test(size=(120, 44)) as pilot:
        await settle(pilot)
        patient, encounter = await patient_with_encounter(desk)
        chart = await open_chart_at(pilot, desk, patient.id, "2")
        table = chart.query_one("#encounters", Section).query_one(DataTable)
        table.move_cursor(row=table.get_row_index(encounter.id))
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(desk.screen, NewNoteScreen)
        assert field(desk, "encounter_id").control.value == encounter.id  # type: ignore[attr-defined]

        await pilot.press("ctrl+s")  # nothing written: refused here, nothing sent
        await settle(pilot)
        assert message(desk, "sections.subjective") == "Write something in at least one section."
        assert wire.posts("/v1/notes") == 0

        await write_in(pilot, "subjective", "Forehead lines")
        assert message(desk, "sections.subjective") == ""
        await write_in(pilot, "plan", "Botox 20 units")
        await pilot.press("enter", *"Review in 2 weeks", "ctrl+s")
        await settle(pilot)
        assert desk.screen is chart
        assert any("draft" in str(n.message) for n in desk._notifications)

        [note] = await api(desk).notes.list(encounter_id=encounter.id).collect()
        assert (note.status, note.type, note.patient_id) == ("draft", "soap", patient.id)
        assert note.sections == {
            "subjective": "Forehead lines",
            "objective": "",
            "assessment": "",
            "plan": "Botox 20 units\nReview in 2 weeks",
        }
        assert wire.posts("/v1/notes") == 1

        await pilot.press("3")  # the Notes section shows it
        await settle(pilot)
        assert note.id in chart.query_one("#notes", Section).items  # type: ignore[attr-defined]


async def test_a_in_notes_defaults_to_the_open_encounter(desk: TalkyaConsole) -> None:
    async with desk.run_test(size=(120, 44)) as pilot:
        await settle(pilot)
        patient, encounter = await patient_with_encounter(desk)
        await open_chart_at(pilot, desk, patient.id, "3")
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(desk.screen, NewNoteScreen)
        assert field(desk, "encounter_id").control.value == encounter.id  # type: ignore[attr-defined]


async def test_a_closed_encounter_is_refused_inline(desk: TalkyaConsole, wire: Wire) -> None:
    async with desk.run_test(size=(120, 44)) as pilot:
        await settle(pilot)
        patient, encounter = await patient_with_encounter(desk, "closed")
        results: list[Any] = []
        desk.push_screen(NewNoteScreen(api(desk), patient.id, encounter.id), results.append)
        await settle(pilot)
        assert "closed" in message(desk, "encounter_id")  # said before saving
        await write_in(pilot, "assessment", "Stable")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert results == [] and isinstance(desk.screen, NewNoteScreen)
        assert wire.posts("/v1/notes") == 1  # Talkya refused it
        assert "This encounter is closed and can no longer change" in message(desk, "encounter_id")
        assert banner(desk) == "Not saved: see Encounter."
        assert desk.focused is field(desk, "encounter_id").control
        assert await api(desk).notes.list(encounter_id=encounter.id).collect() == []


async def test_a_note_saved_offline_waits_in_the_outbox(desk: TalkyaConsole, wire: Wire) -> None:
    async with desk.run_test(size=(120, 44)) as pilot:
        await settle(pilot)
        patient, encounter = await patient_with_encounter(desk)
        await open_chart_at(pilot, desk, patient.id, "3")
        await pilot.press("a")
        await settle(pilot)
        await write_in(pilot, "plan", "Call back")
        wire.down = True
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(desk.screen, ChartScreen)
        assert any("Saved offline" in str(n.message) for n in desk._notifications)
        assert desk.outbox is not None
        [entry] = desk.outbox.entries(subject=patient.id)
        assert (entry.write.op, entry.write.label) == ("notes.create", "New note")
        assert entry.write.args[0]["encounter_id"] == encounter.id


@pytest.fixture
def files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder the picker opens on: a small PDF, a program, a scan over the limit, a subfolder."""
    (tmp_path / "consent.pdf").write_bytes(b"%PDF-1.4\n% signed consent\n%%EOF\n")
    (tmp_path / "setup.exe").write_bytes(b"MZ\x90\x00")
    with (tmp_path / "scan.png").open("wb") as big:
        big.truncate(SIZE_LIMIT + 2 * 1024 * 1024)  # sparse: nothing written to disk
    (tmp_path / "labs").mkdir()
    monkeypatch.setattr(document_form, "default_root", lambda: tmp_path)
    return tmp_path


async def open_upload(pilot: Pilot[None], app: TalkyaConsole) -> tuple[ChartScreen, Patient]:
    await settle(pilot)
    patient = (await api(app).patients.search(query="Maria Lopez", limit=1).page()).data[0]
    chart = await open_chart_at(pilot, app, patient.id, "4")
    await pilot.press("u")
    await settle(pilot)
    assert isinstance(app.screen, UploadDocumentScreen)
    return chart, patient


async def type_path(pilot: Pilot[None], text: str) -> None:
    control = field(pilot.app, "file").control  # type: ignore[arg-type]
    assert isinstance(control, Input)
    control.focus()
    control.value = ""
    await pilot.press(*text)


async def test_u_uploads_a_small_file_and_documents_shows_it(desk: TalkyaConsole, files: Path) -> None:
    async with desk.run_test(size=(120, 44)) as pilot:
        chart, patient = await open_upload(pilot, desk)
        before = len(await api(desk).documents.list(patient_id=patient.id).collect())
        await type_path(pilot, "consent.pdf")  # relative to the folder shown
        assert field(desk, "title").control.value == "consent.pdf"  # type: ignore[attr-defined]
        kind = field(desk, "type")
        assert isinstance(kind, SelectField)
        kind.selector.value = "consent_form"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert desk.screen is chart
        documents = await api(desk).documents.list(patient_id=patient.id).collect()
        assert len(documents) == before + 1
        newest = documents[0]
        assert (newest.filename, newest.title, newest.type) == ("consent.pdf", "consent.pdf", "consent_form")
        assert (newest.content_type, newest.size) == ("application/pdf", (files / "consent.pdf").stat().st_size)
        rows = chart.query_one("#documents", Section).query_one(DataTable)
        assert str(rows.get_row(newest.id)[2]) == "consent.pdf"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("scan.png", "Too large: 12.0 MB; the limit is 10 MB."),
        ("setup.exe", ".exe files are not accepted; Talkya takes PDF, PNG"),
        ("labs", "That is a folder: choose a file in it."),
        ("missing.pdf", "There is no such file."),
    ],
)
async def test_a_file_talkya_would_refuse_is_refused_before_sending(
    desk: TalkyaConsole, wire: Wire, files: Path, name: str, expected: str
) -> None:
    async with desk.run_test(size=(120, 44)) as pilot:
        _, patient = await open_upload(pilot, desk)
        before = await api(desk).documents.list(patient_id=patient.id).collect()
        await type_path(pilot, str(files / name))
        field(desk, "type").control.value = "other"  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(desk.screen, UploadDocumentScreen)
        assert message(desk, "file").startswith(expected)
        assert banner(desk) == "Not saved: fix the fields marked in red."
        assert wire.posts("/v1/documents") == wire.posts("/v1/files") == 0
        assert await api(desk).documents.list(patient_id=patient.id).collect() == before


async def test_enter_on_a_file_in_the_picker_fills_the_path(desk: TalkyaConsole, files: Path) -> None:
    async with desk.run_test(size=(120, 44)) as pilot:
        await open_upload(pilot, desk)
        tree = desk.screen.query_one(DirectoryTree)
        assert desk.focused is tree
        # The folder lists `labs/` first, then the files by name: consent.pdf, scan.png, setup.exe.
        await pilot.press("down", "down", "enter")
        await settle(pilot)
        assert field(desk, "file").control.value == str(files / "consent.pdf")  # type: ignore[attr-defined]
        assert message(desk, "file") == ""
        assert field(desk, "title").control.value == "consent.pdf"  # type: ignore[attr-defined]
        assert field(desk, "type").control.value == "pdf"  # type: ignore[attr-defined]  (guessed)
        await pilot.press("down", "enter")
        await settle(pilot)
        assert field(desk, "file").control.value == str(files / "scan.png")  # type: ignore[attr-defined]
        assert message(desk, "file").startswith("Too large")
        assert field(desk, "title").control.value == "scan.png"  # untouched, so it follows  # type: ignore[attr-defined]


async def test_escape_asks_before_throwing_away_a_written_note(desk: TalkyaConsole, wire: Wire) -> None:
    async with desk.run_test(size=(120, 44)) as pilot:
        await settle(pilot)
        patient, _ = await patient_with_encounter(desk)
        results: list[Any] = []
        desk.push_screen(NewNoteScreen(api(desk), patient.id), results.append)
        await settle(pilot)
        await write_in(pilot, "objective", "BP 120/80")
        await pilot.press("escape")
        assert results == [] and "Esc again discards" in banner(desk)
        await pilot.press("escape")
        await settle(pilot)
        assert results == [None] and wire.posts("/v1/notes") == 0

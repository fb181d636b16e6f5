"""Notes: drafted from a template on an open encounter, signed once, then corrected by addenda only."""

from __future__ import annotations

from typing import Any

import pytest

from talkya_console.sandbox.db import Where
from talkya_console.wire import AuditEntry, Event
from talkya_console.wire.users import ALL_SCOPES
from tests.conftest import NORTHSIDE_HEADERS, READONLY_HEADERS
from tests.sandbox_helpers import assert_error, patient_body, walk

CHO_HEADERS = {"Authorization": "Bearer tk_test_cho", "Talkya-Workspace": "ws_truebliss"}


@pytest.fixture
async def encounter(api) -> dict[str, Any]:
    patient = (await api.post("/v1/patients", json=patient_body())).json()
    body = {"patient_id": patient["id"], "provider_id": "usr_114", "type": "glp1_refill_review"}
    return (await api.post("/v1/encounters", json=body)).json()


@pytest.fixture
async def note(api, encounter) -> dict[str, Any]:
    body = {"encounter_id": encounter["id"], "type": "soap", "title": "GLP-1 refill review"}
    response = await api.post("/v1/notes", json=body)
    assert response.status_code == 201, response.text
    return response.json()


@pytest.fixture
def cho_key(sandbox) -> dict[str, str]:
    """A key that acts as Dr. Hannah Cho (usr_114), as a signed-in staff member's token does."""
    sandbox.auth.add_key("tk_test_cho", "ws_truebliss", "Dr. Cho", ALL_SCOPES, user_id="usr_114")
    return CHO_HEADERS


def trail(sandbox, note_id: str) -> list[dict[str, Any]]:
    """The note's audit entries, newest first (notes have no audit route of their own)."""
    entries = sandbox.db.all("audit_entry", "ws_truebliss", AuditEntry, Where().eq("record_id", note_id))
    return [e.model_dump(mode="json") for e in entries]


@pytest.mark.parametrize(
    ("type_", "keys"),
    [
        ("soap", ["subjective", "objective", "assessment", "plan"]),
        ("progress", ["interval_history", "progress", "plan"]),
        ("procedure", ["procedure", "consent", "technique", "products_used", "aftercare"]),
        ("telehealth", ["chief_complaint", "history", "assessment", "plan"]),
    ],
)
async def test_new_note_gets_its_types_template(api, encounter, type_, keys):
    response = await api.post("/v1/notes", json={"encounter_id": encounter["id"], "type": type_})
    assert response.status_code == 201, response.text
    assert response.json()["sections"] == dict.fromkeys(keys, "")


async def test_sections_sent_are_kept_as_sent(api, encounter):
    sections = {"subjective": "Mild nausea after dose.", "plan": "Continue 0.5 mg."}
    body = {"encounter_id": encounter["id"], "type": "soap", "sections": sections}
    assert (await api.post("/v1/notes", json=body)).json()["sections"] == sections


async def test_note_takes_its_patient_from_the_encounter_and_is_audited(api, sandbox, encounter, note):
    assert note["id"].startswith("note_")
    assert (note["encounter_id"], note["patient_id"]) == (encounter["id"], encounter["patient_id"])
    assert (note["status"], note["signed_at"], note["addenda"]) == ("draft", None, [])
    assert note["author_id"] is None  # an API key is not a staff member
    assert [e["action"] for e in trail(sandbox, note["id"])] == ["created"]


async def test_staff_member_is_author_and_signer(api, sandbox, encounter, cho_key):
    created = await api.post("/v1/notes", json={"encounter_id": encounter["id"], "type": "soap"}, headers=cho_key)
    assert created.json()["author_id"] == "usr_114"
    signed = (await api.post(f"/v1/notes/{created.json()['id']}/sign", headers=cho_key)).json()
    assert signed["signed_by"] == "usr_114"
    entry = (trail(sandbox, signed["id"]))[0]
    assert entry["actor"] == {"type": "user", "id": "usr_114"}


async def test_note_on_a_closed_encounter_is_409(api, encounter):
    await api.post(f"/v1/encounters/{encounter['id']}/close")
    response = await api.post("/v1/notes", json={"encounter_id": encounter["id"], "type": "soap"})
    assert_error(response, 409, "encounter_closed")


async def test_note_on_an_unknown_encounter_is_404_naming_it(api):
    response = await api.post("/v1/notes", json={"encounter_id": "enc_missing", "type": "soap"})
    assert_error(response, 404, "resource_missing", param="encounter_id")


@pytest.mark.parametrize(
    ("change", "code", "param"),
    [
        ({"type": "haiku"}, "parameter_invalid", "type"),
        ({"title": "x" * 201}, "parameter_invalid", "title"),
        ({"sections": {"plan": 3}}, "parameter_invalid", "sections.plan"),
        ({"status": "signed"}, "parameter_unknown", "status"),
    ],
)
async def test_bad_body_is_422_naming_the_field(api, encounter, change, code, param):
    body = {"encounter_id": encounter["id"], "type": "soap", **change}
    assert_error(await api.post("/v1/notes", json=body), 422, code, param=param)


async def test_draft_edit_merges_sections_and_is_audited(api, sandbox, note):
    path = f"/v1/notes/{note['id']}"
    await api.patch(path, json={"sections": {"subjective": "Down 4 kg."}})
    response = await api.patch(path, json={"sections": {"plan": "Refill sent."}, "title": "Refill"})
    assert response.status_code == 200, response.text
    updated = response.json()
    assert updated["sections"] == {
        "subjective": "Down 4 kg.",
        "objective": "",
        "assessment": "",
        "plan": "Refill sent.",
    }
    assert updated["title"] == "Refill"
    entries = trail(sandbox, note["id"])
    assert [e["action"] for e in entries] == ["updated", "updated", "created"]
    assert sorted(entries[0]["fields"]) == ["sections", "title"]
    assert "Refill sent" not in str(entries)


async def test_nulling_sections_is_422(api, note):
    assert_error(await api.patch(f"/v1/notes/{note['id']}", json={"sections": None}), 422, "parameter_invalid")


async def test_signing_records_signer_and_emits_note_signed(api, sandbox, note):
    response = await api.post(f"/v1/notes/{note['id']}/sign")
    assert response.status_code == 200, response.text
    signed = response.json()
    assert signed["status"] == "signed"
    assert signed["signed_at"].endswith("Z")
    assert signed["signed_by"] == "demo (all scopes)"
    events = sandbox.db.all("event", "ws_truebliss", Event, Where().eq("type", "note.signed"))
    assert [e.data for e in events] == [
        {"note_id": note["id"], "encounter_id": note["encounter_id"], "patient_id": note["patient_id"]}
    ]
    entry = (trail(sandbox, note["id"]))[0]
    assert (entry["action"], entry["fields"]) == ("signed", ["status", "signed_at", "signed_by"])


async def test_signed_note_is_immutable(api, note):
    await api.post(f"/v1/notes/{note['id']}/sign")
    response = await api.patch(f"/v1/notes/{note['id']}", json={"sections": {"plan": "Changed."}})
    error = assert_error(response, 409, "note_signed")
    assert error["message"] == "Signed notes are immutable; add an addendum instead."
    assert (await api.get(f"/v1/notes/{note['id']}")).json()["sections"]["plan"] == ""


async def test_signing_twice_is_409_and_emits_once(api, sandbox, note):
    await api.post(f"/v1/notes/{note['id']}/sign")
    assert_error(await api.post(f"/v1/notes/{note['id']}/sign"), 409, "note_signed")
    assert len(sandbox.db.all("event", "ws_truebliss", Event, Where().eq("type", "note.signed"))) == 1


async def test_a_draft_can_be_signed_after_its_encounter_closes(api, encounter, note):
    await api.post(f"/v1/encounters/{encounter['id']}/close")
    assert (await api.patch(f"/v1/notes/{note['id']}", json={"title": "Late"})).status_code == 200
    assert (await api.post(f"/v1/notes/{note['id']}/sign")).json()["status"] == "signed"


async def test_addendum_is_appended_to_a_signed_note(api, sandbox, note):
    await api.post(f"/v1/notes/{note['id']}/sign")
    first = await api.post(f"/v1/notes/{note['id']}/addenda", json={"text": "Labs reviewed: A1c 5.6%."})
    assert first.status_code == 201, first.text
    second = (await api.post(f"/v1/notes/{note['id']}/addenda", json={"text": "Called patient."})).json()
    assert [a["text"] for a in second["addenda"]] == ["Labs reviewed: A1c 5.6%.", "Called patient."]
    assert all(a["id"].startswith("adn_") and a["created_at"].endswith("Z") for a in second["addenda"])
    assert second["status"] == "signed"
    entries = trail(sandbox, note["id"])
    assert [e["action"] for e in entries] == ["addendum_added", "addendum_added", "signed", "created"]


async def test_addendum_on_a_draft_is_409(api, note):
    response = await api.post(f"/v1/notes/{note['id']}/addenda", json={"text": "Too early."})
    assert_error(response, 409, "note_not_signed")


@pytest.mark.parametrize("body", [{"text": ""}, {}, {"text": "x" * 20_001}])
async def test_bad_addendum_is_422_naming_text(api, note, body):
    await api.post(f"/v1/notes/{note['id']}/sign")
    response = await api.post(f"/v1/notes/{note['id']}/addenda", json=body)
    assert response.status_code == 422
    assert response.json()["error"]["param"] == "text"


async def test_list_filters_by_encounter_patient_status_and_type(api, encounter, note):
    other = (await api.post("/v1/notes", json={"encounter_id": encounter["id"], "type": "progress"})).json()
    await api.post(f"/v1/notes/{other['id']}/sign")

    async def ids(**params: str) -> set[str]:
        return {n["id"] for n in await walk(api, "/v1/notes", **params)}

    assert await ids(encounter_id=encounter["id"]) == {note["id"], other["id"]}
    assert await ids(patient_id=encounter["patient_id"]) == {note["id"], other["id"]}
    assert await ids(encounter_id=encounter["id"], status="signed") == {other["id"]}
    assert await ids(encounter_id=encounter["id"], type="soap") == {note["id"]}
    assert_error(await api.get("/v1/notes", params={"status": "final"}), 400, "parameter_invalid", param="status")


async def test_read_only_key_can_read_but_not_write(api, note):
    path = f"/v1/notes/{note['id']}"
    assert (await api.get(path, headers=READONLY_HEADERS)).status_code == 200
    for response in (
        await api.post(
            "/v1/notes", json={"encounter_id": note["encounter_id"], "type": "soap"}, headers=READONLY_HEADERS
        ),
        await api.patch(path, json={"title": "x"}, headers=READONLY_HEADERS),
        await api.post(f"{path}/sign", headers=READONLY_HEADERS),
        await api.post(f"{path}/addenda", json={"text": "x"}, headers=READONLY_HEADERS),
    ):
        error = assert_error(response, 403, "insufficient_scope")
        assert "notes:write" in error["message"]


async def test_another_workspace_sees_404(api, note):
    path = f"/v1/notes/{note['id']}"
    for response in (
        await api.get(path, headers=NORTHSIDE_HEADERS),
        await api.patch(path, json={"title": "x"}, headers=NORTHSIDE_HEADERS),
        await api.post(f"{path}/sign", headers=NORTHSIDE_HEADERS),
        await api.post(f"{path}/addenda", json={"text": "x"}, headers=NORTHSIDE_HEADERS),
        await api.post(
            "/v1/notes", json={"encounter_id": note["encounter_id"], "type": "soap"}, headers=NORTHSIDE_HEADERS
        ),
    ):
        assert_error(response, 404, "resource_missing")


@pytest.mark.parametrize(("method", "suffix"), [("GET", ""), ("PATCH", ""), ("POST", "/sign"), ("POST", "/addenda")])
async def test_unknown_note_is_404(api, method, suffix):
    body = None if method == "GET" or suffix == "/sign" else {"text": "x"} if suffix else {"title": "x"}
    assert_error(await api.request(method, f"/v1/notes/note_missing{suffix}", json=body), 404, "resource_missing")

"""Telehealth: a visit moves scheduled -> waiting -> in progress -> completed (and only so),
and a draft note generated or attached lands on the visit's encounter."""

from __future__ import annotations

import re

import pytest

from talkya_console.sandbox.db import Where
from talkya_console.wire import AuditEntry, Event
from tests.conftest import NORTHSIDE_HEADERS, READONLY_HEADERS
from tests.sandbox_helpers import assert_error, patient_body, walk

PROVIDER = "usr_114"
FRONT_DESK = "usr_102"
VISITS = "/v1/telehealth/visits"


@pytest.fixture
async def patient(api):
    return (await api.post("/v1/patients", json=patient_body())).json()


@pytest.fixture
async def other_patient(api):
    return (await api.post("/v1/patients", json=patient_body(first_name="Ines", last_name="Vidal"))).json()


def _visit_body(patient_id: str, **overrides) -> dict:
    body = {
        "patient_id": patient_id,
        "provider_id": PROVIDER,
        "reason": "GLP-1 refill review",
        "scheduled_at": "2026-11-20T15:00:00Z",
        "record": True,
    }
    return {**body, **overrides}


@pytest.fixture
async def visit(api, patient):
    response = await api.post(VISITS, json=_visit_body(patient["id"]))
    assert response.status_code == 201, response.text
    return response.json()


async def _move(api, visit_id: str, *statuses: str) -> dict:
    """The visit after moving it through `statuses` in turn."""
    visit = (await api.get(f"{VISITS}/{visit_id}")).json()
    for status in statuses:
        response = await api.patch(f"{VISITS}/{visit_id}", json={"status": status})
        assert response.status_code == 200, response.text
        visit = response.json()
    return visit


def _completed_events(sandbox) -> list[Event]:
    return sandbox.db.all("event", "ws_truebliss", Event, Where().eq("type", "telehealth.visit.completed"))


# -- create and read ------------------------------------------------------------------------------


async def test_a_new_visit_is_scheduled_with_a_join_link_per_role(visit, patient):
    assert visit["id"].startswith("tv_") and visit["status"] == "scheduled"
    assert visit["patient_id"] == patient["id"]
    for role in ("patient", "provider"):
        link = visit["join_links"][role]
        assert re.fullmatch(rf"https://meet\.talkya\.ai/v/{visit['id']}\?role={role}&t=[\w-]{{16,}}", link)
    assert visit["join_links"]["patient"].split("t=")[1] != visit["join_links"]["provider"].split("t=")[1]
    assert visit["recording"] == {"enabled": True, "state": "off", "file_id": None}


async def test_the_provider_must_be_a_provider(api, patient):
    response = await api.post(VISITS, json=_visit_body(patient["id"], provider_id=FRONT_DESK))
    assert_error(response, 422, "provider_invalid", param="provider_id")


async def test_an_unknown_patient_is_404_naming_it(api):
    assert_error(await api.post(VISITS, json=_visit_body("pat_nope")), 404, "resource_missing", param="patient_id")


async def test_another_patients_encounter_is_refused(api, visit, other_patient):
    note = (await api.post(f"{VISITS}/{visit['id']}/notes", json={"mode": "generate"})).json()
    body = _visit_body(other_patient["id"], encounter_id=note["encounter_id"])
    assert_error(await api.post(VISITS, json=body), 422, "encounter_mismatch", param="encounter_id")


@pytest.mark.parametrize(
    ("params", "expect"),
    [
        ({"status": "waiting"}, {"b"}),
        ({"provider_id": "usr_110"}, {"b"}),
        ({"scheduled_after": "2026-11-21T00:00:00Z"}, {"b"}),
        ({"scheduled_before": "2026-11-21T00:00:00Z"}, {"a", "c"}),
        ({"scheduled_after": "2026-11-20T15:00:00Z", "scheduled_before": "2026-11-20T15:00:01Z"}, {"a", "c"}),
    ],
)
async def test_list_filters(api, patient, other_patient, params, expect):
    made = {
        "a": _visit_body(patient["id"]),
        "b": _visit_body(patient["id"], provider_id="usr_110", scheduled_at="2026-11-22T15:00:00Z"),
        "c": _visit_body(other_patient["id"]),
    }
    ids = {key: (await api.post(VISITS, json=body)).json()["id"] for key, body in made.items()}
    await _move(api, ids["b"], "waiting")
    found = {v["id"] for v in await walk(api, VISITS, **params)}
    assert found & set(ids.values()) == {ids[k] for k in expect}


async def test_patient_filter(api, visit, patient, other_patient):
    await api.post(VISITS, json=_visit_body(other_patient["id"]))
    assert [v["id"] for v in await walk(api, VISITS, patient_id=patient["id"])] == [visit["id"]]


async def test_read_only_key_cannot_create_and_other_workspace_cannot_see(api, patient, visit):
    response = await api.post(VISITS, json=_visit_body(patient["id"]), headers=READONLY_HEADERS)
    assert "telehealth:write" in assert_error(response, 403, "insufficient_scope")["message"]
    assert (await api.get(f"{VISITS}/{visit['id']}", headers=READONLY_HEADERS)).status_code == 200
    assert_error(await api.get(f"{VISITS}/{visit['id']}", headers=NORTHSIDE_HEADERS), 404, "resource_missing")
    response = await api.patch(f"{VISITS}/{visit['id']}", json={"status": "waiting"}, headers=NORTHSIDE_HEADERS)
    assert_error(response, 404, "resource_missing")


# -- the visit's course -------------------------------------------------------------------------


async def test_the_full_course_records_attendance_duration_and_emits_completed(api, sandbox, visit, patient):
    waiting = await _move(api, visit["id"], "waiting")
    assert waiting["attendance"]["patient_present"] is True and waiting["attendance"]["patient_joined_at"]
    live = await _move(api, visit["id"], "in_progress")
    assert live["started_at"] and live["attendance"]["provider_present"] is True
    assert live["recording"]["state"] == "recording"
    assert _completed_events(sandbox) == []
    done = await _move(api, visit["id"], "completed")
    assert done["ended_at"] and done["duration_seconds"] >= 0
    assert done["attendance"]["patient_present"] is False and done["attendance"]["provider_joined_at"]
    assert done["recording"]["state"] == "available"
    assert (await api.get(f"{VISITS}/{visit['id']}")).json() == done
    events = _completed_events(sandbox)
    assert [e.data for e in events] == [{"visit_id": visit["id"], "patient_id": patient["id"], "encounter_id": None}]


async def test_an_unrecorded_visit_has_no_recording(api, patient):
    created = (await api.post(VISITS, json=_visit_body(patient["id"], record=False))).json()
    done = await _move(api, created["id"], "waiting", "in_progress", "completed")
    assert done["recording"]["state"] == "off"


@pytest.mark.parametrize(
    ("path", "target"),
    [
        ((), "completed"),
        ((), "in_progress"),
        (("waiting", "in_progress"), "cancelled"),
        (("waiting", "in_progress", "completed"), "waiting"),
        (("cancelled",), "scheduled"),
        (("no_show",), "waiting"),
    ],
)
async def test_an_invalid_transition_is_409(api, sandbox, visit, path, target):
    await _move(api, visit["id"], *path)
    response = await api.patch(f"{VISITS}/{visit['id']}", json={"status": target})
    assert_error(response, 409, "invalid_transition", param="status")
    assert len(_completed_events(sandbox)) == path.count("completed")


@pytest.mark.parametrize("path", [("cancelled",), ("no_show",), ("waiting", "cancelled"), ("waiting", "no_show")])
async def test_a_visit_can_be_cancelled_or_missed_before_it_starts(api, visit, path):
    assert (await _move(api, visit["id"], *path))["status"] == path[-1]


async def test_rescheduling_only_before_the_visit_starts(api, visit):
    moved = (await api.patch(f"{VISITS}/{visit['id']}", json={"scheduled_at": "2026-11-21T16:00:00Z"})).json()
    assert moved["scheduled_at"] == "2026-11-21T16:00:00Z"
    await _move(api, visit["id"], "waiting")
    response = await api.patch(f"{VISITS}/{visit['id']}", json={"scheduled_at": "2026-11-22T16:00:00Z"})
    assert_error(response, 409, "visit_started", param="scheduled_at")


async def test_a_null_status_is_422(api, visit):
    response = await api.patch(f"{VISITS}/{visit['id']}", json={"status": None})
    assert_error(response, 422, "parameter_invalid", param="status")


# -- notes --------------------------------------------------------------------------------------


async def test_generate_drafts_a_note_on_a_new_telehealth_encounter(api, sandbox, visit, patient):
    response = await api.post(f"{VISITS}/{visit['id']}/notes", json={"mode": "generate"})
    assert response.status_code == 201, response.text
    note = response.json()
    assert note["id"].startswith("note_") and note["status"] == "draft" and note["type"] == "telehealth"
    assert note["patient_id"] == patient["id"]
    assert set(note["sections"]) == {"chief_complaint", "history", "assessment", "plan"}
    assert all(note["sections"].values()) and "GLP-1 refill review" in note["sections"]["chief_complaint"]
    updated = (await api.get(f"{VISITS}/{visit['id']}")).json()
    assert updated["draft_note_id"] == note["id"] and updated["encounter_id"] == note["encounter_id"]
    encounter = (await api.get(f"/v1/encounters/{note['encounter_id']}")).json()
    assert (encounter["type"], encounter["source"], encounter["patient_id"]) == (
        "telehealth_follow_up",
        "telehealth",
        patient["id"],
    )
    listed = (await api.get(f"{VISITS}/{visit['id']}/notes")).json()["data"]
    assert [n["id"] for n in listed] == [note["id"]]
    trail = sandbox.db.all("audit_entry", "ws_truebliss", AuditEntry)
    assert {(a.record_type, a.record_id, a.action) for a in trail} >= {
        ("encounter", note["encounter_id"], "created"),
        ("note", note["id"], "created"),
    }


async def test_completing_after_generating_names_the_encounter(api, sandbox, visit):
    note = (await api.post(f"{VISITS}/{visit['id']}/notes", json={"mode": "generate"})).json()
    await _move(api, visit["id"], "waiting", "in_progress", "completed")
    assert _completed_events(sandbox)[0].data["encounter_id"] == note["encounter_id"]


async def test_a_second_draft_reuses_the_encounter(api, visit):
    first = (await api.post(f"{VISITS}/{visit['id']}/notes", json={"mode": "generate"})).json()
    second = (await api.post(f"{VISITS}/{visit['id']}/notes", json={"mode": "generate", "type": "soap"})).json()
    assert second["encounter_id"] == first["encounter_id"] and second["type"] == "soap"
    listed = (await api.get(f"{VISITS}/{visit['id']}/notes")).json()["data"]
    assert [n["id"] for n in listed] == [second["id"], first["id"]]


async def test_a_visit_without_an_encounter_lists_no_notes(api, visit):
    page = (await api.get(f"{VISITS}/{visit['id']}/notes")).json()
    assert page == {"object": "list", "data": [], "has_more": False, "next_cursor": None}


async def test_attach_links_a_draft_of_the_same_patient(api, visit, patient):
    note = (await api.post(f"{VISITS}/{visit['id']}/notes", json={"mode": "generate"})).json()
    later = (await api.post(VISITS, json=_visit_body(patient["id"]))).json()
    response = await api.post(f"{VISITS}/{later['id']}/notes", json={"mode": "attach", "note_id": note["id"]})
    assert response.status_code == 200, response.text
    assert response.json()["id"] == note["id"]
    linked = (await api.get(f"{VISITS}/{later['id']}")).json()
    assert (linked["draft_note_id"], linked["encounter_id"]) == (note["id"], note["encounter_id"])


async def test_attach_refuses_another_patients_note_or_a_missing_one(api, visit, other_patient):
    note = (await api.post(f"{VISITS}/{visit['id']}/notes", json={"mode": "generate"})).json()
    theirs = (await api.post(VISITS, json=_visit_body(other_patient["id"]))).json()
    path = f"{VISITS}/{theirs['id']}/notes"
    assert_error(await api.post(path, json={"mode": "attach", "note_id": note["id"]}), 422, "note_mismatch", "note_id")
    response = await api.post(path, json={"mode": "attach", "note_id": "note_nope"})
    assert_error(response, 404, "resource_missing", param="note_id")
    assert_error(await api.post(path, json={"mode": "attach"}), 422, "parameter_missing", param="note_id")
    assert (await api.get(f"{VISITS}/{theirs['id']}")).json()["draft_note_id"] is None


async def test_no_notes_for_a_visit_that_did_not_happen(api, visit):
    await _move(api, visit["id"], "cancelled")
    response = await api.post(f"{VISITS}/{visit['id']}/notes", json={"mode": "generate"})
    assert_error(response, 409, "visit_not_held")

"""Tasks: the follow-up queue; claim, complete and snooze, and the due reminder re-armed by a new due time."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from talkya_console.wire import Task
from talkya_console.wire.common import format_timestamp
from talkya_console.wire.users import ALL_SCOPES
from tests.conftest import NORTHSIDE_HEADERS, READONLY_HEADERS
from tests.sandbox_helpers import assert_error, walk

JORDAN_KEY = "tk_test_jordan_usr_102"


def later(**delta: float) -> str:
    return format_timestamp(datetime.now(UTC) + timedelta(**delta))


@pytest.fixture
async def patient_id(api) -> str:
    return (await api.get("/v1/patients", params={"limit": 1})).json()["data"][0]["id"]


@pytest.fixture
async def task(api, patient_id):
    body = {
        "title": "Call back about Botox consult",
        "assignee_role": "front_desk",
        "due_at": later(hours=2),
        "priority": "high",
        "patient_id": patient_id,
    }
    return (await api.post("/v1/tasks", json=body)).json()


@pytest.fixture
async def jordan(sandbox_app, sandbox) -> AsyncIterator[httpx.AsyncClient]:
    """A client whose key acts for Jordan Reyes (usr_102, front desk), as a signed-in user's would."""
    sandbox.auth.add_key(JORDAN_KEY, "ws_truebliss", "jordan", ALL_SCOPES, user_id="usr_102")
    headers = {"Authorization": f"Bearer {JORDAN_KEY}", "Talkya-Workspace": "ws_truebliss"}
    transport = httpx.ASGITransport(app=sandbox_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox", headers=headers) as client:
        yield client


def set_followup(sandbox, task_id: str) -> None:
    """Mark the task as already reminded, as the due-notifier does."""
    stored = sandbox.db.get("task", "ws_truebliss", task_id, Task)
    stored.followup_due_at = stored.due_at
    sandbox.db.update("task", "ws_truebliss", stored)


# -- create ---------------------------------------------------------------------------------


async def test_create_stores_the_task_open_for_its_role(task, patient_id):
    assert task["id"].startswith("task_")
    assert (task["status"], task["priority"], task["assignee_role"]) == ("open", "high", "front_desk")
    assert task["patient_id"] == patient_id
    assert task["due_at"].endswith("Z")
    assert task["completed_at"] is None and task["followup_due_at"] is None


async def test_a_due_time_with_an_offset_is_stored_in_utc(api):
    task = (await api.post("/v1/tasks", json={"title": "T", "due_at": "2030-01-01T09:00:00-05:00"})).json()
    assert task["due_at"] == "2030-01-01T14:00:00Z"


@pytest.mark.parametrize(
    ("body", "status", "code", "param"),
    [
        ({"title": "T", "assignee_user_id": "usr_999"}, 404, "resource_missing", "assignee_user_id"),
        ({"title": "T", "assignee_user_id": "usr_201"}, 404, "resource_missing", "assignee_user_id"),
        ({"title": "T", "patient_id": "pat_nope"}, 404, "resource_missing", "patient_id"),
        ({"title": "T", "contact_id": "con_nope"}, 404, "resource_missing", "contact_id"),
        ({"title": "T", "assignee_role": "janitor"}, 422, "parameter_invalid", "assignee_role"),
        ({"title": "T", "priority": "asap"}, 422, "parameter_invalid", "priority"),
        ({"title": "T", "due_at": "tomorrow"}, 422, "parameter_invalid", "due_at"),
        ({"title": "T", "due_at": "9999-12-31T23:59:59-05:00"}, 422, "parameter_invalid", "due_at"),
        ({"title": "T", "status": "done"}, 422, "parameter_unknown", "status"),
        ({"title": ""}, 422, "parameter_invalid", "title"),
        ({"priority": "low"}, 422, "parameter_missing", "title"),
    ],
)
async def test_a_bad_task_body_is_refused_naming_the_field(api, body, status, code, param):
    assert_error(await api.post("/v1/tasks", json=body), status, code, param=param)


async def test_an_assignee_must_be_a_user_not_another_record(api, patient_id):
    response = await api.post("/v1/tasks", json={"title": "T", "assignee_user_id": patient_id})
    assert_error(response, 404, "resource_missing", "assignee_user_id")


# -- list -----------------------------------------------------------------------------------


async def test_task_filters_each_return_the_right_rows(api, patient_id):
    bodies = [
        {"title": "a", "assignee_user_id": "usr_104", "due_at": "2030-01-01T10:00:00Z", "priority": "urgent"},
        {"title": "b", "assignee_role": "va", "due_at": "2030-01-03T10:00:00Z", "patient_id": patient_id},
        {"title": "c", "assignee_role": "billing", "handoff_id": "ho_test_1", "priority": "low"},
    ]
    a, b, c = [(await api.post("/v1/tasks", json=body)).json() for body in bodies]
    await api.post(f"/v1/tasks/{c['id']}/complete", json={"disposition": "collected"})
    mine = {a["id"], b["id"], c["id"]}

    async def found(**params: str) -> set[str]:
        return {t["id"] for t in await walk(api, "/v1/tasks", **params)} & mine

    assert await found(assignee="usr_104") == {a["id"]}
    assert await found(assignee="va") == {b["id"]}
    assert await found(status="open") == {a["id"], b["id"]}
    assert await found(status="done") == {c["id"]}
    assert await found(due_before="2030-01-02T00:00:00Z") == {a["id"]}
    assert await found(due_before="2030-01-03T10:00:00Z") == {a["id"]}  # before is strict
    assert await found(due_before="2030-01-03T06:00:01-04:00") == {a["id"], b["id"]}
    assert await found(patient_id=patient_id) == {b["id"]}
    assert await found(priority="urgent") == {a["id"]}
    assert await found(handoff_id="ho_test_1") == {c["id"]}
    assert await found(assignee="va", status="done") == set()
    assert all(t["status"] == "open" for t in await walk(api, "/v1/tasks", status="open"))


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({"due_before": "soon"}, "due_before"),
        ({"due_before": "9999-12-31T23:59:59-05:00"}, "due_before"),
        ({"status": "blocked"}, "status"),
        ({"priority": "p1"}, "priority"),
    ],
)
async def test_a_bad_task_filter_is_400(api, params, param):
    assert_error(await api.get("/v1/tasks", params=params), 400, "parameter_invalid", param)


# -- update ---------------------------------------------------------------------------------


async def test_changing_due_at_re_arms_the_due_reminder(api, sandbox, task):
    set_followup(sandbox, task["id"])
    kept = (await api.patch(f"/v1/tasks/{task['id']}", json={"priority": "urgent"})).json()
    assert kept["followup_due_at"] == task["due_at"]
    moved = (await api.patch(f"/v1/tasks/{task['id']}", json={"due_at": later(days=1)})).json()
    assert moved["followup_due_at"] is None
    assert (await api.get(f"/v1/tasks/{task['id']}")).json()["followup_due_at"] is None


async def test_setting_status_done_stamps_completed_at_and_reopening_clears_it(api, task):
    done = (await api.patch(f"/v1/tasks/{task['id']}", json={"status": "done", "disposition": "booked"})).json()
    assert done["completed_at"] is not None
    reopened = (await api.patch(f"/v1/tasks/{task['id']}", json={"status": "open"})).json()
    assert (reopened["status"], reopened["completed_at"]) == ("open", None)


@pytest.mark.parametrize(
    ("body", "status", "code", "param"),
    [
        ({"status": "done", "snoozed_until": "2030-01-01T00:00:00Z"}, 422, "parameter_invalid", "snoozed_until"),
        ({"assignee_user_id": "usr_nope"}, 404, "resource_missing", "assignee_user_id"),
        ({"status": None}, 422, "parameter_invalid", "status"),
        ({"title": None}, 422, "parameter_invalid", "title"),
        ({"followup_due_at": None}, 422, "parameter_unknown", "followup_due_at"),
    ],
)
async def test_a_bad_task_update_is_refused_naming_the_field(api, task, body, status, code, param):
    assert_error(await api.patch(f"/v1/tasks/{task['id']}", json=body), status, code, param=param)


async def test_clearing_the_assignee_is_allowed(api):
    task = (await api.post("/v1/tasks", json={"title": "T", "assignee_user_id": "usr_104"})).json()
    assert (await api.patch(f"/v1/tasks/{task['id']}", json={"assignee_user_id": None})).json()[
        "assignee_user_id"
    ] is None


# -- claim ----------------------------------------------------------------------------------


async def test_a_signed_in_user_claims_for_themselves(jordan, task):
    claimed = (await jordan.post(f"/v1/tasks/{task['id']}/claim")).json()
    assert (claimed["assignee_user_id"], claimed["status"]) == ("usr_102", "in_progress")
    again = await jordan.post(f"/v1/tasks/{task['id']}/claim", json={})
    assert again.status_code == 200 and again.json()["assignee_user_id"] == "usr_102"


async def test_an_api_key_claims_for_the_user_it_names(api, task):
    claimed = (await api.post(f"/v1/tasks/{task['id']}/claim", json={"user_id": "usr_103"})).json()
    assert (claimed["assignee_user_id"], claimed["status"]) == ("usr_103", "in_progress")


async def test_an_api_key_claiming_for_nobody_is_422_user_required(api, task):
    assert_error(await api.post(f"/v1/tasks/{task['id']}/claim"), 422, "user_required", "user_id")
    assert_error(await api.post(f"/v1/tasks/{task['id']}/claim", json={}), 422, "user_required", "user_id")


async def test_claiming_for_an_unknown_user_is_404(api, task):
    response = await api.post(f"/v1/tasks/{task['id']}/claim", json={"user_id": "usr_201"})
    assert_error(response, 404, "resource_missing", "user_id")


async def test_a_user_cannot_claim_in_someone_elses_name(jordan, task):
    response = await jordan.post(f"/v1/tasks/{task['id']}/claim", json={"user_id": "usr_103"})
    assert_error(response, 422, "user_mismatch", "user_id")


async def test_a_task_someone_is_working_on_cannot_be_claimed_by_another(api, jordan, task):
    await api.post(f"/v1/tasks/{task['id']}/claim", json={"user_id": "usr_103"})
    assert_error(await jordan.post(f"/v1/tasks/{task['id']}/claim"), 409, "task_claimed")


# -- complete and snooze --------------------------------------------------------------------


async def test_complete_records_the_disposition_and_time(api, task):
    done = (await api.post(f"/v1/tasks/{task['id']}/complete", json={"disposition": "left_voicemail"})).json()
    assert (done["status"], done["disposition"]) == ("done", "left_voicemail")
    assert done["completed_at"] is not None


async def test_a_closed_task_cannot_be_completed_claimed_or_snoozed(api, task):
    url = f"/v1/tasks/{task['id']}"
    await api.post(f"{url}/complete", json={"disposition": "booked"})
    assert_error(await api.post(f"{url}/complete", json={"disposition": "booked"}), 409, "task_closed")
    assert_error(await api.post(f"{url}/claim", json={"user_id": "usr_102"}), 409, "task_closed")
    assert_error(await api.post(f"{url}/snooze", json={"until": later(days=1)}), 409, "task_closed")
    await api.patch(url, json={"status": "cancelled"})
    assert_error(await api.post(f"{url}/complete", json={"disposition": "x"}), 409, "task_closed")


@pytest.mark.parametrize(("body", "code"), [({}, "parameter_missing"), ({"disposition": ""}, "parameter_invalid")])
async def test_complete_needs_a_disposition(api, task, body, code):
    assert_error(await api.post(f"/v1/tasks/{task['id']}/complete", json=body), 422, code, "disposition")


async def test_snooze_moves_the_due_time_and_re_arms_the_reminder(api, sandbox, task):
    set_followup(sandbox, task["id"])
    until = later(days=2)
    snoozed = (await api.post(f"/v1/tasks/{task['id']}/snooze", json={"until": until})).json()
    assert (snoozed["snoozed_until"], snoozed["due_at"], snoozed["followup_due_at"]) == (until, until, None)
    assert snoozed["status"] == "open"


@pytest.mark.parametrize(
    ("until", "code"),
    [
        ("2020-01-01T00:00:00Z", "snooze_in_past"),
        ("in an hour", "parameter_invalid"),
        ("9999-12-31T23:59:59-05:00", "parameter_invalid"),
    ],
)
async def test_snoozing_into_the_past_or_to_nonsense_is_422(api, task, until, code):
    assert_error(await api.post(f"/v1/tasks/{task['id']}/snooze", json={"until": until}), 422, code, "until")
    assert (await api.get(f"/v1/tasks/{task['id']}")).json()["due_at"] == task["due_at"]


# -- scopes and workspaces ------------------------------------------------------------------


async def test_read_only_key_can_list_but_not_change_tasks(api, task):
    url = f"/v1/tasks/{task['id']}"
    assert (await api.get(url, headers=READONLY_HEADERS)).status_code == 200
    refusals = [
        api.post("/v1/tasks", json={"title": "T"}, headers=READONLY_HEADERS),
        api.patch(url, json={"priority": "low"}, headers=READONLY_HEADERS),
        api.post(f"{url}/claim", json={"user_id": "usr_102"}, headers=READONLY_HEADERS),
        api.post(f"{url}/complete", json={"disposition": "x"}, headers=READONLY_HEADERS),
        api.post(f"{url}/snooze", json={"until": later(days=1)}, headers=READONLY_HEADERS),
    ]
    for request in refusals:
        assert_error(await request, 403, "insufficient_scope")


async def test_another_workspaces_task_is_404_on_every_route(api, task):
    url = f"/v1/tasks/{task['id']}"
    h = NORTHSIDE_HEADERS
    assert_error(await api.get(url, headers=h), 404, "resource_missing")
    assert_error(await api.patch(url, json={"priority": "low"}, headers=h), 404, "resource_missing")
    assert_error(await api.post(f"{url}/claim", json={"user_id": "usr_201"}, headers=h), 404, "resource_missing")
    assert_error(await api.post(f"{url}/complete", json={"disposition": "x"}, headers=h), 404, "resource_missing")
    assert_error(await api.post(f"{url}/snooze", json={"until": later(days=1)}, headers=h), 404, "resource_missing")
    assert task["id"] not in [t["id"] for t in (await api.get("/v1/tasks", headers=h)).json()["data"]]


async def test_unknown_task_is_404(api):
    assert_error(await api.get("/v1/tasks/task_nope"), 404, "resource_missing")
    assert_error(await api.post("/v1/tasks/task_nope/complete", json={"disposition": "x"}), 404, "resource_missing")

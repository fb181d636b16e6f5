"""OpenClaw: runs pick tools by intent, stay within their allowed tools, and leave real records;
handoffs go open -> claimed -> resolved; the demo seed is deterministic and fast."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator

import httpx
import pytest

from talkya_console.sandbox.app import create_app
from talkya_console.sandbox.db import Where
from talkya_console.sandbox.openclaw import start_run
from talkya_console.sandbox.seed.agents import CHANNEL_BILLING, CHANNEL_FRONT_DESK, seed_agents
from talkya_console.sandbox.seed.people import seed_patients
from talkya_console.wire import AgentRun, Event, Handoff, HermesEvent, Task
from talkya_console.wire.users import ALL_SCOPES
from tests.conftest import DEMO_TODAY, NORTHSIDE_HEADERS, READONLY_HEADERS
from tests.sandbox_helpers import assert_error, walk

WS = "ws_truebliss"
EVERY_TOOL = ["answer", "book_appointment", "create_task", "write_crm", "open_ehr_handoff", "alert_human"]
VA_KEY = "tk_test_marcus_usr_104"


@pytest.fixture
async def patient_id(api) -> str:
    return (await api.get("/v1/patients", params={"limit": 1})).json()["data"][0]["id"]


@pytest.fixture
def call_id(sandbox) -> str:
    """A call record to point at; the receptionist area owns its shape, so only its id matters here."""
    sandbox.db.conn.execute(
        "INSERT INTO records (id, kind, workspace_id, ts, data) VALUES ('call_agents1', 'call', ?, 1, ?)",
        (WS, '{"id": "call_agents1", "object": "call"}'),
    )
    return "call_agents1"


@pytest.fixture
async def marcus(sandbox_app, sandbox) -> AsyncIterator[httpx.AsyncClient]:
    """A client acting as Marcus Bell (usr_104, a VA), as a signed-in user's token would."""
    sandbox.auth.add_key(VA_KEY, WS, "marcus", ALL_SCOPES, user_id="usr_104")
    headers = {"Authorization": f"Bearer {VA_KEY}", "Talkya-Workspace": WS}
    transport = httpx.ASGITransport(app=sandbox_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox", headers=headers) as client:
        yield client


async def run(api, text: str, tools: list[str] | None = None, **context: str) -> dict:
    body = {"input": text, "allowed_tools": tools or EVERY_TOOL, "context": context}
    response = await api.post("/v1/agents/runs", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def events(sandbox, type_: str) -> list[dict]:
    return [e.data for e in sandbox.db.all("event", WS, Event, Where().eq("type", type_))]


def tools_of(run_: dict) -> list[str]:
    return [c["tool"] for c in run_["tool_calls"]]


# -- runs -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "tools", "outcome"),
    [
        ("Can I reschedule my appointment to Friday?", ["book_appointment"], "tool_completed"),
        ("How much does Botox cost?", ["answer"], "answered"),
        ("I was charged twice, I want a refund", ["create_task"], "task_created"),
        ("I'm interested in laser hair removal", ["write_crm"], "crm_written"),
        ("What are your hours on Saturday?", ["answer"], "answered"),
        ("I need a refill of my GLP-1", ["open_ehr_handoff", "create_task"], "handoff"),
        ("I am furious, nobody called me back", ["alert_human"], "alerted"),
    ],
)
async def test_each_intent_calls_its_tools(api, text, tools, outcome):
    created = await run(api, text)
    assert created["id"].startswith("run_")
    assert created["status"] == "completed"
    assert tools_of(created) == tools
    assert created["outcome"]["type"] == outcome
    assert created["completed_at"].endswith("Z")
    assert (await api.get(f"/v1/agents/runs/{created['id']}")).json() == created


async def test_booking_books_the_next_weekday_as_a_reschedule(api, patient_id):
    created = await run(api, "Please reschedule my appointment", patient_id=patient_id)
    result = created["tool_calls"][0]["result"]
    assert result["status"] == "booked"
    assert result["kind"] == "reschedule"
    assert result["patient_id"] == patient_id
    assert result["starts_at"].endswith("T15:00:00Z")
    assert created["handoff_ids"] == []


async def test_price_answer_names_the_service(api):
    created = await run(api, "what is the price for botox?")
    assert "$14 per unit" in created["tool_calls"][0]["result"]["text"]


async def test_medication_opens_a_provider_handoff_with_a_linked_task(api, sandbox, patient_id, call_id):
    created = await run(api, "Can I get a semaglutide refill?", patient_id=patient_id, call_id=call_id)
    [handoff_id] = created["handoff_ids"]
    task_id = created["tool_calls"][1]["result"]["task_id"]
    handoff = (await api.get(f"/v1/agents/handoffs/{handoff_id}")).json()
    assert handoff["assignee_role"] == "provider"
    assert handoff["priority"] == "high"
    assert handoff["run_id"] == created["id"]
    assert (handoff["patient_id"], handoff["call_id"], handoff["task_id"]) == (patient_id, call_id, task_id)
    task = sandbox.db.get("task", WS, task_id, Task)
    assert (task.handoff_id, task.assignee_role, task.patient_id, task.status) == (
        handoff_id,
        "provider",
        patient_id,
        "open",
    )
    assert task.due_at is not None


async def test_billing_task_goes_to_billing(api, sandbox):
    created = await run(api, "question about my bill")
    task = sandbox.db.get("task", WS, created["tool_calls"][0]["result"]["task_id"], Task)
    assert task.assignee_role == "billing"
    assert task.handoff_id is None


async def test_emergency_alerts_staff_through_hermes_and_hands_off_urgently(api, sandbox, patient_id):
    route = {
        "name": "Urgent alerts to providers",
        "match": {"kinds": ["staff_alert"], "conditions": {"priority": "urgent"}},
        "destination": {"kind": "role", "target": "provider"},
    }
    route_id = (await api.post("/v1/hermes/routes", json=route)).json()["id"]
    created = await run(api, "This is an emergency, my lip is swelling", patient_id=patient_id)
    assert created["outcome"]["type"] == "alerted"
    alert = created["tool_calls"][0]["result"]
    assert alert["deliveries"] == [route_id]
    stored = sandbox.db.get("hermes_event", WS, alert["hermes_event_id"], HermesEvent)
    assert (stored.kind, stored.type, stored.patient_id) == ("staff_alert", "staff_alert.emergency", patient_id)
    handoff = (await api.get(f"/v1/agents/handoffs/{created['handoff_ids'][0]}")).json()
    assert (handoff["priority"], handoff["assignee_role"]) == ("urgent", "front_desk")
    assert "swelling" not in str(events(sandbox, "hermes.event.routed"))


async def test_complaint_is_high_priority_for_the_vas(api):
    created = await run(api, "I want to file a complaint")
    handoff = (await api.get(f"/v1/agents/handoffs/{created['handoff_ids'][0]}")).json()
    assert (handoff["priority"], handoff["assignee_role"]) == ("high", "va")


async def test_a_step_needing_a_disallowed_tool_becomes_a_handoff(api):
    created = await run(api, "Can I book an appointment?", ["answer"])
    assert created["tool_calls"] == []
    assert created["outcome"]["type"] == "handoff"
    handoff = (await api.get(f"/v1/agents/handoffs/{created['handoff_ids'][0]}")).json()
    assert "needs a tool this run may not use (book_appointment)" in handoff["reason"]
    assert handoff["status"] == "open"


async def test_only_allowed_tools_are_called_and_one_handoff_covers_the_rest(api, sandbox):
    created = await run(api, "refill my medication please", ["create_task"])
    assert tools_of(created) == ["create_task"]
    [handoff_id] = created["handoff_ids"]
    handoff = (await api.get(f"/v1/agents/handoffs/{handoff_id}")).json()
    assert "(open_ehr_handoff)" in handoff["reason"]
    assert sandbox.db.get("task", WS, handoff["task_id"], Task).handoff_id == handoff_id


async def test_run_and_handoff_events_carry_ids_only(api, sandbox, patient_id):
    created = await run(api, "refill please", patient_id=patient_id)
    assert events(sandbox, "openclaw.run.completed") == [
        {"run_id": created["id"], "status": "completed", "outcome": "handoff"}
    ]
    assert events(sandbox, "openclaw.handoff.created") == [
        {
            "handoff_id": created["handoff_ids"][0],
            "run_id": created["id"],
            "patient_id": patient_id,
            "call_id": None,
            "priority": "high",
        }
    ]


async def test_context_references_must_exist(api, call_id):
    body = {"input": "hi", "allowed_tools": ["answer"]}
    response = await api.post("/v1/agents/runs", json={**body, "context": {"patient_id": "pat_nope"}})
    assert_error(response, 404, "resource_missing", param="context.patient_id")
    response = await api.post("/v1/agents/runs", json={**body, "context": {"call_id": "call_nope"}})
    assert_error(response, 404, "resource_missing", param="context.call_id")
    response = await api.post("/v1/agents/runs", json={**body, "context": {"patient_id": 7}})
    assert_error(response, 422, "parameter_invalid", param="context.patient_id")
    assert (await api.post("/v1/agents/runs", json={**body, "context": {"call_id": call_id}})).status_code == 201


async def test_unknown_or_missing_tools_are_422(api):
    response = await api.post("/v1/agents/runs", json={"input": "hi", "allowed_tools": ["launch_rockets"]})
    assert_error(response, 422, "parameter_invalid", param="allowed_tools.0")
    assert_error(await api.post("/v1/agents/runs", json={"input": "hi", "allowed_tools": []}), 422, "parameter_invalid")


async def test_start_run_is_callable_without_http(sandbox):
    created = start_run(sandbox, WS, "I'd like a refund", ["create_task"], None, actor="simulator")
    assert isinstance(created, AgentRun)
    assert created.started_by == "simulator"
    assert sandbox.db.get("agent_run", WS, created.id, AgentRun) == created


async def test_list_runs_filters_by_status(api):
    created = await run(api, "hello")
    assert created["id"] in [r["id"] for r in await walk(api, "/v1/agents/runs", status="completed")]
    assert await walk(api, "/v1/agents/runs", status="failed") == []
    assert_error(await api.get("/v1/agents/runs", params={"status": "nope"}), 400, "parameter_invalid", "status")


async def test_a_retried_run_with_its_idempotency_key_runs_once(api, sandbox):
    body = {"input": "refund please", "allowed_tools": ["create_task"]}
    first = await api.post("/v1/agents/runs", json=body, headers={"Idempotency-Key": "run-1"})
    again = await api.post("/v1/agents/runs", json=body, headers={"Idempotency-Key": "run-1"})
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    assert len(events(sandbox, "openclaw.run.completed")) == 1


async def test_read_only_key_cannot_start_runs_and_other_workspaces_see_nothing(api):
    response = await api.post(
        "/v1/agents/runs", json={"input": "hi", "allowed_tools": ["answer"]}, headers=READONLY_HEADERS
    )
    assert "agents:write" in assert_error(response, 403, "insufficient_scope")["message"]
    created = await run(api, "refill please")
    assert_error(await api.get(f"/v1/agents/runs/{created['id']}", headers=NORTHSIDE_HEADERS), 404, "resource_missing")
    path = f"/v1/agents/handoffs/{created['handoff_ids'][0]}"
    assert_error(await api.get(path, headers=NORTHSIDE_HEADERS), 404, "resource_missing")
    assert_error(
        await api.post(f"{path}/claim", json={"user_id": "usr_201"}, headers=NORTHSIDE_HEADERS), 404, "resource_missing"
    )
    assert (await api.get(path, headers=READONLY_HEADERS)).status_code == 200


# -- handoffs ----------------------------------------------------------------------------------


@pytest.fixture
async def handoff(api, patient_id) -> dict:
    body = {"reason": "Caller wants a callback", "priority": "high", "patient_id": patient_id, "assignee_role": "va"}
    response = await api.post("/v1/agents/handoffs", json=body)
    assert response.status_code == 201, response.text
    return response.json()


async def test_create_handoff_emits_and_links_to_its_run(api, sandbox):
    created = await run(api, "hello")
    body = {"reason": "Follow up", "run_id": created["id"]}
    handoff = (await api.post("/v1/agents/handoffs", json=body)).json()
    assert (handoff["id"][:3], handoff["status"], handoff["assignee_role"]) == ("ho_", "open", "front_desk")
    assert (await api.get(f"/v1/agents/runs/{created['id']}")).json()["handoff_ids"] == [handoff["id"]]
    assert events(sandbox, "openclaw.handoff.created")[0]["handoff_id"] == handoff["id"]


async def test_create_handoff_checks_its_references(api):
    for field, value in [
        ("patient_id", "pat_x"),
        ("run_id", "run_x"),
        ("assignee_user_id", "usr_x"),
        ("call_id", "call_x"),
    ]:
        response = await api.post("/v1/agents/handoffs", json={"reason": "r", field: value})
        assert_error(response, 404, "resource_missing", param=field)


async def test_list_handoffs_by_status_and_assignee(api, marcus, handoff):
    assert [h["id"] for h in await walk(api, "/v1/agents/handoffs", assignee="va")] == [handoff["id"]]
    assert await walk(api, "/v1/agents/handoffs", assignee="usr_104") == []
    await marcus.post(f"/v1/agents/handoffs/{handoff['id']}/claim")
    assert [h["id"] for h in await walk(api, "/v1/agents/handoffs", assignee="usr_104", status="claimed")] == [
        handoff["id"]
    ]
    assert await walk(api, "/v1/agents/handoffs", status="open") == []


async def test_a_user_claims_for_themselves(marcus, handoff):
    claimed = (await marcus.post(f"/v1/agents/handoffs/{handoff['id']}/claim")).json()
    assert (claimed["status"], claimed["assignee_user_id"]) == ("claimed", "usr_104")
    assert claimed["claimed_at"].endswith("Z")
    again = await marcus.post(f"/v1/agents/handoffs/{handoff['id']}/claim")
    assert again.status_code == 200
    mismatch = await marcus.post(f"/v1/agents/handoffs/{handoff['id']}/claim", json={"user_id": "usr_105"})
    assert_error(mismatch, 422, "user_mismatch", param="user_id")


async def test_an_api_key_claims_for_a_named_user(api, handoff):
    path = f"/v1/agents/handoffs/{handoff['id']}/claim"
    assert_error(await api.post(path), 422, "user_required", param="user_id")
    assert_error(await api.post(path, json={"user_id": "usr_999"}), 404, "resource_missing", param="user_id")
    assert (await api.post(path, json={"user_id": "usr_105"})).json()["assignee_user_id"] == "usr_105"
    assert_error(await api.post(path, json={"user_id": "usr_104"}), 409, "handoff_claimed")


async def test_resolve_closes_the_handoff_and_its_task(api, sandbox):
    created = await run(api, "refill my prescription")
    handoff_id = created["handoff_ids"][0]
    path = f"/v1/agents/handoffs/{handoff_id}"
    resolved = (await api.post(f"{path}/resolve", json={"resolution": "Provider approved the refill."})).json()
    assert (resolved["status"], resolved["resolution"]) == ("resolved", "Provider approved the refill.")
    assert resolved["resolved_at"].endswith("Z")
    task = sandbox.db.get("task", WS, resolved["task_id"], Task)
    assert (task.status, task.disposition) == ("done", "handoff_resolved")
    assert task.completed_at is not None
    assert_error(await api.post(f"{path}/claim", json={"user_id": "usr_104"}), 409, "handoff_resolved")
    assert_error(await api.post(f"{path}/resolve", json={"resolution": "again"}), 409, "handoff_resolved")
    assert_error(await api.patch(path, json={"priority": "low"}), 409, "handoff_resolved")


async def test_resolve_needs_a_resolution(api, handoff):
    response = await api.post(f"/v1/agents/handoffs/{handoff['id']}/resolve", json={})
    assert_error(response, 422, "parameter_missing", param="resolution")


async def test_patch_updates_and_moves_status_consistently(api, handoff):
    path = f"/v1/agents/handoffs/{handoff['id']}"
    assert_error(await api.patch(path, json={"status": "claimed"}), 422, "user_required", param="assignee_user_id")
    assert_error(await api.patch(path, json={"assignee_user_id": "usr_x"}), 404, "resource_missing")
    claimed = (await api.patch(path, json={"status": "claimed", "assignee_user_id": "usr_104"})).json()
    assert (claimed["status"], claimed["claimed_at"] is not None) == ("claimed", True)
    released = (await api.patch(path, json={"status": "open"})).json()
    assert (released["assignee_user_id"], released["claimed_at"]) == (None, None)
    assert_error(await api.patch(path, json={"status": "resolved"}), 422, "parameter_missing", param="resolution")
    done = (await api.patch(path, json={"status": "resolved", "resolution": "Handled by phone."})).json()
    assert done["resolved_at"] is not None


async def test_null_status_or_priority_is_422_not_500(api, handoff):
    for field in ("status", "priority"):
        response = await api.patch(f"/v1/agents/handoffs/{handoff['id']}", json={field: None})
        assert_error(response, 422, "parameter_invalid", param=field)


# -- seed --------------------------------------------------------------------------------------


def seeded_rows() -> list[tuple]:
    app = create_app(":memory:", seed="empty")
    sandbox = app.state.sandbox
    patients = seed_patients(sandbox, 40)
    seed_agents(sandbox, patients, random.Random(5), today=DEMO_TODAY)
    rows = sandbox.db.conn.execute(
        "SELECT id, kind, ts, data FROM records WHERE kind != 'patient' ORDER BY id"
    ).fetchall()
    assert sandbox.db.count("event", WS) == 0
    return rows


def test_seed_is_deterministic():
    assert seeded_rows() == seeded_rows()


def test_seed_builds_a_triage_queue_and_routes():
    app = create_app(":memory:", seed="empty")
    sandbox = app.state.sandbox
    seed_agents(sandbox, seed_patients(sandbox, 40), random.Random(5), today=DEMO_TODAY)
    runs = sandbox.db.all("agent_run", WS, AgentRun)
    handoffs = sandbox.db.all("handoff", WS, Handoff)
    assert len(runs) == 30
    assert all(r.outcome is not None and (r.tool_calls or r.handoff_ids) for r in runs)
    assert 10 <= len(handoffs) <= 16
    assert {h.status for h in handoffs} == {"open", "claimed", "resolved"}
    assert {h.assignee_role for h in handoffs} >= {"va", "front_desk"}
    assert {h.assignee_user_id for h in handoffs} >= {"usr_104"}
    for h in handoffs:
        if h.status == "resolved" and h.task_id:
            assert sandbox.db.get("task", WS, h.task_id, Task).status == "done"
    targets = {
        row[0]
        for row in sandbox.db.conn.execute(
            "SELECT json_extract(data, '$.destination.target') FROM records WHERE kind = 'hermes_route'"
        )
    }
    assert {CHANNEL_FRONT_DESK, CHANNEL_BILLING} <= targets
    assert sandbox.db.count("hermes_route", WS) == 8

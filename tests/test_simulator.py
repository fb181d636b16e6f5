"""The simulator keeps the demo clinic busy through the public API, with the events a real one makes."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from datetime import timedelta

import pytest

from talkya_console.sandbox.app import create_app
from talkya_console.sandbox.context import Limits
from talkya_console.sandbox.db import Where
from talkya_console.sandbox.reminders import fire_due
from talkya_console.sandbox.simulator import Simulator
from talkya_console.wire import AuditEntry, Call, Event, Handoff, Lead, Message, Task
from talkya_console.wire.common import now
from tests.conftest import DEMO_TODAY

WS = "ws_truebliss"


async def no_wait(_: float) -> None:
    await asyncio.sleep(0)


@pytest.fixture
def demo():
    app = create_app(":memory:", seed="demo", patients=60, limits=Limits(rate_limit=None), today=DEMO_TODAY)
    return app.state.sandbox


@pytest.fixture
async def sim(demo):
    simulator = Simulator(demo, rate=1.0, seed=7, sleep=no_wait)
    yield simulator
    await simulator.stop()


def _events(sandbox, type_: str) -> list[Event]:
    return sandbox.db.all("event", WS, Event, Where().eq("type", type_))


def _since(sandbox, start_count: int) -> list[str]:
    rows = sandbox.db.conn.execute(
        "SELECT json_extract(data, '$.type') FROM records WHERE kind = 'event' AND workspace_id = ? ORDER BY ts", (WS,)
    ).fetchall()
    return [r[0] for r in rows][start_count:]


async def test_a_call_streams_its_transcript_then_completes(demo, sim):
    before = demo.db.count("event", WS)
    call_id = await sim.call(intent="price_shopping", outcome="info_provided")
    types = _since(demo, before)
    assert types[0] == "receptionist.call.started"
    assert types[-1] == "receptionist.call.completed"
    updates = [t for t in types if t == "receptionist.call.transcript.updated"]
    assert len(updates) >= 8
    call = demo.db.get("call", WS, call_id, Call)
    assert (call.status, call.intent, call.outcome) == ("completed", "price_shopping", "info_provided")


async def test_a_booked_call_from_a_patient_books_an_encounter_through_the_api(demo, sim):
    call_id = await sim.call(intent="new_consult", outcome="appointment_booked", known_caller=True)
    assert [e.data["call_id"] for e in _events(demo, "appointment.booked")] == [call_id]
    rows = demo.db.conn.execute(
        "SELECT id FROM records WHERE kind = 'encounter' AND json_extract(data, '$.metadata.call_id') = ?", (call_id,)
    ).fetchall()
    assert len(rows) == 1
    (entry,) = demo.db.all("audit_entry", WS, AuditEntry, Where().eq("record_id", rows[0][0]))
    assert entry.actor.type == "user", "the simulator writes as a staff member, audited as them"


async def test_an_unknown_caller_becomes_a_lead(demo, sim):
    call_id = await sim.call(intent="price_shopping", outcome="lead_created", known_caller=False)
    leads = demo.db.all("lead", WS, Lead, Where().eq("call_id", call_id))
    assert len(leads) == 1
    assert leads[0].source == "ai_receptionist"
    assert [e.data["lead_id"] for e in _events(demo, "lead.created")] == [leads[0].id]


async def test_a_handoff_call_runs_openclaw_which_hands_off_to_staff(demo, sim):
    call_id = await sim.call(intent="glp1_refill", outcome="handoff", known_caller=True)
    handoffs = demo.db.all("handoff", WS, Handoff, Where().eq("call_id", call_id))
    assert handoffs, "the refill review needs a person"
    assert {e.data["handoff_id"] for e in _events(demo, "openclaw.handoff.created")} >= {h.id for h in handoffs}
    assert _events(demo, "openclaw.run.completed")


async def test_staff_chatter_is_posted_by_staff(demo, sim):
    before = demo.db.count("message", WS)
    await sim.chatter()
    assert demo.db.count("message", WS) == before + 1
    newest = demo.db.all("message", WS, Message)[0]
    assert newest.author.type == "user"
    assert _events(demo, "message.created")


async def test_a_telehealth_visit_runs_to_completion_with_a_draft_note(demo, sim):
    await sim.telehealth()
    (completed,) = _events(demo, "telehealth.visit.completed")
    visit = (await sim.api("GET", f"/v1/telehealth/visits/{completed.data['visit_id']}", "usr_114")) or {}
    assert visit["status"] == "completed"
    assert visit["draft_note_id"]


async def test_a_task_made_to_come_due_is_reminded_of(demo, sim):
    await sim.task_coming_due()
    newest = demo.db.all("task", WS, Task)[0]
    assert newest.due_at > now()
    assert fire_due(demo, at=newest.due_at + timedelta(seconds=1)) >= 1
    assert newest.id in {e.data["task_id"] for e in _events(demo, "task.followup_due")}


async def test_the_same_seed_makes_the_same_calls(demo):
    outcomes = defaultdict(list)
    for round_ in range(2):
        sandbox = create_app(
            ":memory:", seed="demo", patients=60, limits=Limits(rate_limit=None), today=DEMO_TODAY
        ).state.sandbox
        simulator = Simulator(sandbox, seed=99, sleep=no_wait)
        for _ in range(3):
            call = sandbox.db.get("call", WS, await simulator.call(), Call)
            outcomes[round_].append((call.intent, call.outcome, call.caller.patient_id))
        await simulator.stop()
    assert outcomes[0] == outcomes[1]


async def test_running_it_keeps_calls_coming(demo):
    completed = asyncio.Event()
    seen: list[str] = []

    def listen(workspace_id: str, event: Event) -> None:
        if event.type == "receptionist.call.completed":
            seen.append(event.data["call_id"])
            if len(seen) >= 2:
                completed.set()

    demo.event_listeners.append(listen)
    simulator = Simulator(demo, rate=400, seed=3)
    await simulator.start()
    try:
        await asyncio.wait_for(completed.wait(), 30)
    finally:
        await simulator.stop()
    assert len(set(seen)) >= 2

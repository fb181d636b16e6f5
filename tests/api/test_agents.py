"""OpenClaw against the sandbox: agent runs, and handoffs from open to resolved."""

from __future__ import annotations

from talkya_console.api import TalkyaClient
from talkya_console.wire import AgentRunCreate, HandoffCreate, Patient, User


async def test_start_list_get_a_run(client: TalkyaClient, patient: Patient) -> None:
    run = await client.agent_runs.start(
        AgentRunCreate(
            input="Patient asks to refill GLP-1; check the chart and book a follow-up.",
            allowed_tools=["lookup_patient", "create_task"],
            context={"patient_id": patient.id},
        )
    )
    assert run.id.startswith("run_")
    assert await client.agent_runs.get(run.id) == run
    assert [r.id async for r in client.agent_runs.list(status=run.status)] == [run.id]


async def test_handoff_lifecycle(client: TalkyaClient, patient: Patient, provider: User) -> None:
    handoff = await client.handoffs.create(
        HandoffCreate(reason="Caller asked for a human", patient_id=patient.id, priority="high")
    )
    assert handoff.status == "open"
    assert [h.id async for h in client.handoffs.list(status="open", assignee="front_desk")] == [handoff.id]
    assert (await client.handoffs.update(handoff.id, {"priority": "urgent"})).priority == "urgent"
    claimed = await client.handoffs.claim(handoff.id, user_id=provider.id)
    assert (claimed.status, claimed.assignee_user_id) == ("claimed", provider.id)
    resolved = await client.handoffs.resolve(handoff.id, "Called back and booked.")
    assert (resolved.status, resolved.resolution) == ("resolved", "Called back and booked.")
    assert await client.handoffs.get(handoff.id) == resolved

"""The events list against the sandbox: what happened in the workspace, newest first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from talkya_console.api import TalkyaClient
from talkya_console.wire import Event


async def test_list_by_type_and_time_then_get(client: TalkyaClient, new_patient) -> None:
    since = datetime.now(UTC) - timedelta(minutes=1)
    patient = await client.patients.create(new_patient())
    await client.leads.create({"source": "website", "patient": {"name": "Ana"}})
    events = [e async for e in client.events.list(type="patient.created", created_after=since)]
    assert [e.data["patient_id"] for e in events] == [patient.id]
    assert all(isinstance(e, Event) and e.workspace_id == "ws_truebliss" for e in events)
    assert await client.events.get(events[0].id) == events[0]
    assert {e.type async for e in client.events.list(created_after=since)} >= {"patient.created", "lead.created"}
    assert [e async for e in client.events.list(created_after=datetime.now(UTC) + timedelta(hours=1))] == []

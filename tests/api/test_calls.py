"""Calls against the sandbox (placed by the receptionist simulator's own functions): list with
every filter, read, transcript."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from talkya_console.api import NotFound, TalkyaClient
from talkya_console.sandbox.receptionist import add_segments, complete_call, start_call
from talkya_console.wire import Call, Patient


@pytest.fixture
def booked_call(sandbox: Any, patient: Patient) -> Call:
    call = start_call(sandbox, "ws_truebliss", "+13055550177", source="google_ads", campaign="spring_botox")
    add_segments(
        sandbox,
        "ws_truebliss",
        call.id,
        [
            {"speaker": "ai_receptionist", "text": "How can I help?", "start_ms": 0, "end_ms": 1200},
            {"speaker": "caller", "text": "I'd like a Botox consult.", "start_ms": 1300, "end_ms": 3000},
        ],
    )
    return complete_call(
        sandbox,
        "ws_truebliss",
        call.id,
        intent="new_consult",
        outcome="appointment_booked",
        summary="Booked a consult.",
        next_steps=["Send intake forms"],
    )


async def test_list_with_every_filter(client: TalkyaClient, booked_call: Call, patient: Patient) -> None:
    hour = timedelta(hours=1)
    now = datetime.now(UTC)
    calls = client.calls.list(
        status="completed",
        source="google_ads",
        intent="new_consult",
        campaign="spring_botox",
        outcome="appointment_booked",
        patient_id=patient.id,
        created_after=now - hour,
        created_before=now + hour,
    )
    assert [c.id async for c in calls] == [booked_call.id]
    assert [c async for c in client.calls.list(intent="reschedule")] == []


async def test_get_and_transcript(client: TalkyaClient, booked_call: Call) -> None:
    call = await client.calls.get(booked_call.id)
    assert (call.status, call.caller.phone) == ("completed", "+13055550177")
    transcript = await client.calls.transcript(call.id)
    assert [s.speaker for s in transcript.segments] == ["ai_receptionist", "caller"]
    assert transcript.next_steps == ["Send intake forms"]


async def test_missing_call(client: TalkyaClient) -> None:
    with pytest.raises(NotFound):
        await client.calls.transcript("call_missing")

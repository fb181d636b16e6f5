"""Encounters against the sandbox: create, list, read, update, close (final), audit."""

from __future__ import annotations

import pytest

from talkya_console.api import Conflict, TalkyaClient
from talkya_console.wire import Encounter


async def test_create_get_update(client: TalkyaClient, encounter: Encounter) -> None:
    assert encounter.status == "open"
    updated = await client.encounters.update(encounter.id, {"reason": "Dose review"})
    assert updated.reason == "Dose review"
    assert await client.encounters.get(encounter.id) == updated


async def test_list_by_patient(client: TalkyaClient, encounter: Encounter) -> None:
    listed = [e.id async for e in client.encounters.list(patient_id=encounter.patient_id, status="open")]
    assert listed == [encounter.id]


async def test_close_is_final(client: TalkyaClient, encounter: Encounter) -> None:
    closed = await client.encounters.close(encounter.id)
    assert closed.status == "closed" and closed.closed_at is not None
    with pytest.raises(Conflict) as caught:
        await client.encounters.update(encounter.id, {"reason": "Too late"})
    assert caught.value.code == "encounter_closed"
    actions = [entry.action async for entry in client.encounters.audit(encounter.id)]
    assert "created" in actions and len(actions) >= 2

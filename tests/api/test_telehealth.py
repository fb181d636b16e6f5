"""Telehealth visits against the sandbox: create with join links, read, list, update, notes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from talkya_console.api import TalkyaClient
from talkya_console.wire import Encounter, TelehealthVisitCreate


async def test_visit_lifecycle(client: TalkyaClient, encounter: Encounter) -> None:
    when = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
    visit = await client.telehealth_visits.create(
        TelehealthVisitCreate(
            patient_id=encounter.patient_id,
            provider_id=encounter.provider_id,
            encounter_id=encounter.id,
            reason="GLP-1 refill review",
            scheduled_at=when,
        )
    )
    assert visit.join_links.patient and visit.join_links.provider and visit.scheduled_at == when
    assert await client.telehealth_visits.get(visit.id) == visit
    listed = client.telehealth_visits.list(patient_id=encounter.patient_id, scheduled_after=when - timedelta(hours=1))
    assert [v.id async for v in listed] == [visit.id]
    moved = await client.telehealth_visits.update(visit.id, {"scheduled_at": when + timedelta(hours=1)})
    assert moved.scheduled_at == when + timedelta(hours=1)
    draft = await client.telehealth_visits.create_note(visit.id)
    assert draft.status == "draft" and draft.type == "telehealth"
    assert [n.id async for n in client.telehealth_visits.notes(visit.id)] == [draft.id]

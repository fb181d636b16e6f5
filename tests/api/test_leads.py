"""Leads against the sandbox: captured with their contact, listed by filter, read, updated."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from talkya_console.api import TalkyaClient
from talkya_console.wire import LeadCreate, LeadUpdate

MARIA = {"name": "Maria Lopez", "phone": "+13055550123"}


async def test_create_as_the_page_shows(client: TalkyaClient) -> None:
    lead = await client.leads.create(
        LeadCreate(
            source="website",
            service_interest="Botox consult",
            patient=MARIA,
            consent={"sms": True, "marketing": True},
        ),
        idempotency_key="lead-form-2026-05-18-001",
    )
    assert lead.id.startswith("lead_") and lead.contact_id and lead.consent.sms
    assert await client.leads.get(lead.id) == lead


async def test_list_filters(client: TalkyaClient) -> None:
    before = datetime.now(UTC) - timedelta(minutes=1)
    web = await client.leads.create({"source": "website", "campaign": "spring", "patient": MARIA})
    await client.leads.create({"source": "phone", "patient": {"name": "Ana"}})
    assert [lead.id async for lead in client.leads.list(source="website", campaign="spring")] == [web.id]
    assert len([lead async for lead in client.leads.list(created_after=before)]) == 2
    assert [lead async for lead in client.leads.list(created_before=before)] == []


async def test_update_status(client: TalkyaClient) -> None:
    lead = await client.leads.create({"source": "website", "patient": MARIA})
    updated = await client.leads.update(lead.id, LeadUpdate(status="qualified", notes="Called back"))
    assert (updated.status, updated.notes) == ("qualified", "Called back")
    assert [x.id async for x in client.leads.list(status="qualified")] == [lead.id]

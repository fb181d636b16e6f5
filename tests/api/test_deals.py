"""Deals against the sandbox: open, list, read, move stage (which emits an event)."""

from __future__ import annotations

from talkya_console.api import TalkyaClient
from talkya_console.wire import DealCreate, DealUpdate


async def test_create_list_get_and_stage_change(client: TalkyaClient) -> None:
    contact = await client.contacts.create({"name": "Lena Park"})
    deal = await client.deals.create(
        DealCreate(name="Botox package", contact_id=contact.id, value=120_000, package="3 sessions")
    )
    assert (deal.value, deal.currency, deal.stage) == (120_000, "usd", "new")
    assert [d.id async for d in client.deals.list(contact_id=contact.id, stage="new")] == [deal.id]
    moved = await client.deals.update(deal.id, DealUpdate(stage="consult_scheduled", probability=40))
    assert moved.stage == "consult_scheduled"
    assert await client.deals.get(deal.id) == moved
    events = [e async for e in client.events.list(type="deal.stage_changed")]
    assert [e.data.get("deal_id") for e in events] == [deal.id]

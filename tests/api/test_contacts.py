"""Contacts against the sandbox: create, list by stage and tag, read with open tasks, update."""

from __future__ import annotations

from talkya_console.api import TalkyaClient
from talkya_console.wire import ContactCreate, ContactUpdate


async def test_create_list_get_update(client: TalkyaClient) -> None:
    contact = await client.contacts.create(ContactCreate(name="Lena Park", stage="prospect", tags=["botox"]))
    assert [c.id async for c in client.contacts.list(stage="prospect", tag="botox")] == [contact.id]
    await client.tasks.create({"title": "Call Lena back", "contact_id": contact.id})
    read = await client.contacts.get(contact.id)
    assert [t.title for t in read.open_tasks] == ["Call Lena back"]
    updated = await client.contacts.update(contact.id, ContactUpdate(stage="consult_booked"))
    assert updated.stage == "consult_booked"

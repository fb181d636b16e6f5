"""Messages against the sandbox: send to a channel, list by channel and patient, read."""

from __future__ import annotations

from talkya_console.api import TalkyaClient
from talkya_console.wire import MessageCreate, Patient


async def test_message_create_list_get(client: TalkyaClient, patient: Patient) -> None:
    channel = await client.channels.create({"name": "providers", "purpose": "providers"})
    message = await client.messages.create(
        MessageCreate(channel_id=channel.id, text="Refill approved for this patient.", patient_id=patient.id)
    )
    assert message.channel_id == channel.id and message.author.name
    assert [m.id async for m in client.messages.list(channel_id=channel.id, patient_id=patient.id)] == [message.id]
    assert await client.messages.get(message.id) == message

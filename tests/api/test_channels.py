"""Channels against the sandbox: create, list by purpose, update members, read."""

from __future__ import annotations

from talkya_console.api import TalkyaClient
from talkya_console.wire import ChannelCreate, User


async def test_channel_create_list_get_update(client: TalkyaClient, provider: User) -> None:
    channel = await client.channels.create(ChannelCreate(name="front-desk", purpose="front_desk"))
    assert [c.id async for c in client.channels.list(purpose="front_desk")] == [channel.id]
    updated = await client.channels.update(
        channel.id, {"description": "Calls and walk-ins", "member_ids": [provider.id]}
    )
    assert (updated.description, updated.member_ids) == ("Calls and walk-ins", [provider.id])
    assert await client.channels.get(channel.id) == updated

"""The staff directory and locations against the sandbox."""

from __future__ import annotations

import pytest

from talkya_console.api import NotFound, TalkyaClient
from talkya_console.wire import User


async def test_list_by_role_and_get(client: TalkyaClient, provider: User) -> None:
    providers = [u async for u in client.users.list(role="provider")]
    assert providers and all(u.role == "provider" for u in providers)
    assert await client.users.get(provider.id) == provider


async def test_me_needs_a_user_credential(client: TalkyaClient) -> None:
    with pytest.raises(NotFound) as caught:
        await client.users.me()
    assert caught.value.code == "no_user"


async def test_locations(client: TalkyaClient) -> None:
    locations = await client.locations.list().collect()
    assert locations and all(loc.id.startswith("loc_") for loc in locations)

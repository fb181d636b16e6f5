"""Messenger channels for front desk, providers, billing or a client team."""

from __future__ import annotations

from talkya_console.api._pagination import AsyncPager
from talkya_console.api._resource import Updatable
from talkya_console.wire import Channel, ChannelCreate, ChannelUpdate
from talkya_console.wire.messenger import ChannelPurpose


class Channels(Updatable[Channel, ChannelCreate, ChannelUpdate]):
    """`/v1/channels`."""

    path = "/channels"
    model = Channel
    create_params = ChannelCreate
    update_params = ChannelUpdate

    def list(self, *, purpose: ChannelPurpose | None = None, limit: int | None = None) -> AsyncPager[Channel]:
        """Channels, optionally of one purpose."""
        return self._list(Channel, {"purpose": purpose}, limit=limit)

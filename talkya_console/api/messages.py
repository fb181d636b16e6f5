"""Messenger messages: text, attachments, bot replies and staff alerts."""

from __future__ import annotations

from talkya_console.api._pagination import AsyncPager
from talkya_console.api._resource import Creatable
from talkya_console.wire import Message, MessageCreate


class Messages(Creatable[Message, MessageCreate]):
    """`/v1/messages`; `create` sends one."""

    path = "/messages"
    model = Message
    create_params = MessageCreate

    def list(
        self, *, channel_id: str | None = None, patient_id: str | None = None, limit: int | None = None
    ) -> AsyncPager[Message]:
        """Messages matching the filters, newest first."""
        return self._list(Message, {"channel_id": channel_id, "patient_id": patient_id}, limit=limit)

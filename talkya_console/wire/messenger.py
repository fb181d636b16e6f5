"""Messenger resources: channels and messages."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from talkya_console.wire.common import Params, Resource, Timestamp
from talkya_console.wire.ehr import Part

ChannelPurpose = Literal["front_desk", "providers", "billing", "client_team", "general", "direct"]
MessageKind = Literal["text", "bot_reply", "staff_alert"]


class Channel(Resource):
    id: str
    object: Literal["channel"] = "channel"
    name: str
    purpose: ChannelPurpose = "general"
    description: str | None = None
    private: bool = False
    member_ids: list[str] = []
    last_message_at: Timestamp | None = None
    created_at: Timestamp
    updated_at: Timestamp


class ChannelCreate(Params):
    name: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,79}$")]
    purpose: ChannelPurpose = "general"
    description: Annotated[str, StringConstraints(max_length=500)] | None = None
    private: bool = False
    member_ids: list[str] = Field(default=[], max_length=500)


class ChannelUpdate(Params):
    description: Annotated[str, StringConstraints(max_length=500)] | None = None
    member_ids: list[str] | None = Field(default=None, max_length=500)


class Author(Part):
    type: Literal["user", "bot", "system"]
    id: str | None = None
    name: str


class Attachment(Part):
    file_id: str
    filename: str
    content_type: str
    size: int


class Message(Resource):
    id: str
    object: Literal["message"] = "message"
    channel_id: str
    kind: MessageKind = "text"
    author: Author
    text: str
    attachments: list[Attachment] = []
    patient_id: str | None = None
    mentions: list[str] = []
    created_at: Timestamp


class MessageCreate(Params):
    channel_id: str
    text: Annotated[str, StringConstraints(max_length=10_000)] = ""
    kind: MessageKind = "text"
    file_ids: list[str] = Field(default=[], max_length=10)
    patient_id: str | None = None
    mentions: list[str] = Field(default=[], max_length=50)

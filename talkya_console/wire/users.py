"""The staff directory, locations, and OAuth token exchange."""

from __future__ import annotations

from typing import Literal

from talkya_console.wire.common import Resource, Timestamp
from talkya_console.wire.crm import Role


class User(Resource):
    id: str
    object: Literal["user"] = "user"
    name: str
    email: str
    role: Role
    title: str | None = None
    location_ids: list[str] = []
    active: bool = True
    created_at: Timestamp


class Location(Resource):
    id: str
    object: Literal["location"] = "location"
    name: str
    timezone: str = "America/New_York"
    address: str | None = None


class AccessToken(Resource):
    access_token: str
    token_type: Literal["Bearer"] = "Bearer"
    expires_in: int
    scope: str
    refresh_token: str | None = None


SCOPE_AREAS = (
    "patients encounters notes documents leads contacts deals tasks calls receptionist telehealth "
    "channels messages files agents hermes webhooks users"
).split()
ALL_SCOPES = tuple(f"{area}:{mode}" for area in SCOPE_AREAS for mode in ("read", "write"))
READ_SCOPES = tuple(s for s in ALL_SCOPES if s.endswith(":read"))

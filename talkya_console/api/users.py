"""The staff directory and the clinic's locations."""

from __future__ import annotations

from talkya_console.api._pagination import AsyncPager
from talkya_console.api._resource import APIResource, Retrievable
from talkya_console.wire import Location, User
from talkya_console.wire.crm import Role


class Users(Retrievable[User]):
    """`/v1/users`."""

    path = "/users"
    model = User

    def list(self, *, role: Role | None = None, limit: int | None = None) -> AsyncPager[User]:
        """Staff members, optionally of one role."""
        return self._list(User, {"role": role}, limit=limit)

    async def me(self) -> User:
        """The signed-in staff member; an API key that acts for no user gets `NotFound`."""
        return await self._get(User, "me")


class Locations(APIResource):
    """`/v1/locations`."""

    path = "/locations"

    def list(self, *, limit: int | None = None) -> AsyncPager[Location]:
        """The workspace's locations."""
        return self._list(Location, {}, limit=limit)

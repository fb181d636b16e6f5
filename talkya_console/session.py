"""Whose credentials the console works with: a staff member's sign-in (kept fresh and stored), or
a workspace API key; and the PIN that unlocks the idle lock. The TUI sees it as `Identity`.

Loaded after the first frame (it imports the client stack)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import httpx

from talkya_console.api import (
    DeviceAuthorization,
    TalkyaClient,
    UserTokens,
    oauth_http,
    poll_device,
    start_device,
)
from talkya_console.pin import PinCheck, PinStore
from talkya_console.wire import AccessToken

if TYPE_CHECKING:
    from talkya_console.credentials import TokenStore


class StaffSession:
    """The console's credentials for one workspace. With a `store`, a sign-in outlives the console
    (the keyring, or an owner-only file); without one (the embedded demo) it lasts this run."""

    def __init__(
        self,
        api_base: str,
        workspace: str,
        *,
        api_key: str | None = None,
        tokens: UserTokens | None = None,
        store: TokenStore | None = None,
        pins: PinStore | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.api_base = api_base
        self.workspace = workspace
        self.api_key = api_key
        self.tokens = tokens
        self.store = store
        self.pins = pins or PinStore()
        self.transport = transport

    def __repr__(self) -> str:
        return f"StaffSession(api_base={self.api_base!r}, workspace={self.workspace!r}, signed_in={self.tokens is not None})"

    @classmethod
    def from_sign_in(cls, api_base: str, workspace: str, response: dict[str, Any], **options: Any) -> StaffSession:
        """A session from a token endpoint answer (the embedded demo signs its user in this way)."""
        tokens = UserTokens.from_response(AccessToken.model_validate(response))
        return cls(api_base, workspace, tokens=tokens, **options)

    async def ready(self) -> bool:
        """Whether there is something to work with: a stored sign-in is looked up the first time."""
        if self.tokens is None and self.store is not None:
            stored = await asyncio.to_thread(self.store.load)
            if stored is not None and stored.workspace in (None, self.workspace):
                self.tokens = stored
        return self.tokens is not None or self.api_key is not None

    def client(self) -> TalkyaClient:
        """A client for the current credentials (a sign-in before an API key)."""
        if self.tokens is not None:
            return TalkyaClient(
                self.api_base, self.workspace, tokens=self.tokens, on_tokens=self._rotated, transport=self.transport
            )
        if self.api_key is None:
            raise RuntimeError("nobody is signed in and there is no API key")
        return TalkyaClient(self.api_base, self.workspace, api_key=self.api_key, transport=self.transport)

    def _rotated(self, tokens: UserTokens) -> None:
        """Refresh tokens rotate: the stored one must be the newest, or the next start is signed out."""
        self.tokens = tokens
        if self.store is not None:
            self.store.save(tokens)

    # -- the PIN ------------------------------------------------------------------------------
    def _key(self, user_id: str) -> str:
        return f"{self.workspace}/{user_id}"

    def has_pin(self, user_id: str) -> bool:
        return self.pins.has_pin(self._key(user_id))

    def set_pin(self, user_id: str, pin: str) -> None:
        self.pins.set_pin(self._key(user_id), pin)

    def check_pin(self, user_id: str, pin: str) -> PinCheck:
        """A wrong PIN counts; the fifth in a row clears the PIN (a new one is set at the next sign-in)."""
        result = self.pins.check(self._key(user_id), pin)
        if result.signed_out:
            self.pins.clear(self._key(user_id))
        return result

    # -- signing in and out -------------------------------------------------------------------
    async def sign_out(self, client: TalkyaClient | None) -> None:
        """Revoke the sign-in at Talkya (best effort: unreachable, it still ends here) and forget it."""
        tokens, self.tokens = self.tokens, None
        self.api_key = None  # signed out means no one's credentials open the desk until a sign-in
        if self.store is not None:
            await asyncio.to_thread(self.store.delete)
        if tokens is None:
            return
        if client is not None and client.signed_in_tokens is not None:
            await client.sign_out()  # it holds the newest tokens (refresh tokens rotate)
            return
        async with TalkyaClient(self.api_base, self.workspace, tokens=tokens, transport=self.transport) as own:
            await own.sign_out()

    async def start_sign_in(self) -> DeviceAuthorization:
        """A device code for this workspace (RFC 8628): approved in any browser, even over SSH."""
        async with oauth_http(self.api_base, transport=self.transport) as http:
            return await start_device(http, workspace=self.workspace)

    async def finish_sign_in(self, device: DeviceAuthorization) -> None:
        """Wait for the approval; the new sign-in replaces the old one (and is stored)."""
        async with oauth_http(self.api_base, transport=self.transport) as http:
            tokens = await poll_device(http, device)
        tokens = tokens.model_copy(update={"workspace": self.workspace})
        self.tokens = tokens
        if self.store is not None:
            await asyncio.to_thread(self.store.save, tokens)

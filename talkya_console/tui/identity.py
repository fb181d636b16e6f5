"""What the console needs to know who is at the keyboard: sign in and out, and the unlock PIN.

The console layer implements `Identity` (see `talkya_console.session`); tests pass a fake."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from talkya_console.api import DeviceAuthorization, TalkyaClient
    from talkya_console.pin import PinCheck


class Identity(Protocol):
    """Sign-in, sign-out and PINs for one workspace's console."""

    workspace: str

    async def ready(self) -> bool: ...  # someone's credentials to work with (else: sign in first)

    def has_pin(self, user_id: str) -> bool: ...

    def set_pin(self, user_id: str, pin: str) -> None: ...  # ValueError says what is wrong

    def check_pin(self, user_id: str, pin: str) -> PinCheck: ...

    async def sign_out(self, client: TalkyaClient | None) -> None: ...  # revoke (best effort), forget

    async def start_sign_in(self) -> DeviceAuthorization: ...  # the code to approve elsewhere

    async def finish_sign_in(self, device: DeviceAuthorization) -> None: ...  # waits; SignInError

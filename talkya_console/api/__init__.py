"""The async Talkya client.

async with TalkyaClient("http://127.0.0.1:8787", "ws_truebliss", api_key="tk_test_truebliss") as client:
    async for patient in client.patients.search(query="lopez"):
        ...
"""

from talkya_console.api._client import TalkyaClient, new_idempotency_key
from talkya_console.api._constants import DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT
from talkya_console.api._exceptions import (
    APIError,
    AuthenticationError,
    BadRequest,
    Conflict,
    ConnectionError,
    ConnectionTimeout,
    InternalServerError,
    NotFound,
    PermissionDenied,
    RateLimited,
    ValidationError,
)
from talkya_console.api._pagination import AsyncPager
from talkya_console.api.oauth import (
    CONSOLE_CLIENT_ID,
    DeviceAuthorization,
    SignedOut,
    SignInDenied,
    SignInError,
    SignInExpired,
    UserTokens,
    authorize_url,
    exchange_code,
    new_pkce,
    oauth_http,
    poll_device,
    refresh_tokens,
    revoke,
    sign_in_error,
    start_device,
)

__all__ = [
    "CONSOLE_CLIENT_ID",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_TIMEOUT",
    "APIError",
    "AsyncPager",
    "AuthenticationError",
    "BadRequest",
    "Conflict",
    "ConnectionError",
    "ConnectionTimeout",
    "DeviceAuthorization",
    "InternalServerError",
    "NotFound",
    "PermissionDenied",
    "RateLimited",
    "SignInDenied",
    "SignInError",
    "SignInExpired",
    "SignedOut",
    "TalkyaClient",
    "UserTokens",
    "ValidationError",
    "authorize_url",
    "exchange_code",
    "new_idempotency_key",
    "new_pkce",
    "oauth_http",
    "poll_device",
    "refresh_tokens",
    "revoke",
    "sign_in_error",
    "start_device",
]

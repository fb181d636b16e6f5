"""`TalkyaClient`: one `httpx.AsyncClient`, credentials, and the request core with its retry policy."""

from __future__ import annotations

import asyncio
import logging
import random
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from types import TracebackType
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, SecretStr

from talkya_console.api._auth import ApiKeyAuth, Auth, ClientCredentialsAuth, UserTokenAuth
from talkya_console.api._constants import (
    DEFAULT_CONNECTION_LIMITS,
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT,
    IDEMPOTENCY_HEADER,
    INITIAL_RETRY_DELAY,
    MAX_RETRY_AFTER,
    MAX_RETRY_DELAY,
    RETRY_CONFLICT_CODES,
    RETRY_STATUSES,
    USER_AGENT,
    WORKSPACE_HEADER,
)
from talkya_console.api._exceptions import (
    APIError,
    ConnectionError,
    ConnectionTimeout,
    error_fields,
    error_for,
    retry_after_seconds,
)
from talkya_console.api.agents import AgentRuns, Handoffs
from talkya_console.api.calls import Calls
from talkya_console.api.channels import Channels
from talkya_console.api.contacts import Contacts
from talkya_console.api.deals import Deals
from talkya_console.api.documents import Documents
from talkya_console.api.encounters import Encounters
from talkya_console.api.events import Events
from talkya_console.api.files import Files
from talkya_console.api.hermes import HermesEvents, HermesRoutes
from talkya_console.api.leads import Leads
from talkya_console.api.messages import Messages
from talkya_console.api.notes import Notes
from talkya_console.api.oauth import CONSOLE_CLIENT_ID, SignedOut, UserTokens, api_root, refresh_tokens, revoke
from talkya_console.api.patients import Patients
from talkya_console.api.receptionist import RoutingRulesResource
from talkya_console.api.tasks import Tasks
from talkya_console.api.telehealth import TelehealthVisits
from talkya_console.api.users import Locations, Users
from talkya_console.api.webhooks import WebhookDeliveries, WebhookEndpoints
from talkya_console.wire import AccessToken, ListPage

log = logging.getLogger("talkya.api")
# httpx logs every request's URL at INFO, query string included, and Talkya's patient searches carry
# names, phones and dates of birth there. Unless the application set httpx's level itself, keep it
# to warnings, so turning on INFO or DEBUG logging never writes a search into a log.
if logging.getLogger("httpx").level == logging.NOTSET:
    logging.getLogger("httpx").setLevel(logging.WARNING)

M = TypeVar("M", bound=BaseModel)
Sleep = Callable[[float], Awaitable[None]]

IDEMPOTENT_WRITES = frozenset({"POST", "PATCH"})
# Errors after which the request may not have reached the server, or its answer was lost.
RETRYABLE_TRANSPORT_ERRORS = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)


def new_idempotency_key() -> str:
    """A fresh key for one logical write."""
    return f"talkya-py-{uuid.uuid4().hex}"


def _token_rejected(response: httpx.Response) -> bool:
    """A 401 that says the token (not the client) is bad: the code, or RFC 6750's header."""
    challenge = response.headers.get("www-authenticate", "")
    return error_fields(response).get("code") == "invalid_token" or 'error="invalid_token"' in challenge


class TalkyaClient:
    """The async Talkya client; use it as `async with TalkyaClient(...) as client:`.

    Authenticate with one of: `api_key`; `client_id` with `client_secret`; or a signed-in staff member's
    `tokens` (from `talkya_console.api.oauth`), renewed as needed and handed to `on_tokens` to be saved."""

    def __init__(
        self,
        base_url: str,
        workspace: str,
        *,
        api_key: str | SecretStr | None = None,
        client_id: str | None = None,
        client_secret: str | SecretStr | None = None,
        scopes: Sequence[str] | str | None = None,
        tokens: UserTokens | None = None,
        on_tokens: Callable[[UserTokens], object] | None = None,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if tokens is not None:
            invalid = api_key is not None or client_secret is not None
        else:
            invalid = (api_key is None) == (client_id is None) or (client_id is not None and client_secret is None)
        if invalid:
            raise ValueError("Pass either api_key, or client_id with client_secret, or tokens.")
        if max_retries < 0:
            raise ValueError("max_retries must be 0 or more.")
        self.base_url = api_root(base_url)
        self.workspace = workspace
        self.max_retries = max_retries
        self._sleep = sleep
        self._client_id = client_id or CONSOLE_CLIENT_ID
        self._auth: Auth
        if tokens is not None:
            self._auth = UserTokenAuth(tokens, self._refresh_tokens, on_tokens)
        elif api_key is not None:
            self._auth = ApiKeyAuth(api_key)
        else:
            self._auth = ClientCredentialsAuth(client_id or "", client_secret or "", scopes, self._exchange)
        self._http = httpx.AsyncClient(
            base_url=self.base_url + "/",
            timeout=timeout,
            transport=transport,
            limits=DEFAULT_CONNECTION_LIMITS,
            headers={"User-Agent": USER_AGENT, "Accept": "application/json", WORKSPACE_HEADER: workspace},
        )
        self.patients = Patients(self)
        self.encounters = Encounters(self)
        self.notes = Notes(self)
        self.documents = Documents(self)
        self.files = Files(self)
        self.leads = Leads(self)
        self.contacts = Contacts(self)
        self.deals = Deals(self)
        self.tasks = Tasks(self)
        self.calls = Calls(self)
        self.routing_rules = RoutingRulesResource(self)
        self.telehealth_visits = TelehealthVisits(self)
        self.channels = Channels(self)
        self.messages = Messages(self)
        self.agent_runs = AgentRuns(self)
        self.handoffs = Handoffs(self)
        self.hermes_events = HermesEvents(self)
        self.hermes_routes = HermesRoutes(self)
        self.webhook_endpoints = WebhookEndpoints(self)
        self.webhook_deliveries = WebhookDeliveries(self)
        self.events = Events(self)
        self.users = Users(self)
        self.locations = Locations(self)

    def __repr__(self) -> str:
        return f"TalkyaClient(base_url={self.base_url!r}, workspace={self.workspace!r}, auth={self._auth!r})"

    async def __aenter__(self) -> TalkyaClient:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    @property
    def signed_in_tokens(self) -> UserTokens | None:
        """The staff member's current tokens (after any renewal), or None for a key or client credentials."""
        return self._auth.tokens if isinstance(self._auth, UserTokenAuth) else None

    async def sign_out(self) -> bool:
        """Revoke the refresh token, then the access token, and refuse later calls with `SignedOut`.
        Best effort: returns whether the server acknowledged both."""
        if not isinstance(self._auth, UserTokenAuth):
            raise TypeError("sign_out needs a client made with tokens=.")
        tokens = self._auth.tokens
        acknowledged = True
        for token, hint in ((tokens.refresh_token, "refresh_token"), (tokens.access_token, "access_token")):
            if token is None:
                continue
            try:
                await revoke(self._http, token, hint, self._client_id)
            except APIError:
                acknowledged = False
        self._auth.signed_out(SignedOut("You signed out; sign in again.", "signed_out"))
        return acknowledged

    # -- the request core ----------------------------------------------------------------------
    async def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        content: bytes | None = None,
        data: Mapping[str, str] | None = None,
        files: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
        stream: bool = False,
        authenticated: bool = True,
    ) -> httpx.Response:
        """Send one logical call, retried as the policy says; a non-2xx answer raises a typed error.
        Writes carry `idempotency_key`, or a fresh one, on every attempt."""
        headers: dict[str, str] = {}
        if content is not None:
            headers["Content-Type"] = "application/json"
        if authenticated and method in IDEMPOTENT_WRITES:
            headers[IDEMPOTENCY_HEADER] = idempotency_key or new_idempotency_key()
        # Built once and resent as is, so every attempt carries the same body (and multipart boundary).
        request = self._http.build_request(
            method, path, params=params, content=content, data=data, files=files, headers=headers
        )
        return await self._send(request, stream=stream, authenticated=authenticated)

    async def _send(self, request: httpx.Request, *, stream: bool, authenticated: bool) -> httpx.Response:
        retries_taken = 0
        refreshed = False
        while True:
            authorization = ""
            if authenticated:
                authorization = await self._auth.authorization()
                request.headers["Authorization"] = authorization
            try:
                response = await self._http.send(request, stream=stream)
            except RETRYABLE_TRANSPORT_ERRORS as exc:
                if retries_taken >= self.max_retries:
                    raise _connection_error(exc) from exc
                await self._backoff(request, retries_taken, None, type(exc).__name__)
                retries_taken += 1
                continue
            except httpx.TransportError as exc:
                raise _connection_error(exc) from exc
            if response.is_success:
                return response
            await response.aread()
            if (
                response.status_code == 401
                and authenticated
                and self._auth.can_refresh
                and not refreshed
                and _token_rejected(response)
            ):
                # The token expired early or was revoked: renew it once; this is not a retry.
                refreshed = True
                await self._auth.invalidate(authorization)
                continue
            if retries_taken < self.max_retries and self._should_retry(response):
                await self._backoff(request, retries_taken, response.headers, str(response.status_code))
                retries_taken += 1
                continue
            raise error_for(response)

    @staticmethod
    def _should_retry(response: httpx.Response) -> bool:
        """429, 502, 503, 504, and a 409 whose first attempt is still running."""
        if response.status_code in RETRY_STATUSES:
            return True
        return response.status_code == 409 and error_fields(response).get("code") in RETRY_CONFLICT_CODES

    @staticmethod
    def _calculate_retry_timeout(retries_taken: int, headers: httpx.Headers | None) -> float:
        """The server's Retry-After when sane, else exponential backoff with full jitter."""
        retry_after = retry_after_seconds(headers) if headers is not None else None
        if retry_after is not None and retry_after <= MAX_RETRY_AFTER:
            return retry_after
        ceiling = min(MAX_RETRY_DELAY, INITIAL_RETRY_DELAY * 2.0 ** min(retries_taken, 32))
        return random.uniform(0.0, ceiling)

    async def _backoff(
        self, request: httpx.Request, retries_taken: int, headers: httpx.Headers | None, reason: str
    ) -> None:
        delay = self._calculate_retry_timeout(retries_taken, headers)
        # The path only: a query string may carry a patient's name or phone.
        log.info("retrying %s %s in %.2fs after %s", request.method, request.url.path, delay, reason)
        await self._sleep(delay)

    # -- typed helpers the resources use ------------------------------------------------------------
    async def _request_model(self, cast: type[M], method: str, path: str, **kwargs: Any) -> M:
        response = await self._request(method, path, **kwargs)
        return cast.model_validate_json(response.content)

    async def _request_page(self, path: str, item: type[M], params: dict[str, Any]) -> ListPage[M]:
        response = await self._request("GET", path, params=params)
        return ListPage[item].model_validate_json(response.content)  # type: ignore[valid-type]

    @asynccontextmanager
    async def _open_stream(self, path: str) -> AsyncIterator[httpx.Response]:
        response = await self._request("GET", path, stream=True)
        try:
            yield response
        finally:
            await response.aclose()

    async def _refresh_tokens(self, tokens: UserTokens) -> UserTokens:
        # Not retried: the server rotates refresh tokens, so resending one whose answer was lost would be
        # refused as reuse and end the session; the next call tries again instead.
        return await refresh_tokens(self._http, tokens, self._client_id)

    async def _exchange(self, form: dict[str, str]) -> AccessToken:
        """Client credentials for an access token, at `/v1/oauth/token` (retried like any call)."""
        response = await self._request("POST", "/oauth/token", data=form, authenticated=False)
        return AccessToken.model_validate_json(response.content)


def _connection_error(exc: httpx.TransportError) -> ConnectionError:
    cls = ConnectionTimeout if isinstance(exc, httpx.TimeoutException) else ConnectionError
    return cls(f"No response from Talkya: {type(exc).__name__}.", code="connection_error")

"""The sandbox's shared state, and the per-request context routes act in."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request

from talkya_console.sandbox.auth import Authenticator, Principal
from talkya_console.sandbox.db import Database
from talkya_console.sandbox.errors import ApiError


@dataclass
class Limits:
    json_body_bytes: int = 1024 * 1024
    file_bytes: int = 10 * 1024 * 1024
    rate_limit: int | None = 1000  # requests per window per workspace; None turns it off
    rate_window: float = 10.0
    idempotency_ttl: float = 24 * 3600
    token_ttl: int = 3600  # client credentials
    user_token_ttl: int = 900  # staff sign-ins: code and device grants, and their refreshes
    refresh_token_ttl: int = 30 * 24 * 3600
    code_ttl: int = 600  # authorization codes, and the sign-in page's pending request
    device_code_ttl: int = 600
    device_interval: int = 5  # seconds between device-grant polls; slow_down adds 5
    # Every OAuth expiry and poll interval is measured by this clock; tests replace it.
    clock: Callable[[], float] = time.time


@dataclass
class Sandbox:
    """Everything a route needs that outlives a request; it lives on `app.state.sandbox`."""

    db: Database
    auth: Authenticator
    limits: Limits = field(default_factory=Limits)
    event_listeners: list[Callable[[str, Any], None]] = field(default_factory=list)
    # The ASGI app itself, so in-process actors (the simulator) can call the public API.
    app: Any = None

    def __post_init__(self) -> None:
        # Credentials expire by the clock the OAuth grants are issued by (`Limits.clock`).
        self.auth.clock = lambda: self.limits.clock()

    def notify(self, workspace_id: str, event: Any) -> None:
        for listener in list(self.event_listeners):
            listener(workspace_id, event)


@dataclass
class Ctx:
    sandbox: Sandbox
    principal: Principal
    request_id: str

    @property
    def db(self) -> Database:
        return self.sandbox.db

    @property
    def ws(self) -> str:
        return self.principal.workspace_id


class Scope:
    """A route dependency: the request's context, after checking it holds `scope`. Async, so
    FastAPI calls it inline instead of hopping to its thread pool for every request."""

    def __init__(self, scope: str) -> None:
        self.scope = scope

    async def __call__(self, request: Request) -> Ctx:
        principal: Principal | None = getattr(request.state, "principal", None)
        if principal is None:  # the gate authenticates every /v1 route; this is a wiring fault
            raise ApiError(401, "missing_credentials", "This route needs credentials.")
        principal.require(self.scope)
        return Ctx(request.app.state.sandbox, principal, request.state.request_id)

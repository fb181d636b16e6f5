"""The sandbox ASGI app: a faithful local Talkya."""

from __future__ import annotations

import importlib
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from starlette.responses import JSONResponse

from talkya_console import __version__
from talkya_console.sandbox import errors
from talkya_console.sandbox.auth import Authenticator
from talkya_console.sandbox.context import Limits, Sandbox
from talkya_console.sandbox.db import Database
from talkya_console.sandbox.gate import Gate

log = logging.getLogger("talkya.sandbox")

ROUTE_MODULES = (
    "oauth",
    "oauth_pages",
    "users",
    "patients",
    "encounters",
    "notes",
    "documents",
    "files",
    "leads",
    "contacts",
    "deals",
    "tasks",
    "calls",
    "routing_rules",
    "telehealth",
    "channels",
    "messages",
    "agents",
    "hermes",
    "webhooks",
    "events",
)

Hook = Callable[[Sandbox], Any]


def _openapi(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(
        title="Talkya API (sandbox)",
        version=__version__,
        routes=app.routes,
        description="A faithful local Talkya. See CONTRACT.md for the wire details.",
    )
    components = schema.setdefault("components", {})
    components.setdefault("securitySchemes", {})["bearer"] = {"type": "http", "scheme": "bearer"}
    schema["security"] = [{"bearer": []}]
    app.openapi_schema = schema
    return schema


def create_app(
    db: str | Path | Database = ":memory:",
    *,
    seed: str = "demo",
    patients: int | None = None,
    limits: Limits | None = None,
    on_startup: list[Hook] | None = None,
    today: datetime | None = None,
) -> FastAPI:
    """Build the app. `seed` is `demo` or `empty`; a database already seeded is left as it is.
    `on_startup` hooks run in the lifespan (the dispatcher and simulator attach this way).
    `today` fixes the demo clinic's calendar (tests and screenshots); by default it is today."""
    database = db if isinstance(db, Database) else Database(db)
    sandbox = Sandbox(database, Authenticator(database), limits or Limits())
    _seed(sandbox, seed, patients, today)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        stoppers = []
        for hook in on_startup or []:
            stop = await hook(sandbox)
            if stop is not None:
                stoppers.append(stop)
        try:
            yield
        finally:
            for stop in reversed(stoppers):
                await stop()

    app = FastAPI(
        title="Talkya API (sandbox)",
        version=__version__,
        openapi_url="/v1/openapi.json",
        docs_url="/docs",
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.sandbox = sandbox
    sandbox.app = app
    errors.install(app)
    for name in ROUTE_MODULES:
        module = importlib.import_module(f"talkya_console.sandbox.routes.{name}")
        # The routes themselves, not `include_router`: FastAPI builds an included router's routes a
        # second time (per inclusion, on the first request), which costs the embedded demo ~0.25 s.
        # Our routers carry their prefix and tags, so the routes are complete as they are.
        app.router.routes.extend(module.router.routes)
        # Hot routes served ahead of their documented FastAPI twins (see patients.FAST_ROUTES).
        app.router.routes[0:0] = getattr(module, "FAST_ROUTES", [])

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> JSONResponse:
        database.conn.execute("SELECT 1").fetchone()
        return JSONResponse({"status": "ok", "version": __version__})

    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    app.add_middleware(Gate, sandbox=sandbox)
    return app


def _seed(sandbox: Sandbox, seed: str, patients: int | None, today: datetime | None) -> None:
    from talkya_console.sandbox.seed.credentials import ensure_console_client, seed_credentials
    from talkya_console.sandbox.seed.staff import seed_staff

    db = sandbox.db
    ensure_console_client(db, sandbox.auth)  # databases seeded before the client existed get it too
    if db.meta_get("seeded") is not None:
        return
    seed_credentials(db, sandbox.auth)
    seed_staff(db)
    if seed == "demo":
        from talkya_console.sandbox.seed.demo import seed_demo

        seed_demo(sandbox, patients=patients if patients is not None else 500, today=today)
    elif patients:
        from talkya_console.sandbox.seed.demo import seed_patients

        seed_patients(sandbox, patients)
    db.meta_set("seeded", seed)

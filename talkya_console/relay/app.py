"""The relay's ASGI app: webhook intake, the event stream, health and metrics."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Mapping, Sequence
from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route, WebSocketRoute

from talkya_console.relay.catchup import RelayCatchUp
from talkya_console.relay.core import Relay, error_response
from talkya_console.relay.log import EventLog
from talkya_console.relay.settings import RelaySettings, Secret, wrap_secrets
from talkya_console.relay.stream import stream_endpoint
from talkya_console.relay.webhooks import receive_webhook

log = logging.getLogger("talkya.relay")
# uvicorn options for serving the relay: per-message deflate would compress every frame once per subscriber.
UVICORN_OPTIONS = {"ws_per_message_deflate": False, "access_log": False}


async def _http_error(request: Request, exc: Exception) -> Response:
    """Errors in the contract's shape, and never a stack trace."""
    if isinstance(exc, HTTPException) and exc.status_code < 500:
        code = "not_found" if exc.status_code == 404 else "invalid_request"
        return error_response(exc.status_code, code, str(exc.detail))
    log.error("relay request failed: %s", type(exc).__name__)
    return error_response(500, "api_error", "The relay could not handle this request; retry it.")


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def metrics(request: Request) -> Response:
    relay: Relay = request.app.state.relay
    return PlainTextResponse(relay.render_metrics(), media_type="text/plain; version=0.0.4")


async def _prune_forever(relay: Relay) -> None:
    settings = relay.settings
    while True:
        try:
            deleted = await relay.db(relay.log.prune, settings.retention_days * 86400, settings.retention_count)
            if deleted:
                log.info("retention pruned %d events", deleted)
        except Exception:
            log.exception("retention pruning failed")
        await asyncio.sleep(settings.prune_interval)


async def _ping_forever(relay: Relay) -> None:
    interval = relay.settings.ping_interval
    sweeps = 0
    while True:
        # Sweeping at half the interval keeps every silence between 1 and 1.5 intervals.
        await asyncio.sleep(interval / 2)
        relay.hub.ping_idle(interval)
        sweeps += 1
        if sweeps % 2 == 0:
            try:
                await relay.cut_revoked()
            except Exception:
                log.exception("checking for revoked tokens failed")


def create_relay_app(
    db_path: Path | str,
    secrets: Mapping[str, Sequence[str | Secret]],
    *,
    settings: RelaySettings | None = None,
) -> Starlette:
    """The relay for `secrets` (workspace id to its webhook secrets), logging to the SQLite file `db_path`."""
    settings = settings or RelaySettings()
    wrapped = wrap_secrets(secrets)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        event_log = EventLog(db_path, synchronous=settings.synchronous)
        relay = Relay(event_log, wrapped, settings)
        app.state.relay = relay
        tasks = [
            asyncio.create_task(relay.writer.run()),
            asyncio.create_task(_prune_forever(relay)),
            asyncio.create_task(_ping_forever(relay)),
        ]
        for source in settings.catch_up:
            catch_up = RelayCatchUp(relay, source)
            await catch_up.prepare()
            tasks.append(asyncio.create_task(catch_up.run_forever()))
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            event_log.close()

    routes = [
        Route("/webhooks/{workspace_id}", receive_webhook, methods=["POST"]),
        WebSocketRoute("/v1/stream", stream_endpoint),
        Route("/healthz", healthz),
        Route("/metrics", metrics),
    ]
    return Starlette(
        routes=routes, lifespan=lifespan, exception_handlers={HTTPException: _http_error, Exception: _http_error}
    )

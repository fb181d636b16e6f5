"""The OAuth JSON endpoints: `POST /v1/oauth/token` (client credentials, authorization code
with PKCE S256, refresh token, device code), `POST /v1/oauth/device_authorization` (RFC 8628)
and `POST /v1/oauth/revoke` (RFC 7009). Errors follow RFC 6749 section 5.2. The rules live in
sandbox/grants.py and sandbox/device.py; the browser pages in routes/oauth_pages.py."""

from __future__ import annotations

import base64
import json
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import JSONResponse, Response

from talkya_console.sandbox import device, grants
from talkya_console.sandbox.context import Sandbox
from talkya_console.sandbox.grants import Client, GrantError, verify_pkce

__all__ = ["NO_STORE", "oauth_error", "read_params", "router", "verify_pkce"]

router = APIRouter(prefix="/v1/oauth", tags=["oauth"])

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


def oauth_error(error: str, description: str, status: int = 400) -> Response:
    headers = dict(NO_STORE)
    if status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="talkya"'
    return JSONResponse({"error": error, "error_description": description}, status_code=status, headers=headers)


def _client_error() -> Response:
    return oauth_error("invalid_client", "Client authentication failed.", 401)


async def read_params(request: Request) -> dict[str, Any]:
    """A form-encoded or JSON body as a dict of its string fields."""
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("application/json"):
        try:
            data = json.loads(await request.body() or b"{}")
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str)}


def _client_auth(request: Request, params: dict[str, Any]) -> tuple[str | None, str | None]:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(header[6:]).decode()
            client_id, _, secret = decoded.partition(":")
            return client_id, secret
        except ValueError:
            return None, None
    return params.get("client_id"), params.get("client_secret")


def _client(request: Request, params: dict[str, Any], *, authenticate: bool) -> Client | None:
    """The calling client. A public client never authenticates; a confidential one must when
    `authenticate`, and a secret it sends must be right either way."""
    sandbox: Sandbox = request.app.state.sandbox
    client_id, secret = _client_auth(request, params)
    client = grants.get_client(sandbox.db, client_id)
    if client is None or client.public:
        return client
    if (authenticate or secret) and not client.secret_matches(secret):
        return None
    return client


@router.post("/token", summary="Exchange a grant (client credentials, code, refresh token, device code) for tokens")
async def token(request: Request) -> Response:
    sandbox: Sandbox = request.app.state.sandbox
    params = await read_params(request)
    grant = params.get("grant_type")
    if not grant:
        return oauth_error("invalid_request", "grant_type is required.")
    if grant == "client_credentials":
        client = _client(request, params, authenticate=True)
        if client is None or client.public:
            return _client_error()
        scopes = client.grant_scopes(params.get("scope"))
        if scopes is None:
            return oauth_error("invalid_scope", "The requested scope exceeds what this client may have.")
        return JSONResponse(
            grants.issue_tokens(sandbox, client.workspace_id, scopes, client.client_id), headers=NO_STORE
        )
    redeemers = {
        "authorization_code": lambda c: grants.redeem_code(sandbox, c, params),
        "refresh_token": lambda c: grants.refresh(sandbox, c, params),
        DEVICE_GRANT: lambda c: device.redeem(sandbox, c, params.get("device_code")),
    }
    redeem = redeemers.get(str(grant))
    if redeem is None:
        return oauth_error("unsupported_grant_type", f"The grant type '{str(grant)[:60]}' is not supported.")
    client = _client(request, params, authenticate=False)
    if client is None:
        return _client_error()
    try:
        return JSONResponse(redeem(client), headers=NO_STORE)
    except GrantError as exc:
        return oauth_error(exc.error, exc.description)


@router.post("/device_authorization", summary="Start a device sign-in (RFC 8628)")
async def device_authorization(request: Request) -> Response:
    sandbox: Sandbox = request.app.state.sandbox
    params = await read_params(request)
    client = _client(request, params, authenticate=False)
    if client is None:
        return _client_error()
    workspace_id = client.grant_workspace(sandbox.db, params.get("workspace"))
    if workspace_id is None:
        return oauth_error("invalid_request", "workspace is missing or not a workspace this client can sign in to.")
    scopes = client.grant_scopes(params.get("scope"))
    if scopes is None:
        return oauth_error("invalid_scope", "The requested scope exceeds what this client may have.")
    device_code, user_code = device.open_grant(sandbox, client, workspace_id, scopes)
    verification_uri = str(request.base_url).rstrip("/") + "/v1/oauth/device"
    body = {
        "device_code": device_code,
        "user_code": user_code,
        "verification_uri": verification_uri,
        "verification_uri_complete": f"{verification_uri}?user_code={user_code}",
        "expires_in": sandbox.limits.device_code_ttl,
        "interval": sandbox.limits.device_interval,
    }
    return JSONResponse(body, headers=NO_STORE)


@router.post("/revoke", summary="Revoke an access or refresh token (RFC 7009)")
async def revoke(request: Request) -> Response:
    sandbox: Sandbox = request.app.state.sandbox
    params = await read_params(request)
    client = _client(request, params, authenticate=True)
    if client is None:
        return _client_error()
    value = params.get("token")
    if not value or not isinstance(value, str):
        return oauth_error("invalid_request", "token is required.")
    grants.revoke(sandbox, value, client)  # unknown tokens are fine: RFC 7009 section 2.2
    return JSONResponse({}, headers=NO_STORE)

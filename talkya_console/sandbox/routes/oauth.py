"""`POST /v1/oauth/token`: client credentials and authorization code (PKCE S256) grants.
Errors follow RFC 6749 section 5.2."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import JSONResponse, Response

from talkya_console.sandbox.auth import hash_secret
from talkya_console.sandbox.context import Sandbox

router = APIRouter(prefix="/v1/oauth", tags=["oauth"])

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def oauth_error(error: str, description: str, status: int = 400) -> Response:
    headers = dict(NO_STORE)
    if status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="talkya"'
    return JSONResponse({"error": error, "error_description": description}, status_code=status, headers=headers)


async def _form(request: Request) -> dict[str, Any]:
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


def verify_pkce(verifier: str, challenge: str) -> bool:
    digest = hashlib.sha256(verifier.encode()).digest()
    computed = base64.urlsafe_b64encode(digest).decode().rstrip("=")
    return hmac.compare_digest(computed, challenge)


def issue_access_token(
    sandbox: Sandbox, workspace_id: str, scopes: str, client_id: str, user_id: str | None = None, refresh: bool = False
) -> dict[str, Any]:
    ttl = sandbox.limits.token_ttl
    token = "tk_at_" + secrets.token_urlsafe(32)
    sandbox.auth.issue_token(token, "access", workspace_id, scopes, ttl, client_id, user_id)
    body: dict[str, Any] = {"access_token": token, "token_type": "Bearer", "expires_in": ttl, "scope": scopes}
    if refresh:
        refresh_token = "tk_rt_" + secrets.token_urlsafe(32)
        sandbox.auth.issue_token(refresh_token, "refresh", workspace_id, scopes, 30 * 24 * 3600, client_id, user_id)
        body["refresh_token"] = refresh_token
    return body


@router.post("/token", summary="Exchange a client credential or authorization code for an access token")
async def token(request: Request) -> Response:
    sandbox: Sandbox = request.app.state.sandbox
    params = await _form(request)
    grant = params.get("grant_type")
    if not grant:
        return oauth_error("invalid_request", "grant_type is required.")
    client_id, secret = _client_auth(request, params)
    row = sandbox.db.conn.execute(
        "SELECT secret_hash, workspace_id, scopes FROM oauth_clients WHERE client_id = ?", (client_id or "",)
    ).fetchone()
    if grant == "client_credentials":
        if row is None or not secret or not hmac.compare_digest(row[0], hash_secret(secret)):
            return oauth_error("invalid_client", "Client authentication failed.", 401)
        allowed = set(row[2].split())
        asked = str(params.get("scope") or "").split() or sorted(allowed)
        if not set(asked) <= allowed:
            return oauth_error("invalid_scope", "The requested scope exceeds what this client may have.")
        return JSONResponse(issue_access_token(sandbox, row[1], " ".join(asked), client_id or ""), headers=NO_STORE)
    if grant == "authorization_code":
        if row is None:
            return oauth_error("invalid_client", "Client authentication failed.", 401)
        return _redeem_code(sandbox, params, client_id or "")
    if grant == "refresh_token":
        if row is None:
            return oauth_error("invalid_client", "Client authentication failed.", 401)
        return _refresh(sandbox, params, client_id or "")
    return oauth_error("unsupported_grant_type", f"The grant type '{str(grant)[:60]}' is not supported.")


def _take_token(sandbox: Sandbox, kind: str, value: str, client_id: str) -> dict[str, Any] | None:
    """Look up and spend a one-time credential (code or refresh token)."""
    digest = hash_secret(value)
    row = sandbox.db.conn.execute(
        "SELECT workspace_id, user_id, scopes, expires_at, data, client_id, revoked FROM tokens WHERE hash = ? AND kind = ?",
        (digest, kind),
    ).fetchone()
    if row is None or row[5] != client_id or row[6] or row[3] < time.time():
        return None
    sandbox.db.conn.execute("UPDATE tokens SET revoked = 1 WHERE hash = ?", (digest,))
    return {"workspace_id": row[0], "user_id": row[1], "scopes": row[2], "data": json.loads(row[4])}


def _redeem_code(sandbox: Sandbox, params: dict[str, Any], client_id: str) -> Response:
    code, verifier = params.get("code"), params.get("code_verifier")
    if not code or not verifier:
        return oauth_error("invalid_request", "code and code_verifier are required.")
    grant = _take_token(sandbox, "code", str(code), client_id)
    if grant is None:
        return oauth_error("invalid_grant", "The authorization code is invalid, used or expired.")
    data = grant["data"]
    if data.get("redirect_uri") != params.get("redirect_uri"):
        return oauth_error("invalid_grant", "redirect_uri does not match the authorization request.")
    if not verify_pkce(str(verifier), data.get("code_challenge", "")):
        return oauth_error("invalid_grant", "The code_verifier does not match the code_challenge.")
    body = issue_access_token(
        sandbox, grant["workspace_id"], grant["scopes"], client_id, grant["user_id"], refresh=True
    )
    return JSONResponse(body, headers=NO_STORE)


def _refresh(sandbox: Sandbox, params: dict[str, Any], client_id: str) -> Response:
    value = params.get("refresh_token")
    if not value:
        return oauth_error("invalid_request", "refresh_token is required.")
    grant = _take_token(sandbox, "refresh", str(value), client_id)
    if grant is None:
        return oauth_error("invalid_grant", "The refresh token is invalid, used or revoked.")
    body = issue_access_token(
        sandbox, grant["workspace_id"], grant["scopes"], client_id, grant["user_id"], refresh=True
    )
    return JSONResponse(body, headers=NO_STORE)

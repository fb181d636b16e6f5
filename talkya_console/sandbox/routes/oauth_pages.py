"""The browser side of staff sign-in: the authorization endpoint (RFC 6749 section 4.1 with
PKCE, loopback redirects per RFC 8252) and the device verification page (RFC 8628 section 3.3).

Until the redirect URI is known to be the client's, errors are pages (never a redirect to an
unchecked URI); after that they go back to the app as `?error=...&state=...`."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from talkya_console.sandbox import device, grants, signin
from talkya_console.sandbox.context import Sandbox
from talkya_console.sandbox.routes.oauth import NO_STORE, read_params

router = APIRouter(prefix="/v1/oauth", tags=["oauth"])

START_AGAIN = "Start the sign-in again from your terminal."


def _redirect(redirect_uri: str, **params: str | None) -> Response:
    query = urlencode({k: v for k, v in params.items() if v is not None})
    separator = "&" if "?" in redirect_uri else "?"
    return RedirectResponse(f"{redirect_uri}{separator}{query}", status_code=302, headers=NO_STORE)


def _picker(
    sandbox: Sandbox, request: Request, workspace_id: str, client_id: str, scopes: str, hidden: dict[str, str]
) -> Response:
    client = grants.get_client(sandbox.db, client_id)
    return signin.staff_picker(
        action=request.url.path,
        workspace=grants.workspace_name(sandbox.db, workspace_id) or workspace_id,
        client=client.name if client else client_id,
        scopes=scopes,
        people=grants.staff(sandbox.db, workspace_id),
        hidden=hidden,
    )


@router.get("/authorize", response_class=HTMLResponse, summary="Staff sign-in: the authorization endpoint")
async def authorize(request: Request) -> Response:
    sandbox: Sandbox = request.app.state.sandbox
    query = request.query_params
    client = grants.get_client(sandbox.db, query.get("client_id"))
    if client is None:
        return signin.error_page("Unknown application", "This application is not registered with Talkya.")
    redirect_uri = query.get("redirect_uri") or ""
    if not client.redirect_allowed(redirect_uri):
        return signin.error_page(
            "Invalid redirect", "The redirect_uri is not one this application registered; nothing was sent to it."
        )
    state = query.get("state")

    def fail(error: str, description: str) -> Response:
        return _redirect(redirect_uri, error=error, error_description=description, state=state)

    response_type = query.get("response_type")
    if not response_type:
        return fail("invalid_request", "response_type is required.")
    if response_type != "code":
        return fail("unsupported_response_type", "Only response_type=code is supported.")
    challenge = query.get("code_challenge")
    problem = grants.valid_challenge(challenge, query.get("code_challenge_method"))
    if problem:
        return fail("invalid_request", problem)
    workspace_id = client.grant_workspace(sandbox.db, query.get("workspace"))
    if workspace_id is None:
        return fail("invalid_request", "workspace is missing or not a workspace this application can sign in to.")
    scopes = client.grant_scopes(query.get("scope"))
    if scopes is None:
        return fail("invalid_scope", "The requested scope exceeds what this application may have.")
    request_id = grants.open_request(sandbox, client, workspace_id, scopes, redirect_uri, str(challenge), state)
    return _picker(sandbox, request, workspace_id, client.client_id, scopes, {"request": request_id})


@router.post("/authorize", response_class=HTMLResponse, summary="Staff sign-in: the user's decision")
async def decide_authorize(request: Request) -> Response:
    sandbox: Sandbox = request.app.state.sandbox
    form = await read_params(request)
    pending = grants.find_request(sandbox, form.get("request"))
    if pending is None:
        return signin.error_page("Sign-in expired", f"This sign-in request is unknown, expired or used. {START_AGAIN}")
    decision = form.get("decision")
    if decision == "deny":
        if not grants.deny_request(sandbox, pending):
            return signin.error_page("Sign-in expired", f"This sign-in request was already used. {START_AGAIN}")
        return _redirect(
            pending.redirect_uri,
            error="access_denied",
            error_description="The sign-in was denied.",
            state=pending.state,
        )
    if decision != "allow":
        return signin.error_page("Invalid decision", "Choose 'Sign in and allow' or 'Deny'.")
    user_id = form.get("user_id")
    if not grants.is_staff(sandbox.db, pending.stored.workspace_id, user_id):
        return signin.error_page("Pick yourself", "Choose a staff member of this workspace, then sign in.")
    code = grants.issue_code(sandbox, pending, str(user_id))
    if code is None:
        return signin.error_page("Sign-in expired", f"This sign-in request was already used. {START_AGAIN}")
    return _redirect(pending.redirect_uri, code=code, state=pending.state)


@router.get("/device", response_class=HTMLResponse, summary="Device sign-in: enter the code from the terminal")
async def device_page(request: Request) -> Response:
    sandbox: Sandbox = request.app.state.sandbox
    typed = request.query_params.get("user_code")
    if not typed:
        return signin.device_entry(request.url.path)
    grant = device.pending_by_user_code(sandbox, typed)
    if grant is None:  # the code itself is never echoed back
        return signin.device_entry(request.url.path, "That code is not valid or has expired; check your terminal.")
    letters = device.normalize_user_code(typed) or ""
    user_code = f"{letters[:4]}-{letters[4:]}"
    return _picker(sandbox, request, grant.workspace_id, grant.client_id, grant.scopes, {"user_code": user_code})


@router.post("/device", response_class=HTMLResponse, summary="Device sign-in: the user's decision")
async def decide_device(request: Request) -> Response:
    sandbox: Sandbox = request.app.state.sandbox
    form: dict[str, Any] = await read_params(request)
    grant = device.pending_by_user_code(sandbox, form.get("user_code"))
    if grant is None:
        return signin.error_page("Code expired", f"This code is unknown, expired or already used. {START_AGAIN}")
    decision = form.get("decision")
    if decision not in ("allow", "deny"):
        return signin.error_page("Invalid decision", "Choose 'Sign in and allow' or 'Deny'.")
    user_id = form.get("user_id")
    if decision == "allow" and not grants.is_staff(sandbox.db, grant.workspace_id, user_id):
        return signin.error_page("Pick yourself", "Choose a staff member of this workspace, then sign in.")
    if not device.decide(sandbox, grant, str(user_id) if decision == "allow" else None):
        return signin.error_page("Code expired", f"This code was already used or has expired. {START_AGAIN}")
    return signin.device_done(decision == "allow")

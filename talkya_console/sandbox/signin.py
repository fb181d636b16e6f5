"""The sandbox's demo sign-in pages: plain HTML, no JavaScript, every value escaped. Staff pick
themselves from their workspace's directory; there is no password in the sandbox."""

from __future__ import annotations

from collections.abc import Iterable
from html import escape

from starlette.responses import HTMLResponse

from talkya_console.wire.users import User

HEADERS = {
    "Cache-Control": "no-store",
    "Pragma": "no-cache",
    "X-Frame-Options": "DENY",  # a consent page must not be framed (clickjacking)
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
}

_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 34rem; margin: 3rem auto; padding: 0 1rem; color: #1d2330; }
h1 { font-size: 1.4rem; }
.note { background: #fff7e0; border: 1px solid #e8d9a8; padding: .6rem .8rem; border-radius: 6px; font-size: .9rem; }
.error { background: #fdecec; border: 1px solid #e6b3b3; padding: .6rem .8rem; border-radius: 6px; }
fieldset { border: 1px solid #d5d9e0; border-radius: 6px; padding: .4rem .8rem; }
label.user { display: block; padding: .35rem 0; }
.role { color: #5b6475; font-size: .85rem; }
button { font-size: 1rem; padding: .5rem 1rem; margin: 1rem .5rem 0 0; }
"""

DEMO_NOTE = (
    "This is the Talkya sandbox's demo sign-in: staff pick themselves from the list below, and there is no password."
)
DEVICE_NOTE = "This is the Talkya sandbox's demo sign-in: after the code, staff pick themselves; there is no password."


def page(title: str, body: str, status: int = 200) -> HTMLResponse:
    """`body` is HTML built here from escaped values."""
    html = (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)} · Talkya sandbox</title><style>{_STYLE}</style></head>"
        f"<body>{body}</body></html>\n"
    )
    return HTMLResponse(html, status_code=status, headers=HEADERS)


def error_page(title: str, message: str, status: int = 400) -> HTMLResponse:
    return page(title, f"<h1>{escape(title)}</h1><p class='error'>{escape(message)}</p>", status)


def _hidden(fields: dict[str, str]) -> str:
    return "".join(f'<input type="hidden" name="{escape(k)}" value="{escape(v)}">' for k, v in fields.items())


def staff_picker(
    *,
    action: str,
    workspace: str,
    client: str,
    scopes: str,
    people: Iterable[User],
    hidden: dict[str, str],
    intro: str = "",
) -> HTMLResponse:
    """'Sign in to <workspace>': the staff as radio buttons, allow and deny."""
    choices = "".join(
        f'<label class="user"><input type="radio" name="user_id" value="{escape(u.id)}" required> '
        f'{escape(u.name)} <span class="role">{escape(u.role)}{" · " + escape(u.title) if u.title else ""}</span>'
        "</label>"
        for u in people
    )
    names = scopes.split()
    scope_list = "".join(f"<li>{escape(s)}</li>" for s in names)
    counted = f"{len(names)} scope{'' if len(names) == 1 else 's'}"
    body = (
        f"<h1>Sign in to {escape(workspace)}</h1>"
        f"<p class='note'>{escape(DEMO_NOTE)}</p>"
        f"{intro}"
        f"<p><b>{escape(client)}</b> will act as you in this workspace.</p>"
        f'<form method="post" action="{escape(action)}">{_hidden(hidden)}'
        f"<fieldset><legend>Who are you?</legend>{choices}</fieldset>"
        f"<details><summary>Access requested ({counted})</summary><ul>{scope_list}</ul></details>"
        '<button type="submit" name="decision" value="allow">Sign in and allow</button>'
        '<button type="submit" name="decision" value="deny" formnovalidate>Deny</button>'
        "</form>"
    )
    return page(f"Sign in to {workspace}", body)


def device_entry(action: str, error: str | None = None, status: int = 200) -> HTMLResponse:
    """The form a staff member types the code from their terminal into."""
    problem = f"<p class='error'>{escape(error)}</p>" if error else ""
    body = (
        "<h1>Sign in a device</h1>"
        f"<p class='note'>{escape(DEVICE_NOTE)}</p>{problem}"
        f'<form method="get" action="{escape(action)}">'
        "<label>Enter the code shown in your terminal: "
        '<input name="user_code" autocomplete="off" autocapitalize="characters" spellcheck="false" '
        'placeholder="XXXX-XXXX" required></label> '
        '<button type="submit">Continue</button></form>'
    )
    return page("Sign in a device", body, status)


def device_done(approved: bool) -> HTMLResponse:
    if approved:
        return page("Signed in", "<h1>Signed in: you can return to your terminal</h1><p>You may close this page.</p>")
    return page("Sign-in denied", "<h1>Sign-in denied</h1><p>The terminal will not be signed in.</p>")

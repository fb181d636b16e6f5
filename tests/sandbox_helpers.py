"""Request bodies and assertions the sandbox tests share."""

from __future__ import annotations

from typing import Any

import httpx

CONSENT = {"intake": True, "captured_at": "2026-05-18T13:55:00Z", "method": "electronic"}


def patient_body(**overrides: Any) -> dict[str, Any]:
    body = {
        "first_name": "Rosa",
        "last_name": "Quintero",
        "dob": "1980-03-14",
        "sex": "female",
        "phones": [{"type": "mobile", "number": "(305) 555-0177"}],
        "emails": ["rosa.q@example.com"],
        "tags": ["glp1"],
        "consent": CONSENT,
    }
    body.update(overrides)
    return body


def assert_error(response: httpx.Response, status: int, code: str, param: str | None = None) -> dict[str, Any]:
    """The contract's error body, with the request id that the header also carries."""
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code, error
    assert error["type"]
    assert error["message"]
    assert error["request_id"] == response.headers["Talkya-Request-Id"]
    if param is not None:
        assert error["param"] == param
    return error


async def walk(client: httpx.AsyncClient, path: str, **params: Any) -> list[dict[str, Any]]:
    """Every record of a list, following cursors."""
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = dict(params, limit=params.get("limit", 100))
        if cursor:
            query["cursor"] = cursor
        page = (await client.get(path, params=query)).json()
        items.extend(page["data"])
        if not page["has_more"]:
            return items
        cursor = page["next_cursor"]

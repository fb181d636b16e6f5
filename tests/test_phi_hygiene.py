"""PHI hygiene of the embedded demo: with DEBUG logging on, the sandbox, relay and simulator run a
while and take API calls (searches by name, and failing calls that carry PHI). No log line, no error
body and no file written (databases aside) holds a patient's name, phone, email or date of birth;
the files are owner-only; API keys and tokens are stored hashed."""

from __future__ import annotations

import asyncio
import logging
import os
import re
import sqlite3
import stat
from pathlib import Path
from typing import Any
from urllib.parse import unquote_plus

import httpx
import pytest

from talkya_console.embedded import EmbeddedRuntime
from tests.sandbox_helpers import CONSENT, patient_body, walk

DEMO_KEY = "tk_test_truebliss"


def _phi(patients: list[dict[str, Any]]) -> set[str]:
    values: set[str] = set()
    for p in patients:
        values.add(f"{p['first_name']} {p['last_name']}")
        if p.get("dob"):
            values.add(p["dob"])
        for email in p.get("emails") or []:
            values.add(email)
        for phone in p.get("phones") or []:
            number = phone["number"] if isinstance(phone, dict) else phone
            values.add(number)
            digits = re.sub(r"\D", "", number)
            if len(digits) >= 10:
                values.add(digits[-10:])
    return {v for v in values if len(v) >= 6}


def _find(text: str, phi: set[str]) -> list[str]:
    lowered = unquote_plus(text).lower()
    return sorted(v for v in phi if v.lower() in lowered)


@pytest.fixture
def debug_log(tmp_path: Path):
    """Every logger at DEBUG, into an owner-only file under tmp_path."""
    path = tmp_path / "debug.log"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    handler = logging.StreamHandler(os.fdopen(fd, "a", encoding="utf-8"))
    handler.setLevel(logging.DEBUG)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    previous = root.level
    # Whatever earlier tests left behind (a logging config that disabled existing loggers, a global
    # disable): this test hears every logger, and puts them back as they were after.
    loggers = [logging.getLogger(name) for name in list(logging.root.manager.loggerDict)]
    disabled = {logger.name: logger.disabled for logger in loggers}
    for logger in loggers:
        logger.disabled = False
    logging.disable(logging.NOTSET)
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield path
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)
        for logger in loggers:
            logger.disabled = disabled[logger.name]
        handler.close()


async def test_no_phi_in_logs_error_bodies_or_files(tmp_path: Path, debug_log: Path) -> None:
    data = tmp_path / "data"
    error_bodies: list[str] = []
    async with EmbeddedRuntime(data, patients=12, rate=30.0) as rt:
        api_base = rt.api_base
        headers = {"Authorization": f"Bearer {rt.api_key}", "Talkya-Workspace": rt.workspace}
        async with httpx.AsyncClient(base_url=rt.api_base, headers=headers, timeout=10) as http:
            seeded = await walk(http, "/v1/patients")
            assert len(seeded) >= 12
            p = seeded[0]
            full = f"{p['first_name']} {p['last_name']}"
            email = (p.get("emails") or ["rosa.q@example.com"])[0]
            phone = (p.get("phones") or [{"number": "(305) 555-0177"}])[0]["number"]

            ok = [
                await http.get("/v1/patients", params={"query": full}),
                await http.get("/v1/patients", params={"phone": phone}),
                await http.get("/v1/patients", params={"email": email, "dob": p["dob"]}),
                await http.get(f"/v1/patients/{p['id']}"),
            ]
            assert all(r.status_code == 200 for r in ok), [r.text for r in ok]
            same = {
                "first_name": p["first_name"],
                "last_name": p["last_name"],
                "dob": p["dob"],
                "phones": [{"type": "mobile", "number": phone}],
                "emails": [email],
            }
            failing = [
                ("POST", "/v1/patients", {"json": {**patient_body(**same), "consent": {"intake": False}}}),
                ("POST", "/v1/patients", {"json": patient_body(**{**same, "emails": [full]})}),
                ("POST", "/v1/patients", {"json": patient_body(**{**same, "dob": email})}),
                ("POST", "/v1/patients", {"json": {**same, "consent": CONSENT, "sex": phone}}),
                ("PATCH", f"/v1/patients/{p['id']}", {"json": {"dob": full}}),
                ("PATCH", f"/v1/patients/{p['id']}", {"json": {"phones": [{"type": full, "number": phone}]}}),
                ("PATCH", "/v1/patients/pat_doesnotexist", {"json": {"first_name": p["first_name"]}}),
                ("GET", "/v1/patients", {"params": {"dob": full}}),
                ("GET", "/v1/patients", {"params": {"cursor": email}}),
                ("GET", "/v1/patients", {"params": {"limit": phone}}),
                ("POST", "/v1/leads", {"json": {"source": full, "patient": {"name": full, "phone": email}}}),
                ("POST", "/v1/patients", {"content": f'{{"first_name": "{full}", "dob": "{p["dob"]}"', "headers": {}}),
            ]
            for method, path, kwargs in failing:
                response = await http.request(method, path, **kwargs)
                assert 400 <= response.status_code < 500, (method, path, response.status_code, response.text)
                error = response.json()["error"]
                assert error["request_id"] == response.headers["Talkya-Request-Id"]
                error_bodies.append(f"{method} {path} -> {response.status_code} {response.text}")
            bad_key = {"Authorization": f"Bearer {full}", "Talkya-Workspace": "ws_truebliss"}
            unauthorized = await http.get("/v1/patients", params={"query": full}, headers=bad_key)
            assert unauthorized.status_code == 401
            error_bodies.append(unauthorized.text)
            await asyncio.sleep(2.0)  # the simulator makes the clinic busy meanwhile
            everyone = await walk(http, "/v1/patients")
    phi = _phi(everyone)
    assert len(phi) > 30

    leaks = [f"{body[:300]} :: {_find(body, phi)}" for body in error_bodies if _find(body, phi)]
    assert not leaks, "PHI echoed in error bodies:\n" + "\n".join(leaks)

    lines = debug_log.read_text(encoding="utf-8").splitlines()
    assert len(lines) > 10, "DEBUG logging captured nothing"
    # httpx logs every request URL at INFO, query string included: the lines of this test's own
    # client (searches by phone and dob) are its doing, not the servers'; see the report on httpx.
    own = f"HTTP Request: {{}} {api_base}/"
    lines = [line for line in lines if not any(own.format(m) in line for m in ("GET", "POST", "PATCH"))]
    leaky_lines = [f"{line[:300]} :: {_find(line, phi)}" for line in lines if _find(line, phi)]
    assert not leaky_lines, "PHI in log lines:\n" + "\n".join(leaky_lines[:20])

    written = [f for f in tmp_path.rglob("*") if f.is_file()]
    assert any(f.name == "sandbox.db" for f in written)
    for f in written:
        if ".db" in f.name or ".sqlite3" in f.name or f == debug_log:  # the log: line by line above
            continue
        text = f.read_bytes().decode("utf-8", "replace")
        assert not _find(text, phi), f"PHI in {f.relative_to(tmp_path)}: {_find(text, phi)}"
    # Config, state, logs and databases owner-only (the empty lock file is exempt: it holds nothing,
    # and the data dir it sits in is owner-only, which the loop checks too).
    for f in [*written, data]:
        if f == debug_log or f.name == "embedded.lock":
            continue
        mode = stat.S_IMODE(f.stat().st_mode)
        assert mode & 0o077 == 0, f"{f.relative_to(tmp_path)} is {oct(mode)}"

    # Keys and tokens hashed: the demo key, relay token and simulator's tokens are nowhere in plaintext.
    with sqlite3.connect(data / "sandbox.db") as conn:
        dump = "\n".join(conn.iterdump())
        key_rows = conn.execute("SELECT hash FROM api_keys").fetchall()
        token_rows = conn.execute("SELECT hash FROM tokens").fetchall()
    assert key_rows and token_rows
    assert DEMO_KEY not in dump and "tk_test_northside" not in dump
    assert "tk_at_" not in dump, "an access token is stored in plaintext"
    assert all(re.fullmatch(r"[0-9a-f]{64}|[A-Za-z0-9_\-$=.+/]{20,}", h) and "tk_" not in h for (h,) in key_rows)
    with sqlite3.connect(data / "relay.db") as conn:
        relay_dump = "\n".join(conn.iterdump())
    assert rt.relay_token and rt.relay_token not in relay_dump
    for path in (data / "sandbox.db", data / "relay.db"):
        raw = path.read_bytes() + b"".join(p.read_bytes() for p in path.parent.glob(path.name + "-*") if p.is_file())
        assert DEMO_KEY.encode() not in raw and rt.relay_token.encode() not in raw


async def test_a_missing_reference_does_not_echo_the_value_sent() -> None:
    """Sent a patient's email where a patient id belongs, the 404 does not repeat it (an id-shaped value is named)."""
    from talkya_console.sandbox.app import create_app
    from talkya_console.sandbox.context import Limits
    from tests.conftest import DEMO_HEADERS

    app = create_app(":memory:", seed="empty", limits=Limits(rate_limit=None))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox", headers=DEMO_HEADERS) as http:
        response = await http.post("/v1/tasks", json={"title": "Call back", "patient_id": "rosa.q@example.com"})
    assert response.status_code == 404
    assert "rosa.q@example.com" not in response.text


def test_the_client_keeps_httpx_request_lines_with_their_query_strings_out_of_the_logs(caplog) -> None:
    import logging

    import talkya_console.api  # noqa: F401 (importing the client sets httpx's level)

    assert logging.getLogger("httpx").getEffectiveLevel() >= logging.WARNING
    with caplog.at_level(logging.DEBUG):
        logging.getLogger("httpx").info("HTTP Request: GET /v1/patients?phone=%2B13055550199")
    assert "13055550199" not in caplog.text

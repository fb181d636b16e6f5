"""The mechanics every route shares: credentials, workspaces, scopes, bodies, idempotency,
rate limits, pagination."""

from __future__ import annotations

import asyncio

import httpx

from talkya_console.sandbox.app import create_app
from talkya_console.sandbox.context import Limits
from tests.conftest import NORTHSIDE_HEADERS, READONLY_HEADERS
from tests.sandbox_helpers import assert_error, patient_body, walk


async def test_every_response_carries_a_request_id(api):
    response = await api.get("/v1/patients")
    assert response.headers["Talkya-Request-Id"].startswith("req_")


async def test_missing_credentials_is_401_with_www_authenticate(api):
    response = await api.get("/v1/patients", headers={"Authorization": ""})
    assert_error(response, 401, "missing_credentials")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


async def test_unknown_key_is_401(api):
    response = await api.get("/v1/patients", headers={"Authorization": "Bearer tk_test_nope"})
    assert_error(response, 401, "invalid_api_key")


async def test_workspace_header_must_match_the_key(api):
    response = await api.get("/v1/patients", headers={"Talkya-Workspace": "ws_northside"})
    assert_error(response, 403, "workspace_mismatch")


async def test_workspace_header_is_required(api):
    response = await api.get("/v1/patients", headers={"Talkya-Workspace": ""})
    assert_error(response, 400, "workspace_required")


async def test_read_only_key_cannot_write(api):
    response = await api.post("/v1/patients", json=patient_body(), headers=READONLY_HEADERS)
    error = assert_error(response, 403, "insufficient_scope")
    assert "patients:write" in error["message"]


async def test_another_workspaces_record_is_404(api):
    created = (await api.post("/v1/patients", json=patient_body())).json()
    response = await api.get(f"/v1/patients/{created['id']}", headers=NORTHSIDE_HEADERS)
    assert_error(response, 404, "resource_missing")
    assert created["first_name"] not in response.text


async def test_unknown_route_is_json_404(api):
    assert_error(await api.get("/v1/nothing-here"), 404, "route_not_found")


async def test_wrong_method_is_json_405(api):
    assert_error(await api.delete("/v1/patients"), 405, "method_not_allowed")


async def test_malformed_json_is_400(api):
    response = await api.post("/v1/patients", content=b'{"first_name": 1', headers={"Content-Type": "application/json"})
    assert_error(response, 400, "invalid_json")


async def test_wrong_type_is_422_naming_the_field(api):
    response = await api.post("/v1/patients", json=patient_body(dob="not a date"))
    assert_error(response, 422, "parameter_invalid", param="dob")


async def test_missing_field_is_422(api):
    body = patient_body()
    del body["last_name"]
    assert_error(await api.post("/v1/patients", json=body), 422, "parameter_missing", param="last_name")


async def test_unknown_enum_value_is_422(api):
    assert_error(await api.post("/v1/patients", json=patient_body(sex="x")), 422, "parameter_invalid", param="sex")


async def test_unknown_field_is_422(api):
    assert_error(
        await api.post("/v1/patients", json=patient_body(shoe_size=9)), 422, "parameter_unknown", param="shoe_size"
    )


async def test_oversized_body_is_413(api):
    big = patient_body(metadata={"blob": "x" * (1024 * 1024 + 10)})
    assert_error(await api.post("/v1/patients", json=big), 413, "payload_too_large")


async def test_bad_cursor_is_400(api):
    assert_error(await api.get("/v1/patients", params={"cursor": "garbage"}), 400, "invalid_cursor", param="cursor")


async def test_limit_out_of_range_is_400(api):
    assert_error(await api.get("/v1/patients", params={"limit": 101}), 400, "parameter_invalid", param="limit")


async def test_idempotent_replay_returns_the_first_response(api):
    headers = {"Idempotency-Key": "intake-0001"}
    first = await api.post("/v1/patients", json=patient_body(), headers=headers)
    second = await api.post("/v1/patients", json=patient_body(), headers=headers)
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    matches = await walk(api, "/v1/patients", query="Quintero")
    assert len(matches) == 1


async def test_reused_key_with_other_body_is_422(api):
    headers = {"Idempotency-Key": "intake-0002"}
    await api.post("/v1/patients", json=patient_body(), headers=headers)
    response = await api.post("/v1/patients", json=patient_body(first_name="Other"), headers=headers)
    assert_error(response, 422, "idempotency_key_reused")


async def test_key_in_flight_is_409(sandbox_app):
    sandbox = sandbox_app.state.sandbox
    gate_release = asyncio.Event()
    entered = asyncio.Event()

    @sandbox_app.post("/v1/slow-test")
    async def slow() -> dict:
        entered.set()
        await gate_release.wait()
        return {"ok": True}

    transport = httpx.ASGITransport(app=sandbox_app)
    headers = {
        "Authorization": "Bearer tk_test_truebliss",
        "Talkya-Workspace": "ws_truebliss",
        "Idempotency-Key": "k-409",
    }
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox", headers=headers) as client:
        first = asyncio.create_task(client.post("/v1/slow-test", json={}))
        await entered.wait()
        second = await client.post("/v1/slow-test", json={})
        gate_release.set()
        assert (await first).status_code == 200
    assert_error(second, 409, "idempotency_key_in_use")
    assert sandbox is not None


async def test_idempotency_key_too_long_is_400(api):
    response = await api.post("/v1/patients", json=patient_body(), headers={"Idempotency-Key": "k" * 256})
    assert_error(response, 400, "idempotency_key_invalid")


async def test_rate_limit_answers_429_with_retry_after():
    app = create_app(":memory:", seed="empty", limits=Limits(rate_limit=3, rate_window=60))
    transport = httpx.ASGITransport(app=app)
    headers = {"Authorization": "Bearer tk_test_truebliss", "Talkya-Workspace": "ws_truebliss"}
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox", headers=headers) as client:
        answers = [await client.get("/v1/patients") for _ in range(4)]
        other = await client.get(
            "/v1/patients", headers={"Authorization": "Bearer tk_test_northside", "Talkya-Workspace": "ws_northside"}
        )
    assert [r.status_code for r in answers] == [200, 200, 200, 429]
    assert [r.headers["RateLimit-Remaining"] for r in answers[:3]] == ["2", "1", "0"]
    assert answers[0].headers["RateLimit-Limit"] == "3"
    assert int(answers[3].headers["Retry-After"]) >= 1
    assert_error(answers[3], 429, "rate_limited")
    assert other.status_code == 200, "limits are per workspace"


async def test_pagination_neither_skips_nor_repeats_while_rows_are_inserted(api):
    seen: list[str] = []
    cursor = None
    inserted = 0
    while True:
        params = {"limit": 7, **({"cursor": cursor} if cursor else {})}
        page = (await api.get("/v1/patients", params=params)).json()
        seen.extend(p["id"] for p in page["data"])
        await api.post("/v1/patients", json=patient_body(first_name=f"Inserted{inserted}"))
        inserted += 1
        if not page["has_more"]:
            break
        cursor = page["next_cursor"]
    assert len(seen) == len(set(seen)) == 60


async def test_data_survives_a_restart(tmp_path):
    path = tmp_path / "sandbox.db"
    headers = {"Authorization": "Bearer tk_test_truebliss", "Talkya-Workspace": "ws_truebliss"}
    for round_ in range(2):
        app = create_app(path, seed="demo", patients=5)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://s", headers=headers
        ) as client:
            if round_ == 0:
                created = (await client.post("/v1/patients", json=patient_body())).json()
            else:
                again = await client.get(f"/v1/patients/{created['id']}")
                assert again.json() == created
        app.state.sandbox.db.close()
    assert oct(path.stat().st_mode & 0o777) == "0o600"


def test_the_database_and_its_wal_are_owner_only(tmp_path):
    from talkya_console.sandbox.db import Database

    db = Database(tmp_path / "data" / "sandbox.db")
    db.meta_set("probe", "1")
    files = {p.name: oct(p.stat().st_mode & 0o777) for p in (tmp_path / "data").iterdir()}
    db.close()
    assert set(files) >= {"sandbox.db", "sandbox.db-wal", "sandbox.db-shm"}
    assert set(files.values()) == {"0o600"}
    assert oct((tmp_path / "data").stat().st_mode & 0o777) == "0o700"


async def test_openapi_describes_the_routes(api):
    schema = (await api.get("/v1/openapi.json")).json()
    assert "/v1/patients" in schema["paths"]
    assert "bearer" in schema["components"]["securitySchemes"]


async def test_healthz(api):
    response = await api.get("/healthz", headers={"Authorization": ""})
    assert response.json()["status"] == "ok"


async def test_null_for_a_required_nested_object_is_422_naming_it(api):
    response = await api.post("/v1/patients", json=patient_body(phones=None))
    assert_error(response, 422, "parameter_invalid", param="phones")


async def test_patch_null_on_a_required_field_is_422_not_500(api):
    created = (await api.post("/v1/patients", json=patient_body())).json()
    response = await api.patch(f"/v1/patients/{created['id']}", json={"first_name": None})
    assert_error(response, 422, "parameter_invalid", param="first_name")


async def test_a_time_utc_cannot_hold_is_422_not_500(api):
    response = await api.post(
        "/v1/patients", json=patient_body(consent={"intake": True, "captured_at": "9999-12-31T23:59:59-05:00"})
    )
    assert_error(response, 422, "parameter_invalid", param="consent.captured_at")

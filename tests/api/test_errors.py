"""Every failure is a typed error carrying status, code, message, param and request id."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from talkya_console.api import (
    APIError,
    BadRequest,
    NotFound,
    PermissionDenied,
    TalkyaClient,
    ValidationError,
)
from talkya_console.api._exceptions import ConnectionError, InternalServerError
from talkya_console.wire import PatientUpdate
from tests.api.conftest import Recorder


async def test_missing_record_is_not_found_with_the_request_id(client: TalkyaClient, recorder: Recorder) -> None:
    with pytest.raises(NotFound) as caught:
        await client.patients.get("pat_missing")
    error = caught.value
    assert (error.status, error.code, error.type) == (404, "resource_missing", "not_found_error")
    assert error.request_id and error.request_id.startswith("req_")
    assert error.message in str(error) and error.request_id in str(error)


async def test_missing_consent_is_a_validation_error_naming_the_param(client: TalkyaClient, new_patient) -> None:
    params = new_patient(consent={"intake": False})
    with pytest.raises(ValidationError) as caught:
        await client.patients.create(params)
    assert (caught.value.status, caught.value.code, caught.value.param) == (422, "consent_required", "consent.intake")


async def test_readonly_key_writing_is_permission_denied(make_client: Callable[..., TalkyaClient]) -> None:
    client = make_client(api_key="tk_test_truebliss_readonly")
    patient = (await client.patients.search(limit=1).page()).data[0]
    with pytest.raises(PermissionDenied) as caught:
        await client.patients.update(patient.id, PatientUpdate(preferred_name="Ro"))
    assert caught.value.code == "insufficient_scope"


async def test_other_workspace_is_permission_denied(make_client: Callable[..., TalkyaClient]) -> None:
    client = make_client(api_key="tk_test_northside")
    with pytest.raises(PermissionDenied) as caught:
        await client.users.list().page()
    assert caught.value.code == "workspace_mismatch"


async def test_bad_cursor_is_a_bad_request(client: TalkyaClient) -> None:
    with pytest.raises(BadRequest) as caught:
        await client.patients.search().page(cursor="not-a-cursor")
    assert caught.value.code == "invalid_cursor"
    assert not isinstance(caught.value, ValidationError)


async def test_server_failure_is_not_retried_and_is_an_internal_server_error(
    make_client: Callable[..., TalkyaClient],
) -> None:
    import httpx

    calls: list[httpx.Request] = []

    def fail(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        body = {"error": {"type": "api_error", "code": "internal_error", "message": "Boom.", "request_id": "req_1"}}
        return httpx.Response(500, json=body)

    client = make_client(httpx.MockTransport(fail))
    with pytest.raises(InternalServerError) as caught:
        await client.users.me()
    assert (caught.value.status, caught.value.code, caught.value.request_id) == (500, "internal_error", "req_1")
    assert len(calls) == 1


async def test_a_body_that_is_not_the_contracts_still_gives_a_typed_error(
    make_client: Callable[..., TalkyaClient],
) -> None:
    import httpx

    client = make_client(
        httpx.MockTransport(lambda r: httpx.Response(404, text="gone", headers={"Talkya-Request-Id": "req_2"}))
    )
    with pytest.raises(NotFound) as caught:
        await client.users.get("usr_1")
    assert caught.value.request_id == "req_2" and caught.value.code is None


def test_every_error_is_an_api_error() -> None:
    for cls in (NotFound, ValidationError, PermissionDenied, ConnectionError, InternalServerError):
        assert issubclass(cls, APIError)

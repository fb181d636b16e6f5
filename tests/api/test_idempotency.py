"""Every write carries an Idempotency-Key: one per logical call, the caller's when given."""

from __future__ import annotations

import pytest

from talkya_console.api import TalkyaClient, ValidationError
from talkya_console.wire import PatientUpdate
from tests.api.conftest import Recorder


async def test_every_write_carries_its_own_key(client: TalkyaClient, recorder: Recorder, new_patient) -> None:
    first = await client.patients.create(new_patient())
    await client.patients.create(new_patient(first_name="Other"))
    await client.patients.update(first.id, PatientUpdate(preferred_name="Ro"))
    await client.patients.get(first.id)
    writes = [r for r in recorder.requests if r.method in ("POST", "PATCH")]
    keys = [r.headers["Idempotency-Key"] for r in writes]
    assert len(keys) == len(set(keys)) == 3
    assert all(1 <= len(k) <= 255 for k in keys)
    assert "Idempotency-Key" not in recorder.requests[-1].headers


async def test_callers_key_replays_the_first_result(client: TalkyaClient, new_patient) -> None:
    params = new_patient()
    first = await client.patients.create(params, idempotency_key="intake-form-42")
    again = await client.patients.create(params, idempotency_key="intake-form-42")
    assert again == first
    matches = [p async for p in client.patients.search(query="quintero")]
    assert [p.id for p in matches] == [first.id]


async def test_callers_key_reused_for_another_body_is_refused(client: TalkyaClient, new_patient) -> None:
    await client.patients.create(new_patient(), idempotency_key="intake-form-43")
    with pytest.raises(ValidationError) as caught:
        await client.patients.create(new_patient(first_name="Else"), idempotency_key="intake-form-43")
    assert caught.value.code == "idempotency_key_reused"


async def test_update_sends_only_the_fields_set(client: TalkyaClient, recorder: Recorder, new_patient) -> None:
    patient = await client.patients.create(new_patient())
    await client.patients.update(patient.id, {"preferred_name": "Ro"})
    assert recorder.requests[-1].content == b'{"preferred_name":"Ro"}'

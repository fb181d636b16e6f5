"""Patients against the sandbox: create after consent, read, update, search, audit."""

from __future__ import annotations

from datetime import date

import pytest

from talkya_console.api import NotFound, TalkyaClient, ValidationError
from talkya_console.wire import Patient, PatientUpdate


async def test_create_returns_a_typed_patient(client: TalkyaClient, new_patient) -> None:
    patient = await client.patients.create(new_patient(dob="1980-03-14"))
    assert isinstance(patient, Patient)
    assert patient.id.startswith("pat_") and patient.name == "Rosa Quintero"
    assert patient.dob == date(1980, 3, 14)
    assert patient.phones[0].number == "+13055550177"


async def test_create_accepts_a_mapping(client: TalkyaClient) -> None:
    body = {
        "first_name": "Ana",
        "last_name": "Lopez",
        "consent": {"intake": True, "captured_at": "2026-05-18T13:55:00Z"},
    }
    assert (await client.patients.create(body)).name == "Ana Lopez"


async def test_get_and_update(client: TalkyaClient, patient: Patient) -> None:
    updated = await client.patients.update(patient.id, PatientUpdate(preferred_name="Ro", tags=["vip"]))
    assert (updated.preferred_name, updated.tags) == ("Ro", ["vip"])
    assert await client.patients.get(patient.id) == updated


async def test_search_filters(client: TalkyaClient, patient: Patient) -> None:
    by_mrn = [p.id async for p in client.patients.search(mrn=patient.mrn)]
    by_dob = [p.id async for p in client.patients.search(dob=patient.dob)]
    by_phone = [p.id async for p in client.patients.search(phone="305-555-0177")]
    assert by_mrn == [patient.id]
    assert patient.id in by_dob and patient.id in by_phone


async def test_audit_records_each_write(client: TalkyaClient, patient: Patient) -> None:
    await client.patients.update(patient.id, {"preferred_name": "Ro"})
    actions = [entry.action async for entry in client.patients.audit(patient.id)]
    assert sorted(actions) == ["created", "updated"]


async def test_chart_opens_and_reveals_go_on_the_records_audit_trail(client: TalkyaClient, patient: Patient) -> None:
    viewed = await client.patients.record_access(patient.id, "viewed")
    revealed = await client.patients.record_access(patient.id, "revealed")
    assert (viewed.record_id, viewed.action, viewed.actor.type) == (patient.id, "viewed", "api_key")
    trail = [entry.action async for entry in client.patients.audit(patient.id)]
    assert {"viewed", "revealed"} <= set(trail)
    assert revealed.id in [entry.id async for entry in client.patients.audit(patient.id)]
    with pytest.raises(NotFound):
        await client.patients.record_access("pat_missing", "viewed")
    with pytest.raises(ValidationError) as caught:
        await client.patients.record_access(patient.id, "printed")  # type: ignore[arg-type]
    assert caught.value.param == "action"

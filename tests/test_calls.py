"""The AI receptionist: calls started, transcribed and finished by Talkya (the service functions),
read through the calls API; the workspace's routing rules; and the comms seed."""

from __future__ import annotations

import random

import pytest

from talkya_console.sandbox import receptionist
from talkya_console.sandbox.app import create_app
from talkya_console.sandbox.db import Where
from talkya_console.sandbox.errors import ApiError
from talkya_console.sandbox.seed.comms import seed_comms
from talkya_console.sandbox.seed.conversations import MIX
from talkya_console.wire import Call, Event, Patient, Transcript
from tests.conftest import DEMO_TODAY, NORTHSIDE_HEADERS, READONLY_HEADERS
from tests.sandbox_helpers import assert_error, patient_body, walk

WS = "ws_truebliss"
# Outside the seed's 305/786/954 area codes, so no seeded patient shares it.
ROSA_PHONE = "+12125550142"
CALL_EVENTS = ("receptionist.call.started", "receptionist.call.transcript.updated", "receptionist.call.completed")


@pytest.fixture
async def rosa(api):
    body = patient_body(phones=[{"type": "mobile", "number": "(212) 555-0142"}])
    return (await api.post("/v1/patients", json=body)).json()


def _segments(*lines: tuple[str, str]) -> list[dict]:
    return [
        {"speaker": speaker, "text": text, "start_ms": i * 4000, "end_ms": i * 4000 + 3500}
        for i, (speaker, text) in enumerate(lines)
    ]


DONE = {"intent": "new_consult", "outcome": "info_provided", "summary": "Asked about Botox.", "next_steps": []}


def _finished_call(sandbox, phone: str = "+13055550100", *, source: str = "phone", campaign=None, **done) -> Call:
    """A whole call: started, two lines said, then completed with `done` over the defaults."""
    call = receptionist.start_call(sandbox, WS, phone, source=source, campaign=campaign)
    receptionist.add_segments(sandbox, WS, call.id, _segments(("ai_receptionist", "Hello."), ("caller", "Hi.")))
    return receptionist.complete_call(sandbox, WS, call.id, **{**DONE, **done})


def _events(sandbox, call_id: str) -> list[Event]:
    """The call's events, oldest first."""
    where = Where().raw("json_extract(data, '$.data.call_id') = ?", call_id)
    return list(reversed(sandbox.db.all("event", WS, Event, where)))


# -- the service functions ----------------------------------------------------------------------


async def test_a_caller_is_matched_to_the_patient_with_that_number(sandbox, rosa):
    call = receptionist.start_call(sandbox, WS, "(212) 555-0142", source="google_ads", campaign="botox_fall")
    assert call.status == "in_progress"
    assert call.caller.phone == ROSA_PHONE
    assert call.caller.patient_id == rosa["id"]
    assert call.caller.name == "Rosa Quintero"


async def test_an_unknown_caller_is_matched_to_no_one(sandbox, rosa):
    call = receptionist.start_call(sandbox, WS, "+12125550143", source="phone")
    assert call.caller.patient_id is None


async def test_a_number_two_patients_share_is_matched_to_neither(api, sandbox, rosa):
    body = patient_body(first_name="Ana", phones=[{"number": ROSA_PHONE}])
    assert (await api.post("/v1/patients", json=body)).status_code == 201
    assert receptionist.start_call(sandbox, WS, ROSA_PHONE, source="phone").caller.patient_id is None


async def test_a_call_emits_started_segments_completed_and_booked_in_order(sandbox, rosa):
    call = receptionist.start_call(sandbox, WS, ROSA_PHONE, source="website")
    first = _segments(("ai_receptionist", "Thank you for calling."), ("caller", "I'd like a consult."))
    receptionist.add_segments(sandbox, WS, call.id, first)
    receptionist.add_segments(sandbox, WS, call.id, _segments(("ai_receptionist", "Thursday at 2?")))
    receptionist.complete_call(
        sandbox,
        WS,
        call.id,
        intent="new_consult",
        outcome="appointment_booked",
        summary="Booked a consult.",
        next_steps=["Send intake forms"],
        visit_type="aesthetic_consult",
        scheduled_at=DEMO_TODAY,
    )
    events = _events(sandbox, call.id)
    assert [e.type for e in events] == [*CALL_EVENTS[:2], *CALL_EVENTS[1:], "appointment.booked"]
    assert events[0].data == {"call_id": call.id, "patient_id": rosa["id"], "source": "website"}
    assert [s["index"] for s in events[1].data["segments"]] == [0, 1]
    assert events[2].data["segments"] == [{**_segments(("ai_receptionist", "Thursday at 2?"))[0], "index": 2}]
    assert events[3].data == {"call_id": call.id, "intent": "new_consult", "outcome": "appointment_booked"}
    assert events[4].data == {
        "call_id": call.id,
        "patient_id": rosa["id"],
        "visit_type": "aesthetic_consult",
        "scheduled_at": "2026-11-20T00:00:00Z",
    }
    assert not any(ROSA_PHONE in str(e.data) or "2125550142" in str(e.data) for e in events)


async def test_an_outcome_other_than_booked_emits_no_appointment(sandbox):
    call = _finished_call(sandbox, outcome="handoff", intent="billing_question")
    assert [e.type for e in _events(sandbox, call.id)] == [*CALL_EVENTS[:2], CALL_EVENTS[2]]


async def test_completing_sets_timing_and_finalises_the_transcript(api, sandbox):
    call = _finished_call(sandbox, outcome="appointment_booked", summary="Booked.", next_steps=["Confirm"])
    assert call.status == "completed" and call.ended_at is not None
    assert call.duration_seconds >= 0
    assert call.appointment is not None and call.appointment.visit_type == "aesthetic_consult"
    transcript = (await api.get(f"/v1/calls/{call.id}/transcript")).json()
    assert transcript["status"] == "final"
    assert transcript["summary"] == "Booked."
    assert transcript["next_steps"] == ["Confirm"]
    assert [(s["index"], s["speaker"], s["text"]) for s in transcript["segments"]] == [
        (0, "ai_receptionist", "Hello."),
        (1, "caller", "Hi."),
    ]
    assert "id" not in transcript and transcript["call_id"] == call.id


async def test_a_finished_call_cannot_change(sandbox):
    call = _finished_call(sandbox)
    with pytest.raises(ApiError) as refused:
        receptionist.add_segments(sandbox, WS, call.id, _segments(("caller", "Hello?")))
    assert (refused.value.status, refused.value.code) == (409, "call_not_live")


async def test_a_live_transcript_is_readable_while_the_call_goes_on(api, sandbox):
    call = receptionist.start_call(sandbox, WS, "+13055550100", source="phone")
    receptionist.add_segments(sandbox, WS, call.id, _segments(("ai_receptionist", "Hello.")))
    transcript = (await api.get(f"/v1/calls/{call.id}/transcript")).json()
    assert transcript["status"] == "live" and len(transcript["segments"]) == 1
    assert (await api.get(f"/v1/calls/{call.id}")).json()["status"] == "in_progress"


# -- the calls API --------------------------------------------------------------------------------


@pytest.fixture
def two_calls(sandbox, rosa) -> tuple[Call, Call]:
    booked = _finished_call(
        sandbox,
        ROSA_PHONE,
        source="google_ads",
        campaign="botox_fall",
        intent="new_consult",
        outcome="appointment_booked",
    )
    other = _finished_call(sandbox, source="website", intent="billing_question", outcome="handoff")
    receptionist.start_call(sandbox, WS, "+13055550101", source="phone")  # still in progress
    return booked, other


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("status", "completed"),
        ("source", "google_ads"),
        ("intent", "new_consult"),
        ("campaign", "botox_fall"),
        ("outcome", "appointment_booked"),
    ],
)
async def test_each_filter_keeps_only_matching_calls(api, two_calls, name, value):
    booked, other = two_calls
    found = await walk(api, "/v1/calls", **{name: value})
    assert booked.id in [c["id"] for c in found]
    assert all(c[name] == value for c in found)
    if name != "status":
        assert other.id not in [c["id"] for c in found]


async def test_patient_filter_follows_the_matched_caller(api, two_calls, rosa):
    found = await walk(api, "/v1/calls", patient_id=rosa["id"])
    assert [c["id"] for c in found] == [two_calls[0].id]


async def test_status_filter_finds_live_calls(api, two_calls):
    found = await walk(api, "/v1/calls", status="in_progress")
    assert found and all(c["status"] == "in_progress" for c in found)


async def test_created_range_filters_over_seeded_history(api, sandbox):
    seed_comms(sandbox, sandbox.db.all("patient", WS, Patient), random.Random(1), today=DEMO_TODAY)
    after, before = "2026-11-10T00:00:00Z", "2026-11-15T00:00:00Z"
    found = await walk(api, "/v1/calls", created_after=after, created_before=before)
    expected = [
        c for c in sandbox.db.all("call", WS, Call) if after <= c.model_dump(mode="json")["created_at"] < before
    ]
    assert found and sorted(c["id"] for c in found) == sorted(c.id for c in expected)


async def test_a_bad_date_filter_is_400(api):
    assert_error(await api.get("/v1/calls", params={"created_after": "last week"}), 400, "parameter_invalid")


async def test_another_workspaces_call_is_404(api, two_calls):
    call_id = two_calls[0].id
    assert_error(await api.get(f"/v1/calls/{call_id}", headers=NORTHSIDE_HEADERS), 404, "resource_missing")
    response = await api.get(f"/v1/calls/{call_id}/transcript", headers=NORTHSIDE_HEADERS)
    assert_error(response, 404, "resource_missing")
    assert call_id not in [c["id"] for c in (await api.get("/v1/calls", headers=NORTHSIDE_HEADERS)).json()["data"]]


async def test_read_only_key_reads_calls(api, two_calls):
    assert (await api.get(f"/v1/calls/{two_calls[0].id}", headers=READONLY_HEADERS)).status_code == 200


# -- routing rules ------------------------------------------------------------------------------


async def test_unconfigured_rules_are_the_med_spa_defaults(api):
    rules = (await api.get("/v1/receptionist/routing-rules")).json()
    assert rules["object"] == "routing_rules" and "id" not in rules
    assert rules["language"] == {"primary": "en", "supported": ["en", "es"]}
    hours = {(h["day"], h["open"], h["close"]) for h in rules["after_hours"]["hours"]}
    assert ("mon", "09:00", "18:00") in hours and ("sat", "10:00", "14:00") in hours
    assert not any(h[0] == "sun" for h in hours)
    assert rules["booking"]["visit_types"] and rules["greeting"]["text"]


async def test_patching_one_field_keeps_the_rest_and_persists(api):
    before = (await api.get("/v1/receptionist/routing-rules")).json()
    response = await api.patch("/v1/receptionist/routing-rules", json={"greeting": {"voice": "neutral"}})
    assert response.status_code == 200, response.text
    after = (await api.get("/v1/receptionist/routing-rules")).json()
    assert after["greeting"] == {**before["greeting"], "voice": "neutral"}
    assert after["after_hours"] == before["after_hours"]
    northside = (await api.get("/v1/receptionist/routing-rules", headers=NORTHSIDE_HEADERS)).json()
    assert northside["greeting"]["voice"] == "warm"


async def test_forwarding_after_hours_stores_a_normalised_number(api):
    body = {"after_hours": {"mode": "forward", "forward_to": "(305) 555-0100"}}
    assert (await api.patch("/v1/receptionist/routing-rules", json=body)).json()["after_hours"]["forward_to"] == (
        "+13055550100"
    )


@pytest.mark.parametrize(
    ("body", "code", "param"),
    [
        (
            {"after_hours": {"hours": [{"day": "mon", "open": "18:00", "close": "09:00"}]}},
            "hours_invalid",
            "after_hours.hours[0].close",
        ),
        ({"after_hours": {"mode": "forward"}}, "forward_to_required", "after_hours.forward_to"),
        ({"after_hours": {"timezone": "Mars/Olympus"}}, "timezone_invalid", "after_hours.timezone"),
        ({"language": {"primary": "fr"}}, "language_unsupported", "language.primary"),
        ({"booking": {"visit_types": []}}, "visit_types_required", "booking.visit_types"),
        ({"greeting": {"text": None}}, "parameter_invalid", "greeting.text"),
        ({"greeting": None}, "parameter_invalid", "greeting"),
        ({"greeting": {"txt": "Hi"}}, "parameter_unknown", "greeting.txt"),
    ],
)
async def test_refused_rules_name_the_param_and_change_nothing(api, body, code, param):
    before = (await api.get("/v1/receptionist/routing-rules")).json()
    assert_error(await api.patch("/v1/receptionist/routing-rules", json=body), 422, code, param=param)
    assert (await api.get("/v1/receptionist/routing-rules")).json() == before


async def test_read_only_key_cannot_change_rules(api):
    response = await api.patch(
        "/v1/receptionist/routing-rules", json={"greeting": {"voice": "neutral"}}, headers=READONLY_HEADERS
    )
    assert "receptionist:write" in assert_error(response, 403, "insufficient_scope")["message"]


# -- the seed -----------------------------------------------------------------------------------


def _seeded() -> list[tuple]:
    app = create_app(":memory:", seed="empty", patients=60)
    sandbox = app.state.sandbox
    patients = sandbox.db.all("patient", WS, Patient)
    seed_comms(sandbox, patients, random.Random(42), today=DEMO_TODAY)
    rows = sandbox.db.conn.execute(
        "SELECT id, kind, ts, data FROM records WHERE kind NOT IN ('patient', 'user', 'location') ORDER BY id"
    ).fetchall()
    return rows


def test_seed_comms_is_deterministic():
    assert _seeded() == _seeded()


def test_seeded_calls_are_two_weeks_of_every_intent_with_real_transcripts(sandbox):
    events_before = sandbox.db.count("event", WS)
    seed_comms(sandbox, sandbox.db.all("patient", WS, Patient), random.Random(3), today=DEMO_TODAY)
    assert sandbox.db.count("event", WS) == events_before
    calls = [c for c in sandbox.db.all("call", WS, Call) if c.status == "completed"]
    assert 140 <= len(calls) <= 160
    assert {c.intent for c in calls} == set(MIX)
    assert {c.outcome for c in calls} == {"appointment_booked", "lead_created", "handoff", "info_provided", "voicemail"}
    assert all(DEMO_TODAY.timestamp() - 15 * 86400 < c.created_at.timestamp() < DEMO_TODAY.timestamp() for c in calls)
    for call in calls:
        transcript = sandbox.db.get("transcript", WS, receptionist.transcript_id(call.id), Transcript)
        assert 8 <= len(transcript.segments) <= 20
        assert {s.speaker for s in transcript.segments} <= {"caller", "ai_receptionist", "staff"}
        assert "{" not in " ".join(s.text for s in transcript.segments)
    spanish = [c for c in calls if c.intent == "spanish_speaker"]
    assert spanish and all(c.language == "es" for c in spanish)
    assert sandbox.db.count("message", WS) == 200 and sandbox.db.count("channel", WS) == 4
    assert 12 <= sandbox.db.count("telehealth_visit", WS) <= 18

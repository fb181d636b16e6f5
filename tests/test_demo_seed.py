"""The full demo clinic: every area has data, references hold, and the same day gives the same clinic."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from talkya_console.sandbox.app import create_app
from talkya_console.sandbox.reminders import fire_due
from talkya_console.sandbox.seed.staff import CHANNEL_BILLING, CHANNEL_FRONT_DESK, CHANNEL_PROVIDERS
from tests.conftest import DEMO_TODAY

KINDS = [
    "patient",
    "encounter",
    "note",
    "document",
    "file",
    "lead",
    "contact",
    "deal",
    "task",
    "call",
    "transcript",
    "channel",
    "message",
    "telehealth_visit",
    "agent_run",
    "handoff",
    "hermes_route",
    "hermes_event",
    "user",
]


@pytest.fixture(scope="module")
def demo():
    return create_app(":memory:", seed="demo", today=DEMO_TODAY).state.sandbox


def _count(sandbox, kind: str, ws: str = "ws_truebliss") -> int:
    return sandbox.db.count(kind, ws)


def test_every_area_has_demo_data(demo):
    sandbox = demo
    empty = [kind for kind in KINDS if _count(sandbox, kind) == 0]
    assert empty == []
    assert _count(sandbox, "patient") == 500
    assert _count(sandbox, "patient", "ws_northside") == 40


def test_patient_references_point_at_patients_of_the_same_workspace(demo):
    sandbox = demo
    rows = sandbox.db.conn.execute(
        "SELECT r.kind, json_extract(r.data, '$.patient_id') AS pid FROM records r "
        "WHERE pid IS NOT NULL AND NOT EXISTS (SELECT 1 FROM records p WHERE p.id = pid AND p.kind = 'patient' "
        "AND p.workspace_id = r.workspace_id)"
    ).fetchall()
    assert rows == []


def test_messages_and_routes_share_the_fixed_channels(demo):
    sandbox = demo
    channels = {r[0] for r in sandbox.db.conn.execute("SELECT id FROM records WHERE kind = 'channel'")}
    assert {CHANNEL_FRONT_DESK, CHANNEL_PROVIDERS, CHANNEL_BILLING} <= channels
    message_channels = {
        r[0]
        for r in sandbox.db.conn.execute(
            "SELECT DISTINCT json_extract(data, '$.channel_id') FROM records WHERE kind = 'message'"
        )
    }
    assert message_channels <= channels
    route_targets = {
        json.loads(r[0])["target"]
        for r in sandbox.db.conn.execute(
            "SELECT json_extract(data, '$.destination') FROM records WHERE kind = 'hermes_route' "
            "AND json_extract(data, '$.destination.kind') = 'channel'"
        )
    }
    assert route_targets <= channels


def test_the_pages_example_encounter_exists(demo):
    sandbox = demo
    (row,) = sandbox.db.conn.execute(
        "SELECT data FROM records WHERE kind = 'encounter' AND json_extract(data, '$.metadata.call_id') = 'call_7fd2'"
    ).fetchall()
    encounter = json.loads(row[0])
    assert encounter["provider_id"] == "usr_114"
    assert encounter["reason"] == "GLP-1 refill review"


def test_only_tasks_due_from_today_on_will_remind(demo):
    sandbox = demo
    assert fire_due(sandbox, at=DEMO_TODAY - timedelta(seconds=1)) == 0


def test_the_same_day_gives_the_same_clinic():
    def snapshot() -> list[tuple[str, str]]:
        app = create_app(":memory:", seed="demo", patients=50, today=DEMO_TODAY)
        return app.state.sandbox.db.conn.execute("SELECT id, data FROM records ORDER BY id").fetchall()

    assert snapshot() == snapshot()

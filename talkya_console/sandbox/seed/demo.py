"""The demo clinic: TrueBliss, a med-spa and wellness practice, and Northside for isolation.

Everything hangs off one "today", so the clinic has two weeks of history, work due today and
bookings ahead. The same today and seed give the same clinic, byte for byte."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from talkya_console.sandbox.context import Sandbox
from talkya_console.sandbox.seed.agents import seed_agents
from talkya_console.sandbox.seed.comms import seed_comms
from talkya_console.sandbox.seed.crm import seed_crm
from talkya_console.sandbox.seed.ehr import seed_ehr
from talkya_console.sandbox.seed.people import seed_patients

__all__ = ["seed_demo", "seed_patients", "start_of_day"]

DEMO_SEED = 20260518


def start_of_day(at: datetime | None = None) -> datetime:
    return (at or datetime.now(UTC)).astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def seed_demo(sandbox: Sandbox, patients: int = 500, today: datetime | None = None) -> None:
    day = start_of_day(today)
    people = seed_patients(sandbox, patients)
    seed_ehr(sandbox, people[:2000], random.Random(DEMO_SEED + 1), today=day + timedelta(hours=14))
    seed_crm(sandbox, people[:2000], random.Random(DEMO_SEED + 2), today=day)
    seed_comms(sandbox, people[:2000], random.Random(DEMO_SEED + 3), today=day)
    seed_agents(sandbox, people[:2000], random.Random(DEMO_SEED + 4), today=day)
    northside = seed_patients(sandbox, 40, workspace_id="ws_northside", seed=11, prefix="NS")
    seed_crm(sandbox, northside, random.Random(DEMO_SEED + 5), workspace_id="ws_northside", today=day)
    _mark_past_reminders(sandbox, day)


def _mark_past_reminders(sandbox: Sandbox, day: datetime) -> None:
    """Seeded tasks that fell due before today were reminded of in the clinic's past; only what
    comes due from today on should fire `task.followup_due` now."""
    with sandbox.db.tx():
        sandbox.db.conn.execute(
            "UPDATE records SET data = json_set(data, '$.followup_due_at', json_extract(data, '$.due_at')) "
            "WHERE kind = 'task' AND json_extract(data, '$.due_at') < ?",
            (day.strftime("%Y-%m-%dT%H:%M:%SZ"),),
        )

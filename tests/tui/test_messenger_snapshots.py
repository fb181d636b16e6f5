"""Snapshots of the messenger: a channel with its unread divider, day separators, a bot reply, a
staff alert, a file, a patient link and a message still waiting in the outbox."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from talkya_console.tui.widgets.messenger_composer import Composer
from talkya_console.wire import Attachment, Author
from tests.test_outbox import Link
from tests.tui.conftest import FIXED_NOW, settle
from tests.tui.test_messenger import desk, open_channel, put_channel, put_message


def seed_room(sandbox: object) -> str:
    room = put_channel(sandbox, "front-desk-evening")
    day_before = FIXED_NOW - timedelta(days=1)
    put_message(sandbox, room, "Closing up: the laser room is stocked for tomorrow.", day_before - timedelta(hours=3))
    put_message(
        sandbox,
        room,
        "Booked by the AI receptionist: HydraFacial on Fri Nov 20, 4:30 PM.",
        day_before - timedelta(hours=1),
        kind="bot_reply",
        author=Author(type="bot", id="bot_talkya", name="Talkya AI"),
        patient_id="pat_demo",
    )
    put_message(
        sandbox,
        room,
        "Handoff from the AI receptionist: billing question needs a person.",
        FIXED_NOW - timedelta(hours=2),
        kind="staff_alert",
        author=Author(type="system", name="Talkya Hermes"),
    )
    put_message(
        sandbox,
        room,
        "Consent form for the 4:30 is signed, attached.",
        FIXED_NOW - timedelta(minutes=40),
        attachments=[
            Attachment(file_id="file_demo", filename="consent.pdf", content_type="application/pdf", size=48_213)
        ],
    )
    put_message(
        sandbox, room, "@Jordan Reyes can you confirm tomorrow's first slot?", FIXED_NOW - timedelta(minutes=12)
    )
    return room.id


def test_a_channel_with_a_divider_day_separators_and_a_pending_message(  # type: ignore[no-untyped-def]
    snap_compare, sandbox: object, tmp_path: Path
) -> None:
    room_id = seed_room(sandbox)
    link = Link(sandbox)
    app = desk(sandbox, link=link, outbox=tmp_path / "outbox.sqlite3")

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot)
        await open_channel(pilot, room_id)
        await pilot.press("2", "u", "z", "enter")
        composer = pilot.app.query_one(Composer)
        composer.cursor_blink = False
        link.down = True
        await pilot.press(*"Yes, 9:00 with Dr. Cho.", "enter")
        await settle(pilot)

    assert snap_compare(app, terminal_size=(120, 30), run_before=run_before)

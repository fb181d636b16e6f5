"""The messenger pane: channels with unread counts and mentions, read markers and the hotlist,
messages with day separators, files and patient links, older pages on scroll, the composer
(mentions, files, patients), pending sends that survive a restart, live messages, and search."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Static

from talkya_console.api import TalkyaClient
from talkya_console.outbox import Outbox
from talkya_console.tui.app import TalkyaConsole, styles_path
from talkya_console.tui.forms.fields import FormField
from talkya_console.tui.screens.channel_attach import AttachFileScreen
from talkya_console.tui.screens.channel_create import ChannelCreateScreen
from talkya_console.tui.screens.chart import ChartScreen
from talkya_console.tui.screens.lookup import LookupScreen
from talkya_console.tui.widgets import messenger as messenger_module
from talkya_console.tui.widgets.messenger import MessengerPane
from talkya_console.tui.widgets.messenger_composer import Composer
from talkya_console.tui.widgets.messenger_render import candidates, fragment_at, mentioned
from talkya_console.tui.widgets.messenger_view import MessageView
from talkya_console.wire import Attachment, Author, Channel, Event, Message
from tests.test_outbox import Link
from tests.tui.conftest import FIXED_NOW, client_factory_for, fixed_clock, settle, until
from tests.tui.test_identity import FRONT_DESK, PROVIDER, FakeIdentity

WS = "ws_truebliss"
MESSENGER_CSS = styles_path("messenger.tcss")


class Console(TalkyaConsole):
    """The console with the messenger's stylesheet (until the app lists it itself)."""

    CSS_PATH = [*TalkyaConsole.CSS_PATH, *([] if MESSENGER_CSS in TalkyaConsole.CSS_PATH else [MESSENGER_CSS])]


def desk(
    sandbox: object,
    *,
    feed: asyncio.Queue[Event] | None = None,
    identity: FakeIdentity | None = None,
    link: Link | None = None,
    outbox: Path | None = None,
) -> TalkyaConsole:
    """A console on the sandbox: as Jordan Reyes (front desk) with an identity, else by API key."""

    async def subscribe(after: int | None, epoch: str | None) -> AsyncIterator[Event]:
        assert feed is not None
        while True:
            yield await feed.get()

    if link is not None:

        def factory() -> TalkyaClient:
            return TalkyaClient("http://sandbox", WS, api_key="tk_test_truebliss", transport=link, max_retries=0)
    else:
        factory = identity.client if identity is not None else client_factory_for(sandbox)
    return Console(
        client_factory=factory,
        subscribe=subscribe if feed is not None else None,
        workspace=WS,
        clock=fixed_clock,
        identity=identity,
        idle_lock_minutes=0,
        outbox=Outbox(outbox, WS, clock=fixed_clock) if outbox is not None else None,
    )


def db(sandbox: object) -> Any:
    return sandbox.state.sandbox.db  # type: ignore[attr-defined]


def put_channel(sandbox: object, name: str, channel_id: str | None = None) -> Channel:
    """A channel stored straight into the sandbox (its messages get fixed times too)."""
    channel = Channel(
        id=channel_id or f"ch_{name.replace('-', '')}",
        name=name,
        purpose="front_desk",
        created_at=FIXED_NOW - timedelta(days=30),
        updated_at=FIXED_NOW - timedelta(days=30),
    )
    db(sandbox).insert("channel", WS, channel, ts=int(channel.created_at.timestamp() * 1e6))
    return channel


def put_message(sandbox: object, channel: Channel, text: str, at: datetime, **fields: Any) -> Message:
    """A message at a fixed time, stored straight into the sandbox."""
    fields.setdefault("author", Author(type="user", id="usr_104", name="Dana Whitfield"))
    message = Message(
        id=f"msg_{int(at.timestamp())}_{len(text)}", channel_id=channel.id, text=text, created_at=at, **fields
    )
    db(sandbox).insert("message", WS, message, ts=int(at.timestamp() * 1e6))
    stored = db(sandbox).get("channel", WS, channel.id, Channel)
    if stored.last_message_at is None or stored.last_message_at < at:
        db(sandbox).update("channel", WS, stored.model_copy(update={"last_message_at": at}))
    return message


def event(message_id: str, channel_id: str, mentions: list[str] | None = None) -> Event:
    data = {"message_id": message_id, "channel_id": channel_id, "kind": "text", "mentions": mentions or []}
    return Event(id=f"evt_{message_id}", type="message.created", created_at=FIXED_NOW, workspace_id=WS, data=data)


def pane(app: TalkyaConsole) -> MessengerPane:
    return app.query_one(MessengerPane)


def rows(app: TalkyaConsole) -> list[str]:
    """The open channel as text, one entry per row."""
    return [str(option.prompt) for option in pane(app).view.options]


async def open_channel(pilot: Pilot[None], channel_id: str) -> MessengerPane:
    """Reload the channel list (a channel may be new), then open one and wait for it."""
    messenger = pane(pilot.app)  # type: ignore[arg-type]
    messenger.load()
    await settle(pilot)
    pilot.app.open_channel(channel_id)  # type: ignore[attr-defined]
    await until(pilot, lambda: messenger.shown == channel_id)
    return messenger


def unread(app: TalkyaConsole, channel_id: str) -> str:
    return str(app.query_one("#channels-table", DataTable).get_cell(channel_id, "unread"))


@pytest.fixture
def feed() -> asyncio.Queue[Event]:
    return asyncio.Queue()


# Pure parts.


def test_an_at_name_being_typed_is_found_and_completed_from_the_directory(sandbox: object) -> None:
    from talkya_console.wire import User

    users = db(sandbox).all("user", WS, User)
    assert fragment_at("hi @han", 7) is not None
    assert fragment_at("mail a@b", 8) is None  # an address, not a mention
    [hannah] = candidates("han", users)
    assert hannah.name == "Dr. Hannah Cho"
    assert mentioned(f"thanks @{hannah.name}!", users) == [hannah.id]


# Channels, unread counts, read markers and the hotlist.


async def test_activity_elsewhere_counts_unread_and_a_mention_of_me_rings(sandbox, feed, monkeypatch) -> None:
    app = desk(sandbox, feed=feed, identity=FakeIdentity(sandbox))
    rings: list[int] = []
    monkeypatch.setattr(app, "bell", lambda: rings.append(1))
    async with app.run_test(size=(160, 44)) as pilot:
        await settle(pilot)
        other = put_channel(sandbox, "quiet-room")
        messenger = await open_channel(pilot, "ch_frontdesk")
        message = put_message(sandbox, other, "@Jordan Reyes can you call back?", FIXED_NOW, mentions=[FRONT_DESK])
        await feed.put(event(message.id, other.id, [FRONT_DESK]))
        await until(pilot, lambda: unread(app, other.id) == "@1")
        assert rings == [1]
        assert any("You were mentioned in #quiet-room" in n.message for n in app._notifications)
        # Someone else's mention is only an unread message.
        await feed.put(event("msg_other", other.id, [PROVIDER]))
        await until(pilot, lambda: unread(app, other.id) == "@2")
        assert rings == [1]
        name = app.query_one("#channels-table", DataTable).get_cell(other.id, "name")
        assert name.style == "bold"  # type: ignore[union-attr]
        assert messenger.selected == "ch_frontdesk"


async def test_the_unread_divider_stands_where_the_read_marker_was(sandbox, feed) -> None:
    room = put_channel(sandbox, "room")
    put_message(sandbox, room, "seen before", FIXED_NOW - timedelta(hours=3))
    app = desk(sandbox, feed=feed)
    async with app.run_test(size=(160, 44)) as pilot:
        await settle(pilot)
        await open_channel(pilot, "ch_frontdesk")
        fresh = put_message(sandbox, room, "arrived while away", FIXED_NOW - timedelta(hours=1))
        await feed.put(event(fresh.id, room.id))
        await until(pilot, lambda: unread(app, room.id) == "1")
        await open_channel(pilot, room.id)
        text = rows(app)
        assert text.index("──── new ────") == text.index(next(r for r in text if "arrived while away" in r)) - 1
        assert text.index(next(r for r in text if "seen before" in r)) < text.index("──── new ────")
        assert unread(app, room.id) == ""
        # Read now: leaving and coming back shows no divider.
        await open_channel(pilot, "ch_frontdesk")
        await open_channel(pilot, room.id)
        assert "──── new ────" not in rows(app)


async def test_alt_a_jumps_to_a_mention_first_then_to_unread_channels(sandbox, feed) -> None:
    app = desk(sandbox, feed=feed, identity=FakeIdentity(sandbox))
    async with app.run_test(size=(160, 44)) as pilot:
        await settle(pilot)
        messenger = await open_channel(pilot, "ch_marketing")
        await feed.put(event("msg_a", "ch_billing"))
        await feed.put(event("msg_b", "ch_frontdesk", [FRONT_DESK]))
        await until(pilot, lambda: unread(app, "ch_frontdesk") == "@1" and unread(app, "ch_billing") == "1")
        await pilot.press("2", "alt+a")
        await until(pilot, lambda: messenger.shown == "ch_frontdesk")
        await pilot.press("right_square_bracket")
        await until(pilot, lambda: messenger.shown == "ch_billing")
        await pilot.press("right_square_bracket")
        await settle(pilot)
        assert messenger.shown == "ch_billing"
        assert any("No channel has new messages" in n.message for n in app._notifications)


async def test_u_marks_the_last_message_unread_and_r_marks_the_channel_read(sandbox) -> None:
    room = put_channel(sandbox, "room")
    put_message(sandbox, room, "first", FIXED_NOW - timedelta(hours=2))
    put_message(sandbox, room, "second", FIXED_NOW - timedelta(hours=1))
    app = desk(sandbox)
    async with app.run_test(size=(160, 44)) as pilot:
        await settle(pilot)
        await open_channel(pilot, room.id)
        await pilot.press("u")
        assert unread(app, room.id) == "1"
        text = rows(app)
        assert text[text.index("──── new ────") + 1].endswith("second")
        await pilot.press("r")
        assert unread(app, room.id) == ""
        assert "──── new ────" not in rows(app)


async def test_c_creates_a_channel_of_a_kind_and_opens_it(sandbox) -> None:
    app = desk(sandbox)
    async with app.run_test(size=(160, 44)) as pilot:
        await settle(pilot)
        await pilot.press("2", "c")
        await settle(pilot)
        assert isinstance(app.screen, ChannelCreateScreen)
        await pilot.press(*"Evening Desk")
        app.screen.query_one("#field-purpose Select").focus()
        await pilot.press("enter", "down", "down", "enter")  # Front desk → Billing
        await pilot.press("ctrl+s")
        messenger = pane(app)
        await until(pilot, lambda: any(c.name == "evening-desk" for c in messenger.channels.values()))
        channel = next(c for c in messenger.channels.values() if c.name == "evening-desk")
        assert channel.purpose == "billing"
        await until(pilot, lambda: messenger.shown == channel.id)
        assert rows(app)[0] == "The beginning of #evening-desk"


async def test_a_taken_channel_name_is_refused_next_to_the_name(sandbox) -> None:
    app = desk(sandbox)
    async with app.run_test(size=(160, 44)) as pilot:
        await settle(pilot)
        await pilot.press("2", "c")
        await settle(pilot)
        await pilot.press(*"#billing", "ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ChannelCreateScreen)
        message = app.screen.query_one("#field-name .field-message", Static)
        assert "already exists" in str(message.render())


# Messages.


async def test_messages_show_day_separators_authors_times_and_kinds_apart(sandbox) -> None:
    room = put_channel(sandbox, "room")
    put_message(sandbox, room, "yesterday's note", FIXED_NOW - timedelta(days=1, hours=2))
    put_message(
        sandbox,
        room,
        "Booked by the AI receptionist.",
        FIXED_NOW - timedelta(hours=2),
        kind="bot_reply",
        author=Author(type="bot", id="bot_talkya", name="Talkya AI"),
    )
    put_message(
        sandbox,
        room,
        "Handoff: needs a person.",
        FIXED_NOW - timedelta(hours=1),
        kind="staff_alert",
        author=Author(type="system", name="Talkya Hermes"),
    )
    app = desk(sandbox)
    async with app.run_test(size=(160, 44)) as pilot:
        await settle(pilot)
        await open_channel(pilot, room.id)
        assert rows(app) == [
            "The beginning of #room",
            "── Yesterday ──",
            "13:30  Dana Whitfield  yesterday's note",
            "── Today ──",
            "13:30  ◆ Talkya AI  Booked by the AI receptionist.",
            "14:30  ▲ Talkya Hermes  Handoff: needs a person.",
        ]
        view = pane(app).view
        bot, alert = view.options[4].prompt, view.options[5].prompt
        assert bot.spans[1].style != alert.spans[1].style  # type: ignore[union-attr]


async def test_older_history_loads_as_you_scroll_up_a_page_at_a_time(sandbox) -> None:
    room = put_channel(sandbox, "busy")
    for i in range(120):
        put_message(sandbox, room, f"message {i:03}", FIXED_NOW - timedelta(minutes=200 - i))
    app = desk(sandbox)
    async with app.run_test(size=(160, 44)) as pilot:
        await settle(pilot)
        messenger = await open_channel(pilot, room.id)
        view = messenger.view
        assert len(view.messages) == 50 and view.messages[-1].text == "message 119"
        view.focus()
        await pilot.press("home")
        await until(pilot, lambda: len(view.messages) == 100)
        await pilot.press("home")
        await until(pilot, lambda: len(view.messages) == 120)
        assert not view.has_more and rows(app)[0] == "The beginning of #busy"
        assert [m.text for m in view.messages] == [f"message {i:03}" for i in range(120)]


async def test_enter_on_a_message_about_a_patient_opens_the_chart(sandbox) -> None:
    from talkya_console.wire import Patient

    patient = db(sandbox).all("patient", WS, Patient)[0]
    room = put_channel(sandbox, "room")
    put_message(sandbox, room, "Please call her back.", FIXED_NOW - timedelta(minutes=5), patient_id=patient.id)
    app = desk(sandbox)
    async with app.run_test(size=(160, 44)) as pilot:
        await settle(pilot)
        await open_channel(pilot, room.id)
        assert "⚕ linked to a patient chart" in rows(app)[-1]
        pane(app).view.focus()
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ChartScreen)
        assert app.screen.patient_id == patient.id  # type: ignore[attr-defined]


async def attachment_channel(app: TalkyaConsole, sandbox: object, tmp_path: Path) -> Channel:
    source = tmp_path / "labs.pdf"
    source.write_bytes(b"%PDF-1.4 results")
    assert app.client is not None
    file = await app.client.files.upload(source, content_type="application/pdf")
    room = put_channel(sandbox, "files")
    attachment = Attachment(file_id=file.id, filename=file.filename, content_type=file.content_type, size=file.size)
    put_message(sandbox, room, "Labs attached", FIXED_NOW - timedelta(minutes=3), attachments=[attachment])
    return room


async def test_s_saves_a_file_to_downloads_and_o_opens_it(sandbox, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    opened: list[Path] = []
    monkeypatch.setattr(messenger_module, "system_open", opened.append)
    app = desk(sandbox)
    async with app.run_test(size=(160, 44)) as pilot:
        await settle(pilot)
        room = await attachment_channel(app, sandbox, tmp_path)
        await open_channel(pilot, room.id)
        assert "▣ labs.pdf · 16 B" in rows(app)[-1]
        pane(app).view.focus()
        await pilot.press("s")
        saved = tmp_path / "home" / "Downloads" / "labs.pdf"
        await until(pilot, saved.exists)
        assert saved.read_bytes() == b"%PDF-1.4 results"
        await pilot.press("s")
        await until(pilot, (saved.parent / "labs (2).pdf").exists)
        await pilot.press("o")
        await until(pilot, lambda: bool(opened))
        assert opened[0].name == "labs.pdf" and opened[0].read_bytes() == b"%PDF-1.4 results"


# The composer.


async def test_enter_sends_and_ctrl_j_breaks_the_line(sandbox) -> None:
    room = put_channel(sandbox, "room")
    app = desk(sandbox)
    async with app.run_test(size=(160, 44)) as pilot:
        await settle(pilot)
        await open_channel(pilot, room.id)
        app.query_one(Composer).focus()
        await pilot.press(*"first line", "ctrl+j", *"second line", "enter")
        await settle(pilot)
        assert app.client is not None
        [sent] = (await app.client.messages.list(channel_id=room.id).page()).data
        assert sent.text == "first line\nsecond line"
        assert app.query_one(Composer).text == ""
        assert sum("first line" in row for row in rows(app)) == 1


async def test_tab_completes_a_mention_and_the_message_names_who_was_mentioned(sandbox) -> None:
    room = put_channel(sandbox, "room")
    app = desk(sandbox)
    async with app.run_test(size=(160, 44)) as pilot:
        await settle(pilot)
        await open_channel(pilot, room.id)
        app.query_one(Composer).focus()
        await pilot.press(*"ask @han")
        assert "@Dr. Hannah Cho" in str(app.query_one("#composer-hint", Static).render())
        await pilot.press("tab", *"about dosing", "enter")
        await settle(pilot)
        assert app.client is not None
        [sent] = (await app.client.messages.list(channel_id=room.id).page()).data
        assert sent.text == "ask @Dr. Hannah Cho about dosing"
        assert sent.mentions == [PROVIDER]


async def test_a_file_is_checked_before_upload_and_goes_with_the_message(sandbox, tmp_path) -> None:
    room = put_channel(sandbox, "room")
    (tmp_path / "script.exe").write_bytes(b"MZ")
    (tmp_path / "consent.pdf").write_bytes(b"%PDF-1.4 consent")
    app = desk(sandbox)
    async with app.run_test(size=(160, 44)) as pilot:
        await settle(pilot)
        await open_channel(pilot, room.id)
        app.query_one(Composer).focus()
        await pilot.press("ctrl+t")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, AttachFileScreen)
        screen.root = tmp_path
        await pilot.press(*str(tmp_path / "script.exe"), "enter")
        await settle(pilot)
        assert app.screen is screen
        field = screen.query_one("#field-file", FormField)
        assert "not accepted" in str(field.query_one(".field-message", Static).render())
        field.query_one(Input).value = str(tmp_path / "consent.pdf")
        await pilot.press("enter")
        await settle(pilot)
        assert not isinstance(app.screen, AttachFileScreen)
        assert "▣ consent.pdf · 16 B" in str(app.query_one("#composer-chips", Static).render())
        await pilot.press(*"signed consent", "enter")
        await settle(pilot)
        assert app.client is not None
        [sent] = (await app.client.messages.list(channel_id=room.id).page()).data
        assert [a.filename for a in sent.attachments] == ["consent.pdf"]
        assert not app.query_one("#composer-chips", Static).display


async def test_ctrl_g_links_a_patient_and_the_message_carries_the_link(sandbox) -> None:
    room = put_channel(sandbox, "room")
    app = desk(sandbox)
    async with app.run_test(size=(160, 44)) as pilot:
        await settle(pilot)
        await open_channel(pilot, room.id)
        app.query_one(Composer).focus()
        await pilot.press("ctrl+g")
        await settle(pilot)
        assert isinstance(app.screen, LookupScreen)
        await pilot.press(*"TB100060")
        await until(pilot, lambda: app.screen.found > 0)  # type: ignore[attr-defined]
        await pilot.press("enter")
        await settle(pilot)
        assert "⚕ Rafael Flores · TB100060" in str(app.query_one("#composer-chips", Static).render())
        await pilot.press(*"please review", "enter")
        await settle(pilot)
        assert app.client is not None
        [sent] = (await app.client.messages.list(channel_id=room.id).page()).data
        assert sent.patient_id is not None
        assert (await app.client.patients.get(sent.patient_id)).mrn == "TB100060"


async def test_a_message_typed_offline_waits_pending_and_is_sent_once_after_a_restart(sandbox, tmp_path) -> None:
    room = put_channel(sandbox, "room")
    link = Link(sandbox)
    path = tmp_path / "outbox.sqlite3"
    first = desk(sandbox, link=link, outbox=path)
    async with first.run_test(size=(160, 44)) as pilot:
        await settle(pilot)
        await open_channel(pilot, room.id)
        first.query_one(Composer).focus()
        link.down = True
        await pilot.press(*"sent from the basement", "enter")
        await settle(pilot)
        assert rows(first)[-1].endswith("You  sent from the basement  ⇡ pending")
        assert first.query_one(Composer).text == ""
    assert link.writes == 0

    link.down = False
    second = desk(sandbox, link=link, outbox=path)
    async with second.run_test(size=(160, 44)) as pilot:
        await settle(pilot)
        await open_channel(pilot, room.id)
        await until(pilot, lambda: not any("⇡ pending" in row for row in rows(second)))
        assert sum("sent from the basement" in row for row in rows(second)) == 1
        assert second.client is not None
        sent = (await second.client.messages.list(channel_id=room.id).page()).data
        assert [m.text for m in sent] == ["sent from the basement"]
    assert link.writes == 1


# Live.


async def test_a_live_message_appears_in_place_and_my_own_is_not_shown_twice(sandbox, feed) -> None:
    room = put_channel(sandbox, "room")
    app = desk(sandbox, feed=feed, identity=FakeIdentity(sandbox))
    async with app.run_test(size=(160, 44)) as pilot:
        await settle(pilot)
        await open_channel(pilot, room.id)
        app.query_one(Composer).focus()
        await pilot.press(*"on my way", "enter")
        await settle(pilot)
        assert app.client is not None
        [mine] = (await app.client.messages.list(channel_id=room.id).page()).data
        assert mine.author.id == FRONT_DESK
        await feed.put(event(mine.id, room.id))
        theirs = put_message(sandbox, room, "thanks!", FIXED_NOW + timedelta(minutes=1))
        await feed.put(event(theirs.id, room.id))
        await until(pilot, lambda: any(row.endswith("thanks!") for row in rows(app)))
        assert sum("on my way" in row for row in rows(app)) == 1
        assert unread(app, room.id) == ""


# Search.


async def test_slash_searches_the_channel_and_n_moves_between_matches(sandbox) -> None:
    room = put_channel(sandbox, "room")
    for i, text in enumerate(["Botox stock low", "lunch?", "more botox arrived", "ok"]):
        put_message(sandbox, room, text, FIXED_NOW - timedelta(minutes=10 - i))
    app = desk(sandbox)
    async with app.run_test(size=(160, 44)) as pilot:
        await settle(pilot)
        messenger = await open_channel(pilot, room.id)
        view = messenger.view
        view.focus()
        await pilot.press("slash", *"botox")
        await settle(pilot)
        assert "2 found" in str(app.query_one("#messenger-search-count", Static).render())
        assert view.current() is not None and view.current().text == "more botox arrived"  # type: ignore[union-attr]
        prompt = view.options[view.highlighted or 0].prompt
        assert any(span.style == view.styles_for()["match"] for span in prompt.spans)  # type: ignore[union-attr]
        await pilot.press("enter")
        assert app.focused is view
        await pilot.press("n")
        assert view.current().text == "Botox stock low"  # type: ignore[union-attr]
        await pilot.press("N")
        assert view.current().text == "more botox arrived"  # type: ignore[union-attr]
        await pilot.press("ctrl+f", "escape")
        assert not view.query_text
        assert isinstance(view, MessageView)

"""Bad input never crashes the console nor shows a traceback: control characters pasted or typed
into the lookup, a form field and the messenger's composer; an enormous paste; names in any
script; dates that are no dates; and a terminal shrunk to 40x12 and back on every kind of screen."""

from __future__ import annotations

import asyncio
import time

import pytest
from textual import events
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import Input, Static

from talkya_console.tui.app import TalkyaConsole
from talkya_console.tui.forms import NewPatientScreen
from talkya_console.tui.screens.chart import ChartScreen
from talkya_console.tui.screens.lookup import MAX_QUERY, LookupScreen
from talkya_console.tui.widgets.messenger_composer import Composer
from tests.tui.conftest import settle, until
from tests.tui.test_forms import capture_consent, field, message, open_form
from tests.tui.test_messenger import desk as messenger_desk
from tests.tui.test_messenger import open_channel, put_channel

CONTROL_PASTES = [
    "\x1b[31mred\x1b[0m",  # an SGR sequence
    "\x1b]0;title\x07",  # an OSC title change, ended by BEL
    "\x1b[2J\x1b[H",  # clear screen, cursor home
    "\x1b[?1049h\x1b[?25l",  # alternate screen, hidden cursor
    "nul\x00in\x00the\x00middle",
    "bell\x07\x07",
    "one\r\ntwo\rthree\nfour\r\n",
    "\r\n\r\n",
    "\x08\x7f\x1b",  # backspace, delete, a lone ESC
    "\t\x0b\x0c\x1c\x1d\x1e\x1f",
    "\u202etxet desrever\u202c",  # RTL override
    "\ud7ff\ufeff\ufffe\uffff",  # edge code points (no surrogates: a paste is valid text)
]
CONTROL_KEYS = ["escape", "ctrl+@", "ctrl+g", "ctrl+h", "ctrl+m", "ctrl+[", "ctrl+backslash", "tab", "shift+tab"]
MEGABYTE = "Ab1 é" * (1024 * 1024 // 5)  # about 1 MB of one line
MEGABYTE_LINES = ("x" * 79 + "\n") * (1024 * 1024 // 80)  # about 1 MB of many lines
BIG_PASTE_SECONDS = 30


def assert_alive(app: TalkyaConsole) -> None:
    """Still running, no exception caught by Textual, and the screen still renders."""
    assert app.is_running
    assert app.return_code is None
    assert app._exception is None, repr(app._exception)
    assert app.export_screenshot()  # a full render of the current screen


async def paste(pilot: Pilot[None], text: str, target: Widget | None = None) -> None:
    """A bracketed paste, as the terminal delivers it, to `target` (focused first) or the focused widget."""
    if target is not None:
        target.focus()
        await pilot.pause()
    target = pilot.app.focused
    assert target is not None, "nothing has the focus"
    target.post_message(events.Paste(text))
    await pilot.pause()


async def open_lookup(pilot: Pilot[None]) -> Input:
    await settle(pilot)
    await pilot.press("slash")
    await settle(pilot)
    assert isinstance(pilot.app.screen, LookupScreen)
    box = pilot.app.screen.query_one("#lookup-input", Input)
    assert pilot.app.focused is box
    return box


def lookup_status(app: TalkyaConsole) -> str:
    return str(app.screen.query_one("#lookup-status", Static).render())


# Control characters.


async def test_control_characters_pasted_or_typed_into_the_lookup_are_harmless(console: TalkyaConsole) -> None:
    async with console.run_test(size=(120, 40)) as pilot:
        box = await open_lookup(pilot)
        for text in CONTROL_PASTES:
            box.value = ""
            await paste(pilot, text)
            await settle(pilot)
            assert "\n" not in box.value and "\r" not in box.value  # one line of a paste, at most
            assert_alive(console)
            assert isinstance(console.screen, LookupScreen)
            assert "Traceback" not in lookup_status(console)
        box.value = ""
        await pilot.press(*CONTROL_KEYS[1:])  # not Escape first: it closes the lookup
        await settle(pilot)
        assert_alive(console)
        # The lookup still searches after all that.
        box.focus()
        box.value = ""
        await pilot.press(*"a")
        await until(pilot, lambda: console.screen.shown == "a")  # type: ignore[attr-defined]
        assert "found" in lookup_status(console)
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(console.screen, LookupScreen)
        assert_alive(console)


async def test_control_characters_in_a_form_field_are_refused_or_kept_never_a_crash(console: TalkyaConsole) -> None:
    async with console.run_test(size=(120, 40)) as pilot:
        results = await open_form(pilot, NewPatientScreen)
        for name in ("first_name", "dob", "emails"):
            control = field(console, name).control
            assert isinstance(control, Input)
            for text in CONTROL_PASTES:
                control.value = ""
                await paste(pilot, text, control)
                await pilot.press("tab")  # leaving the field checks it
                await pilot.pause()
                assert_alive(console)
                assert isinstance(console.screen, NewPatientScreen)
                assert "Traceback" not in message(console, name)
        control = field(console, "first_name").control
        control.focus()
        await pilot.press(*CONTROL_KEYS[1:])
        await settle(pilot)
        # Saving what is there is refused inline (no consent, odd fields), never a crash.
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert_alive(console)
        assert isinstance(console.screen, NewPatientScreen) and results == []


async def test_control_characters_in_the_composer_are_sent_or_refused_never_a_crash(sandbox) -> None:
    room = put_channel(sandbox, "pasteroom")
    app = messenger_desk(sandbox)
    async with app.run_test(size=(160, 44)) as pilot:
        await settle(pilot)
        await open_channel(pilot, room.id)
        composer = app.query_one(Composer)
        composer.focus()
        for text in CONTROL_PASTES:
            await paste(pilot, text)
            await settle(pilot)
            assert_alive(app)
        await pilot.press(*CONTROL_KEYS[1:3])
        composer.focus()
        await pilot.press("enter")  # send the lot: the API takes it or refuses it
        await settle(pilot)
        assert_alive(app)
        assert app.client is not None
        sent = (await app.client.messages.list(channel_id=room.id).page()).data
        assert len(sent) <= 1
        if not sent:  # refused: the draft is kept and the hint says why
            assert composer.text
        # Whatever was sent is shown without breaking the view.
        await settle(pilot)
        assert_alive(app)


# An enormous paste.


async def test_a_megabyte_pasted_into_the_lookup_keeps_the_console_responsive(console: TalkyaConsole) -> None:
    async with console.run_test(size=(120, 40)) as pilot:
        box = await open_lookup(pilot)
        began = time.monotonic()
        for text in (MEGABYTE, MEGABYTE_LINES):
            box.value = ""
            await paste(pilot, text)
            await asyncio.wait_for(settle(pilot), BIG_PASTE_SECONDS)
            assert_alive(console)
            assert len(box.value) <= MAX_QUERY  # refused whole (a bell) or cut to a query's length
        assert time.monotonic() - began < 2 * BIG_PASTE_SECONDS
        # Still answers keys: clear the box and search for something short.
        box.value = ""
        await pilot.press(*"a")
        await until(pilot, lambda: console.screen.shown == "a")  # type: ignore[attr-defined]
        await pilot.press("escape")
        await settle(pilot)
        assert_alive(console)


async def test_a_megabyte_pasted_into_the_composer_keeps_the_console_responsive(sandbox) -> None:
    room = put_channel(sandbox, "bigpaste")
    app = messenger_desk(sandbox)
    async with app.run_test(size=(160, 44)) as pilot:
        await settle(pilot)
        await open_channel(pilot, room.id)
        composer = app.query_one(Composer)
        composer.focus()
        began = time.monotonic()
        await paste(pilot, MEGABYTE_LINES)
        await asyncio.wait_for(settle(pilot), BIG_PASTE_SECONDS)
        assert_alive(app)
        assert len(composer.text) <= len(MEGABYTE_LINES)
        await pilot.press("enter")  # a message that size is refused (or sent once), never a crash
        await asyncio.wait_for(settle(pilot), BIG_PASTE_SECONDS)
        assert_alive(app)
        assert time.monotonic() - began < 2 * BIG_PASTE_SECONDS
        assert app.client is not None
        assert len((await app.client.messages.list(channel_id=room.id).page()).data) <= 1
        composer.clear()
        await pilot.press(*"ok", "enter")
        await settle(pilot)
        texts = [m.text for m in (await app.client.messages.list(channel_id=room.id).page()).data]
        assert "ok" in texts
        assert_alive(app)


# Names in any script.

UNICODE_NAMES = [
    ("ياسمين", "العلي"),  # Arabic, right to left
    ("שרה", "כהן"),  # Hebrew
    ("Zoë", "Nguyễn"),  # precomposed and combining
    ("Zoe\u0308", "Nguye\u0302\u0303n"),  # combining marks only
    ("Ana👩\u200d⚕️", "Smith🏳️\u200d🌈"),  # emoji with zero-width joiners
    ("Zero\u200bWidth", "Jo\u200dined"),  # zero-width space and joiner
    ("李", "小龍"),  # CJK, double width
]


@pytest.mark.parametrize(("first", "last"), UNICODE_NAMES)
async def test_a_name_in_any_script_is_saved_and_shown_in_the_chart(console: TalkyaConsole, first, last) -> None:
    async with console.run_test(size=(120, 40)) as pilot:
        results = await open_form(pilot, NewPatientScreen)
        await capture_consent(pilot)
        for name, text in (("first_name", first), ("last_name", last)):
            await paste(pilot, text, field(console, name).control)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert_alive(console)
        assert results, message(console, "first_name") or message(console, "last_name")
        [created] = results
        console.open_chart(created.id)
        await settle(pilot)
        chart = console.screen
        assert isinstance(chart, ChartScreen)
        assert console.client is not None
        patient = await console.client.patients.get(chart.patient_id)
        assert (patient.first_name, patient.last_name) == (first, last)
        assert str(chart.query_one("#chart-box").border_title) == f"Chart · {patient.name}"
        assert console.recent_charts[patient.id].startswith(patient.name)  # the lookup's recent list
        # Shrinking the terminal over a chart in those scripts renders too.
        await pilot.resize_terminal(40, 12)
        await settle(pilot)
        assert_alive(console)


# Dates that are no dates.

BAD_DOBS = [
    "2023-02-30",
    "1990-13-01",
    "13/45/1990",
    "00/00/0000",
    "31/31/31",
    "99999-01-01",
    "1/1/2030",
    "1/1/1800",
    "yesterday",
    "1980\u201003\u201014x",  # Unicode hyphens
    "\x00\x00",
    "-1",
    "9" * 400,
]


async def test_a_date_of_birth_that_is_no_date_is_refused_inline(console: TalkyaConsole) -> None:
    async with console.run_test(size=(120, 40)) as pilot:
        results = await open_form(pilot, NewPatientScreen)
        await capture_consent(pilot)
        for name, text in (("first_name", "Dora"), ("last_name", "Baddate")):
            await paste(pilot, text, field(console, name).control)
        control = field(console, "dob").control
        assert isinstance(control, Input)
        refused: list[str] = []
        for text in BAD_DOBS:
            control.value = ""
            await paste(pilot, text, control)
            await pilot.press("tab")
            await settle(pilot)
            assert_alive(console)
            said = message(console, "dob")
            if control.has_class("-invalid"):
                assert said and "Traceback" not in said, text
                refused.append(text)
                await pilot.press("ctrl+s")
                await settle(pilot)
                assert isinstance(console.screen, NewPatientScreen) and results == [], text
        # Every one is refused except those a reading could make sense of (none of these).
        assert refused == BAD_DOBS


# A tiny terminal.


async def shrink_and_back(pilot: Pilot[None]) -> None:
    app = pilot.app
    for size in ((40, 12), (20, 5), (40, 12), (120, 40)):
        await pilot.resize_terminal(*size)
        await settle(pilot)
        assert_alive(app)  # type: ignore[arg-type]


async def test_a_tiny_terminal_on_the_desk_a_chart_the_lookup_and_a_form(console: TalkyaConsole) -> None:
    async with console.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await shrink_and_back(pilot)  # the desk
        await pilot.press("z")  # zoomed too
        await shrink_and_back(pilot)
        await pilot.press("z")
        await open_lookup(pilot)
        await pilot.press(*"a")
        await until(pilot, lambda: console.screen.shown == "a")  # type: ignore[attr-defined]
        await shrink_and_back(pilot)
        await pilot.press("enter")  # open the chart of the first result
        await settle(pilot)
        assert isinstance(console.screen, ChartScreen)
        await shrink_and_back(pilot)
        await pilot.press("escape")
        await settle(pilot)
        await open_form(pilot, NewPatientScreen)
        await shrink_and_back(pilot)
        await pilot.resize_terminal(40, 12)
        await settle(pilot)
        await capture_consent(pilot)  # a form still takes keys when tiny
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert_alive(console)
        await pilot.resize_terminal(120, 40)
        await settle(pilot)
        assert_alive(console)


async def test_a_megabyte_pasted_into_the_command_palette_keeps_the_console_running(console: TalkyaConsole) -> None:
    async with console.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await settle(pilot)
        await paste(pilot, MEGABYTE)
        await asyncio.wait_for(settle(pilot), BIG_PASTE_SECONDS)
        await pilot.pause(1.0)  # the palette debounces its search
        await settle(pilot)
        assert_alive(console)
        await pilot.press("escape")
        await settle(pilot)
        assert_alive(console)

"""The calls pane and a call's screen: the live list and its filters, a transcript streaming from
simulator-shaped events, following and search, and the one-key actions from a call."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta

import httpx
import pytest
from textual.widgets import DataTable, LoadingIndicator, Static

from talkya_console.api import TalkyaClient
from talkya_console.relay.subscriber import Reset
from talkya_console.sandbox import receptionist
from talkya_console.tui.app import TalkyaConsole
from talkya_console.tui.screens.call import CallScreen
from talkya_console.tui.screens.call_actions import AskScreen
from talkya_console.tui.screens.chart import ChartScreen
from talkya_console.tui.widgets.calls import CallsPane, status_counts
from talkya_console.tui.widgets.calls_filter import CallFilters, FilterScreen
from talkya_console.tui.widgets.transcript import TranscriptView
from talkya_console.wire import Call, Event
from tests.tui.conftest import FIXED_NOW, settle, until

WS = "ws_truebliss"
UNKNOWN_PHONE = "+13055559876"


class Clock:
    """The console's clock, moved by hand."""

    def __init__(self, now: datetime = FIXED_NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class Recorder(httpx.AsyncBaseTransport):
    """The sandbox in-process, noting the query of each `/v1/calls` list."""

    def __init__(self, app: object) -> None:
        self.inner = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
        self.lists: list[dict[str, str]] = []
        # Set: transcript requests wait for it (a slow link), so the screen is up before they answer.
        self.hold: asyncio.Event | None = None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/calls":
            self.lists.append(dict(request.url.params))
        if self.hold is not None and request.url.path.endswith("/transcript"):
            await self.hold.wait()
        return await self.inner.handle_async_request(request)


class Desk:
    """A console on the sandbox whose every event reaches it through the fake relay, as the real
    relay would bring the simulator's; `clock` is the console's."""

    def __init__(self, sandbox: object) -> None:
        self.app_state = sandbox.state.sandbox  # type: ignore[attr-defined]
        self.feed: asyncio.Queue[Event | Reset] = asyncio.Queue()
        self.recorder = Recorder(sandbox)
        self.clock = Clock()
        self.spoken_ms: dict[str, int] = {}
        self.app_state.event_listeners.append(lambda ws, event: self.feed.put_nowait(event))

        async def subscribe(after: int | None, epoch: str | None) -> AsyncIterator[Event | Reset]:
            while True:
                yield await self.feed.get()

        def client() -> TalkyaClient:
            return TalkyaClient("http://sandbox", WS, api_key="tk_test_truebliss", transport=self.recorder)

        self.app = TalkyaConsole(client_factory=client, subscribe=subscribe, workspace=WS, clock=self.clock)

    def start_call(self, phone: str = UNKNOWN_PHONE, **kwargs: object) -> Call:
        """A call the receptionist answers now; the clock is set a minute into it."""
        call = receptionist.start_call(self.app_state, WS, phone, source="google_ads", campaign="botox_fall_2026")
        self.clock.now = call.started_at + timedelta(seconds=60)
        return call

    def say(self, call_id: str, *lines: tuple[str, str]) -> None:
        """Segments spoken two seconds apart, as the simulator adds them: one event each."""
        for speaker, text in lines:
            start = self.spoken_ms.get(call_id, 0)
            segment = {"speaker": speaker, "text": text, "start_ms": start, "end_ms": start + 1800}
            receptionist.add_segments(self.app_state, WS, call_id, [segment])
            self.spoken_ms[call_id] = start + 2000

    def complete(self, call_id: str) -> Call:
        return receptionist.complete_call(
            self.app_state,
            WS,
            call_id,
            intent="new_consult",
            outcome="lead_created",
            summary="New consult call; lead created.",
            next_steps=["Call back to book a consult", "Send the Botox price list"],
        )

    @property
    def pane(self) -> CallsPane:
        return self.app.query_one(CallsPane)

    def cells(self, column: str) -> list[str]:
        table = self.pane.query_one(DataTable)
        return [str(table.get_cell(row.key, column)) for row in table.ordered_rows]


@pytest.fixture
def desk(sandbox: object) -> Desk:
    return Desk(sandbox)


def notes(app: TalkyaConsole) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def select(desk: Desk, pilot: object, call_id: str) -> None:
    """Put the pane's cursor on the call, once it is listed."""
    await until(pilot, lambda: call_id in desk.pane.calls)  # type: ignore[arg-type]
    table = desk.pane.query_one(DataTable)
    table.move_cursor(row=table.get_row_index(call_id))
    table.focus()


async def open_call(desk: Desk, pilot: object, call_id: str) -> CallScreen:
    """Put the cursor on the call and press Enter."""
    await select(desk, pilot, call_id)
    await pilot.press("enter")  # type: ignore[attr-defined]
    await until(pilot, lambda: isinstance(desk.app.screen, CallScreen) and desk.app.screen.transcript is not None)  # type: ignore[arg-type]
    return desk.app.screen  # type: ignore[return-value]


# -- the list -----------------------------------------------------------------------------------


async def test_the_list_shows_status_caller_duration_and_codes(desk: Desk) -> None:
    async with desk.app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        pane = desk.pane
        assert len(pane.calls) > 20
        table = pane.query_one(DataTable)
        assert [str(c.label) for c in table.columns.values()] == [
            "Time", "Status", "Caller", "Dur", "Intent", "Outcome", "Campaign", "Source",
        ]  # fmt: skip
        for call in pane.calls.values():
            caller = str(table.get_cell(call.id, "caller"))
            assert caller == (call.caller.name or call.caller.phone)
            assert (
                str(table.get_cell(call.id, "dur")) == f"{call.duration_seconds // 60}:{call.duration_seconds % 60:02d}"
            )
            assert str(table.get_cell(call.id, "source")) == call.source.replace("_", " ")
        assert any(call.caller.name for call in pane.calls.values())
        assert any(call.caller.name is None for call in pane.calls.values())


async def test_the_count_per_status_is_under_the_pane_and_follows_live_calls(desk: Desk) -> None:
    async with desk.app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        pane = desk.pane
        assert pane.border_subtitle is not None
        assert pane.border_subtitle.startswith(status_counts(list(pane.calls.values())))
        done = sum(call.status == "completed" for call in pane.calls.values())
        assert re.match(rf"0 ringing · 0 live · {done} done", pane.border_subtitle)
        call = desk.start_call()
        await until(pilot, lambda: call.id in pane.calls)
        assert pane.border_subtitle.startswith(f"0 ringing · 1 live · {done} done")
        assert desk.cells("status")[0] == "● live"  # live calls come first
        desk.complete(call.id)
        await until(pilot, lambda: pane.calls[call.id].status == "completed")
        assert pane.border_subtitle.startswith(f"0 ringing · 0 live · {done + 1} done")


async def test_a_live_calls_duration_ticks_with_the_clock(desk: Desk) -> None:
    async with desk.app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        call = desk.start_call()
        await until(pilot, lambda: call.id in desk.pane.calls)
        table = desk.pane.query_one(DataTable)
        assert str(table.get_cell(call.id, "dur")) == "1:00"
        desk.clock.now += timedelta(seconds=75)
        desk.pane.tick()
        await pilot.pause()
        assert str(table.get_cell(call.id, "dur")) == "2:15"


@pytest.mark.parametrize("name", ["status", "source", "intent", "campaign", "outcome"])
async def test_each_filter_narrows_the_list_through_the_api(desk: Desk, name: str) -> None:
    async with desk.app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        pane = desk.pane
        values = sorted({getattr(call, name) for call in pane.calls.values()} - {None})
        value = "missed" if name == "status" else values[-1]
        pane.set_filters(CallFilters(**{name: value}))
        await settle(pilot)
        assert desk.recorder.lists[-1][name] == value
        assert pane.calls
        assert all(getattr(call, name) == value for call in pane.calls.values())
        client = desk.app.client
        assert client is not None
        expected = await client.calls.list(**{name: value}).page(limit=100)  # type: ignore[arg-type]
        assert set(pane.calls) == {call.id for call in expected.data}
        assert value.replace("_", " ") in str(pane.border_title)
        await pilot.press("x")
        await settle(pilot)
        assert name not in desk.recorder.lists[-1]
        assert len(pane.calls) > len(expected.data)


async def test_the_filter_screen_sets_a_code_and_a_day_range(desk: Desk) -> None:
    async with desk.app.run_test(size=(160, 50)) as pilot:
        await settle(pilot)
        pane = desk.pane
        day = max(call.started_at for call in pane.calls.values() if call.status == "completed").date()
        await pilot.press("f")
        assert isinstance(desk.app.screen, FilterScreen)
        desk.app.screen.query_one("#filter-status").value = "completed"  # type: ignore[attr-defined]
        desk.app.screen.query_one("#filter-since").value = day.isoformat()  # type: ignore[attr-defined]
        desk.app.screen.query_one("#filter-until").value = day.isoformat()  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        await settle(pilot)
        query = desk.recorder.lists[-1]
        assert query["status"] == "completed"
        assert query["created_after"].startswith(day.isoformat())
        assert query["created_before"].startswith((day + timedelta(days=1)).isoformat())
        assert pane.calls
        assert {call.started_at.astimezone(FIXED_NOW.tzinfo).date() for call in pane.calls.values()} == {day}
        assert pane.filters == CallFilters(status="completed", since=day, until=day)


async def test_a_day_that_does_not_parse_is_said_in_the_filter_screen(desk: Desk) -> None:
    async with desk.app.run_test(size=(160, 50)) as pilot:
        await settle(pilot)
        await pilot.press("f")
        screen = desk.app.screen
        screen.query_one("#filter-since").value = "last tuesday"  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        assert screen is desk.app.screen
        assert "not a date" in str(screen.query_one("#filter-problem", Static).render())


def test_filters_match_calls_as_the_api_would() -> None:
    filters = CallFilters(intent="new_consult", since=date(2026, 11, 20), until=date(2026, 11, 20))
    stamp = datetime(2026, 11, 20, 12, tzinfo=FIXED_NOW.tzinfo)
    call = Call.model_validate(
        {"id": "call_1", "status": "completed", "caller": {"phone": "+13055550100"}, "intent": "new_consult",
         "started_at": stamp, "created_at": stamp, "updated_at": stamp}
    )  # fmt: skip
    assert filters.matches(call, FIXED_NOW.tzinfo)
    assert not filters.matches(call.model_copy(update={"intent": "reschedule"}), FIXED_NOW.tzinfo)
    assert not filters.matches(call.model_copy(update={"created_at": stamp + timedelta(days=1)}), FIXED_NOW.tzinfo)


# -- the transcript -----------------------------------------------------------------------------


async def test_segments_stream_in_as_they_are_spoken(desk: Desk) -> None:
    async with desk.app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        call = desk.start_call()
        desk.say(call.id, ("ai_receptionist", "Thank you for calling TrueBliss."))
        screen = await open_call(desk, pilot, call.id)
        view = screen.query_one(TranscriptView)
        assert [s.text for s in view.segments] == ["Thank you for calling TrueBliss."]
        desk.say(call.id, ("caller", "Hi, how much is Botox?"), ("ai_receptionist", "It starts at $12 a unit."))
        await until(pilot, lambda: len(view.segments) == 3)
        assert [s.index for s in view.segments] == [0, 1, 2]
        assert [s.speaker for s in view.segments] == ["ai_receptionist", "caller", "ai_receptionist"]
        first, second = view.render_line(0).text, view.render_line(1).text
        assert first.startswith(" 0:00 Talkya   Thank you")
        assert second.startswith(" 0:02 Caller   Hi, how much")
        # Distinct colours per speaker.
        assert view.style("caller") != view.style("ai_receptionist") != view.style("staff")
        header = str(screen.query_one("#call-header", Static).render())
        assert UNKNOWN_PHONE in header and "● live" in header and "1:00" in header


async def test_the_opened_call_is_on_screen_not_covered_by_a_spinner(desk: Desk) -> None:
    # The screen once kept its fetch state in `loading`, Textual's own reactive: over a link slow
    # enough for the screen to be up first, a spinner covered the call and never left.
    async with desk.app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        call = desk.start_call()
        desk.say(call.id, ("ai_receptionist", "Thank you for calling TrueBliss."))
        desk.recorder.hold = asyncio.Event()
        await select(desk, pilot, call.id)
        await pilot.press("enter")
        for _ in range(200):  # not `until`: it waits for every worker, and this one is held
            await pilot.pause()
            screen = desk.app.screen
            if isinstance(screen, CallScreen) and screen.is_mounted and screen.fetching:
                break
        else:
            raise AssertionError("the call's screen never asked for the transcript")
        await pilot.pause()
        desk.recorder.hold.set()
        await until(pilot, lambda: screen.transcript is not None)  # type: ignore[attr-defined]
        await settle(pilot)
        assert not screen.loading
        assert not screen.query(LoadingIndicator)
        text = desk.app.export_screenshot().replace("&#160;", " ")
        assert "Thank you for calling TrueBliss." in text
        assert UNKNOWN_PHONE in text


async def test_a_repeated_or_late_event_adds_no_duplicate(desk: Desk) -> None:
    async with desk.app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        call = desk.start_call()
        screen = await open_call(desk, pilot, call.id)
        view = screen.query_one(TranscriptView)
        desk.say(call.id, ("caller", "Hello?"), ("ai_receptionist", "Hi there."))
        await until(pilot, lambda: len(view.segments) == 2)
        segment = view.segments[0].model_dump(mode="json")
        repeat = Event(
            id="evt_repeat", type="receptionist.call.transcript.updated", created_at=FIXED_NOW, workspace_id=WS,
            data={"call_id": call.id, "segments": [segment]},
        )  # fmt: skip
        desk.feed.put_nowait(repeat)
        desk.feed.put_nowait(repeat)
        await settle(pilot)
        assert [s.index for s in view.segments] == [0, 1]


async def test_following_pauses_when_scrolled_up_and_resumes_with_end_or_f(desk: Desk) -> None:
    async with desk.app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        call = desk.start_call()
        screen = await open_call(desk, pilot, call.id)
        view = screen.query_one(TranscriptView)
        desk.say(call.id, *[("caller" if n % 2 else "ai_receptionist", f"Line number {n}.") for n in range(60)])
        await until(pilot, lambda: len(view.segments) == 60)
        assert view.following and view.max_scroll_y > 0
        assert view.scroll_y == view.max_scroll_y
        status = screen.query_one("#call-status", Static)
        await pilot.press("up", "up")
        assert not view.following
        held = view.scroll_y
        desk.say(call.id, ("caller", "Are you still there?"))
        await until(pilot, lambda: len(view.segments) == 61)
        assert view.scroll_y == held  # the new line does not pull the view down
        assert "paused — End to follow · 1 new" in str(status.render())
        await pilot.press("end")
        assert view.following and view.scroll_y == view.max_scroll_y
        assert "following live" in str(status.render())
        await pilot.press("pageup")
        assert not view.following
        # A page at once, in the key's own handling: no glide left for the next key to wait behind.
        view.action_page_down()
        assert view.scroll_y == view.max_scroll_y and view.following
        view.action_page_up()
        assert view.scroll_y == max(0, view.max_scroll_y - view.scrollable_content_region.height)
        assert not view.following
        await pilot.press("f")
        assert view.following and view.scroll_y == view.max_scroll_y
        desk.say(call.id, ("ai_receptionist", "Yes, I'm here."))
        await until(pilot, lambda: len(view.segments) == 62)
        assert view.scroll_y == view.max_scroll_y


async def test_the_summary_and_next_steps_show_when_the_call_completes(desk: Desk) -> None:
    async with desk.app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        call = desk.start_call()
        desk.say(call.id, ("caller", "I'd like a consult."))
        screen = await open_call(desk, pilot, call.id)
        summary = screen.query_one("#call-summary", Static)
        assert not summary.display
        desk.complete(call.id)
        await until(pilot, lambda: summary.display)
        text = str(summary.render())
        assert "New consult call; lead created." in text
        assert "• Call back to book a consult" in text
        assert "✓ completed" in str(screen.query_one("#call-header", Static).render())


async def test_search_highlights_matches_and_n_moves_between_them(desk: Desk) -> None:
    async with desk.app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        call = desk.start_call()
        desk.say(
            call.id,
            *[("caller", f"Botox question {n}.") if n % 10 == 0 else ("ai_receptionist", "Okay.") for n in range(50)],
        )
        screen = await open_call(desk, pilot, call.id)
        view = screen.query_one(TranscriptView)
        await until(pilot, lambda: len(view.segments) == 50)
        await pilot.press("slash", *"botox")
        assert len(view.matches) == 5 and view.current == 0
        assert not view.following  # jumping to the first match leaves the end
        match_style, current_style = view.style("match"), view.style("current")
        first = view.matches[0]
        line = view.lines_of(first.position)[0]
        styled = [seg.style for seg in line if seg.text.casefold() == "botox"]
        assert styled and styled[0] is not None and styled[0].bgcolor == current_style.bgcolor
        await pilot.press("enter", "n")
        assert view.current == 1
        line = view.lines_of(view.matches[1].position)[0]
        assert [seg.style.bgcolor for seg in line if seg.text.casefold() == "botox"] == [current_style.bgcolor]  # type: ignore[union-attr]
        line = view.lines_of(first.position)[0]
        assert [seg.style.bgcolor for seg in line if seg.text.casefold() == "botox"] == [match_style.bgcolor]  # type: ignore[union-attr]
        assert "2/5" in str(screen.query_one("#call-status", Static).render())
        await pilot.press("N", "N")
        assert view.current == 4  # wraps around
        await pilot.press("escape")
        assert not view.matches and isinstance(desk.app.screen, CallScreen)
        await pilot.press("escape")
        assert not isinstance(desk.app.screen, CallScreen)


# -- one key each -------------------------------------------------------------------------------


async def answer(pilot: object, app: TalkyaConsole, text: str | None = None) -> None:
    """Answer the one-line question with its suggestion (or `text`)."""
    await until(pilot, lambda: isinstance(app.screen, AskScreen))  # type: ignore[arg-type]
    if text is not None:
        app.screen.query_one("#ask-input").value = text  # type: ignore[attr-defined]
    await pilot.press("enter")  # type: ignore[attr-defined]
    await settle(pilot)  # type: ignore[arg-type]


@pytest.mark.parametrize("where", ["pane", "screen"])
async def test_l_makes_a_lead_from_an_unknown_caller(desk: Desk, where: str) -> None:
    async with desk.app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        call = desk.start_call()
        if where == "screen":
            await open_call(desk, pilot, call.id)
        else:
            await select(desk, pilot, call.id)
        await pilot.press("l")
        await answer(pilot, desk.app, "Jordan Lee")
        assert desk.app.client is not None
        leads = await desk.app.client.leads.list(source="google_ads").page(limit=100)
        lead = next(lead for lead in leads.data if lead.call_id == call.id)
        assert lead.patient.name == "Jordan Lee" and lead.patient.phone == UNKNOWN_PHONE
        assert lead.campaign == "botox_fall_2026"
        assert "Lead created from the call." in notes(desk.app)


async def test_l_refuses_a_known_patient_and_o_opens_their_chart(desk: Desk) -> None:
    async with desk.app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        pane = desk.pane
        call = next(c for c in pane.ordered() if c.caller.patient_id)
        table = pane.query_one(DataTable)
        table.move_cursor(row=table.get_row_index(call.id))
        await pilot.press("l")
        await settle(pilot)
        assert not isinstance(desk.app.screen, AskScreen)
        assert "This caller is a patient already; o opens the chart." in notes(desk.app)
        await pilot.press("o")
        await until(pilot, lambda: isinstance(desk.app.screen, ChartScreen))
        assert desk.app.screen.patient_id == call.caller.patient_id  # type: ignore[attr-defined]


async def test_o_on_an_unknown_caller_says_so(desk: Desk) -> None:
    async with desk.app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        call = desk.start_call()
        await select(desk, pilot, call.id)
        await pilot.press("o")
        await settle(pilot)
        assert "This caller is not matched to a patient; l makes a lead." in notes(desk.app)


async def test_k_makes_a_task_linked_to_the_call(desk: Desk) -> None:
    async with desk.app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        call = desk.start_call()
        await open_call(desk, pilot, call.id)
        await pilot.press("k")
        await answer(pilot, desk.app, "Call back about Botox pricing")
        assert desk.app.client is not None
        tasks = await desk.app.client.tasks.list().page(limit=100)
        task = next(task for task in tasks.data if task.call_id == call.id)
        assert task.title == "Call back about Botox pricing" and task.assignee_role == "front_desk"
        assert "Task created." in notes(desk.app)


async def test_h_hands_the_call_to_staff(desk: Desk) -> None:
    async with desk.app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        call = desk.start_call()
        await select(desk, pilot, call.id)
        await pilot.press("h")
        await answer(pilot, desk.app)
        assert desk.app.client is not None
        handoffs = await desk.app.client.handoffs.list().page(limit=100)
        handoff = next(h for h in handoffs.data if h.call_id == call.id)
        assert handoff.reason == "Caller needs a person" and handoff.assignee_role == "front_desk"
        assert "Handed to the front desk." in notes(desk.app)


async def test_a_refused_write_is_an_error_toast(desk: Desk) -> None:
    async with desk.app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        call = desk.start_call()
        await select(desk, pilot, call.id)
        await pilot.press("k")
        await answer(pilot, desk.app, "x" * 300)  # longer than a task's title may be
        assert any(note.startswith("Not saved:") for note in notes(desk.app))


async def test_y_copies_the_calls_summary(desk: Desk) -> None:
    async with desk.app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        call = desk.start_call()
        desk.say(call.id, ("caller", "I'd like a consult."))
        desk.complete(call.id)
        await until(pilot, lambda: call.id in desk.pane.calls and desk.pane.calls[call.id].status == "completed")
        await select(desk, pilot, call.id)
        await pilot.press("y")
        await settle(pilot)
        copied = desk.app.clipboard
        assert UNKNOWN_PHONE in copied
        assert "Intent: new consult · Outcome: lead created · Source: google ads (botox_fall_2026)" in copied
        assert "Summary: New consult call; lead created." in copied
        assert "- Send the Botox price list" in copied
        assert "Copied the call's summary." in notes(desk.app)

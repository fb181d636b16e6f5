"""The tasks and handoffs queue: order, filters, flow-board cells, single-key actions and triage,
each against the in-process sandbox (the API is asked afterwards what changed)."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta

import pytest
from textual.widgets import DataTable, Input, Static

from talkya_console.relay.subscriber import Reset
from talkya_console.tui.app import TalkyaConsole
from talkya_console.tui.forms.base import FormScreen
from talkya_console.tui.screens.task_forms import (
    CompleteTaskScreen,
    NewTaskScreen,
    ReassignScreen,
    ResolveHandoffScreen,
    SnoozeScreen,
    snooze_until,
)
from talkya_console.tui.screens.triage import TriageScreen
from talkya_console.tui.widgets.tasks import ROW_WINDOW, TasksPane
from talkya_console.tui.widgets.tasks_rows import (
    PRIORITY_RANK,
    QueueFilter,
    handoff_key,
    in_status,
    task_key,
    task_overdue,
    task_since,
)
from talkya_console.wire import Event
from tests.tui.conftest import FIXED_NOW, client_factory_for, settle, until
from tests.tui.test_lookup_live import event

FRONT_DESK = "usr_102"  # Jordan Reyes


def pane_of(app: TalkyaConsole) -> TasksPane:
    return app.query_one(TasksPane)


def sort_key(item):  # type: ignore[no-untyped-def]
    return handoff_key(item) if item.object == "handoff" else task_key(item)


async def sign_in_as(app: TalkyaConsole, user_id: str = FRONT_DESK) -> None:
    """The API key acts for no one; act for a staff member as a signed-in console would."""
    assert app.client is not None
    me = await app.client.users.get(user_id)
    app.me = me
    pane_of(app).signed_in(me)


def first_task(pane: TasksPane, status: str = "open"):  # type: ignore[no-untyped-def]
    return next(i for i in pane.shown if i.object == "task" and i.status == status)


# -- pure rules -------------------------------------------------------------------------------------


def test_time_in_status_reads_like_a_flow_board() -> None:
    assert in_status(FIXED_NOW - timedelta(minutes=12), FIXED_NOW) == "12m"
    assert in_status(FIXED_NOW - timedelta(hours=2, minutes=5), FIXED_NOW) == "2h05"
    assert in_status(FIXED_NOW - timedelta(days=3, hours=1), FIXED_NOW) == "3d"
    assert in_status(FIXED_NOW + timedelta(minutes=5), FIXED_NOW) == "0m"


def test_role_filter_cycles_back_to_every_role() -> None:
    rules = QueueFilter()
    seen = []
    for _ in range(6):
        rules.next_role()
        seen.append(rules.role)
    assert seen == ["front_desk", "provider", "va", "billing", "coordinator", None]


def test_snooze_choices() -> None:
    assert snooze_until("15m", FIXED_NOW) == FIXED_NOW + timedelta(minutes=15)
    assert snooze_until("1h", FIXED_NOW) == FIXED_NOW + timedelta(hours=1)
    assert snooze_until("tomorrow", FIXED_NOW) == datetime(2026, 11, 21, 9, 0, tzinfo=UTC)


# -- the queue --------------------------------------------------------------------------------------


async def test_queue_is_sorted_by_due_time_then_priority(console: TalkyaConsole) -> None:
    async with console.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        assert console.client is not None
        due = datetime(2026, 11, 20, 16, 0, tzinfo=UTC)
        low = await console.client.tasks.create({"title": "Same due, low", "priority": "low", "due_at": due})
        urgent = await console.client.tasks.create({"title": "Same due, urgent", "priority": "urgent", "due_at": due})
        pane = pane_of(console)
        pane.load()
        await settle(pilot)
        table = console.query_one("#tasks-table", DataTable)
        keys = [key.value for key in table.rows]
        assert len(pane.shown) == len(pane.tasks) + len(pane.handoffs)
        assert keys == [item.id for item in pane.shown[: len(keys)]]
        assert len(keys) == min(ROW_WINDOW, len(pane.shown))
        ordered = [sort_key(item) for item in pane.shown]
        assert ordered == sorted(ordered)
        assert keys.index(urgent.id) == keys.index(low.id) - 1
        # in-progress tasks and claimed handoffs are in the queue too
        assert {t.status for t in pane.tasks.values()} == {"open", "in_progress"}


async def test_rows_past_the_window_come_as_the_cursor_reaches_them(console: TalkyaConsole) -> None:
    async with console.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        pane = pane_of(console)
        table = console.query_one("#tasks-table", DataTable)
        assert len(pane.shown) > ROW_WINDOW == table.row_count
        assert "shown" in str(pane.border_subtitle)
        await pilot.press("4", "ctrl+end")
        await settle(pilot)
        assert table.row_count == len(pane.shown)
        assert str(pane.border_subtitle) == ""
        await pilot.press("r", "r")  # a filter starts from the top again
        last = pane.shown[-1]
        await pilot.press("r", "r", "r", "r")
        pane.select(last.id)  # as the palette does
        assert pane.current_id() == last.id


async def test_role_filter_shows_one_role_at_a_time(console: TalkyaConsole) -> None:
    async with console.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        pane = pane_of(console)
        everything = len(pane.shown)
        await pilot.press("4", "r")
        assert pane.shown and all(item.assignee_role == "front_desk" for item in pane.shown)
        assert "front desk" in str(pane.border_title)
        await pilot.press("r", "r")
        assert pane.shown and all(item.assignee_role == "va" for item in pane.shown)
        assert "VA" in str(pane.border_title)
        await pilot.press("r")
        assert all(item.assignee_role == "billing" for item in pane.shown)
        await pilot.press("r", "r")
        assert len(pane.shown) == everything
        assert str(pane.border_title) == "4 Tasks and handoffs"


async def test_overdue_filter_and_marker(console: TalkyaConsole) -> None:
    async with console.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        pane = pane_of(console)
        table = console.query_one("#tasks-table", DataTable)
        overdue = [i for i in pane.shown if i.object == "task" and task_overdue(i, FIXED_NOW)]
        later = [i for i in pane.shown if i.object == "task" and not task_overdue(i, FIXED_NOW)]
        assert overdue and later
        cell = table.get_cell(overdue[0].id, "due")
        assert str(cell).startswith("! ") and "red" in str(cell.style)
        assert not str(table.get_cell(later[0].id, "due")).startswith("!")
        await pilot.press("4", "o")
        assert [i.id for i in pane.shown] == [i.id for i in overdue]
        assert "overdue" in str(pane.border_title)
        await pilot.press("o")
        assert len(pane.shown) > len(overdue)


async def test_handoffs_only_filter(console: TalkyaConsole) -> None:
    async with console.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        pane = pane_of(console)
        await pilot.press("4", "h")
        assert pane.shown and all(i.object == "handoff" for i in pane.shown)
        assert len(pane.shown) == len(pane.handoffs)
        await pilot.press("h")
        assert any(i.object == "task" for i in pane.shown)


async def test_filters_combine_with_mine(console: TalkyaConsole) -> None:
    async with console.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        await sign_in_as(console)
        pane = pane_of(console)
        await pilot.press("4", "m", "o")
        assert all(i.object == "task" and task_overdue(i, FIXED_NOW) for i in pane.shown)
        assert all(pane.is_mine(i.assignee_user_id, i.assignee_role) for i in pane.shown)
        assert str(pane.border_title).endswith("mine · overdue")


async def test_time_in_status_is_shown(console: TalkyaConsole) -> None:
    async with console.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        pane = pane_of(console)
        table = console.query_one("#tasks-table", DataTable)
        for status in ("open", "in_progress"):
            task = first_task(pane, status)
            text = str(table.get_cell(task.id, "since"))
            assert text == in_status(task_since(task), FIXED_NOW)
            assert re.fullmatch(r"\d+(m|h\d\d|d)", text)
        handoff = next(i for i in pane.shown if i.object == "handoff")
        assert str(table.get_cell(handoff.id, "since")) == in_status(handoff.created_at, FIXED_NOW)


async def test_followup_due_raises_a_toast(console: TalkyaConsole, feed: asyncio.Queue[Event | Reset]) -> None:
    async with console.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        pane = pane_of(console)
        task = first_task(pane)
        del pane.tasks[task.id]
        await feed.put(event("task.followup_due", task_id=task.id))
        await until(pilot, lambda: task.id in pane.tasks)
        assert any(n.title == "Follow-up due" for n in console._notifications)


# -- actions ----------------------------------------------------------------------------------------


async def test_c_claims_the_task_under_the_cursor(console: TalkyaConsole) -> None:
    async with console.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        await sign_in_as(console)
        pane = pane_of(console)
        task = first_task(pane)
        await pilot.press("4")
        pane.select(task.id)
        await pilot.press("c")
        await settle(pilot)
        assert console.client is not None
        stored = await console.client.tasks.get(task.id)
        assert (stored.status, stored.assignee_user_id) == ("in_progress", FRONT_DESK)
        assert pane.tasks[task.id].status == "in_progress"
        assert pane.current_id() == task.id


async def test_a_refused_claim_is_a_toast(console: TalkyaConsole) -> None:
    async with console.run_test(size=(140, 40)) as pilot:
        await settle(pilot)  # an API key acting for no one: the API refuses to guess the claimant
        pane = pane_of(console)
        task = first_task(pane)
        await pilot.press("4")
        pane.select(task.id)
        await pilot.press("c")
        await settle(pilot)
        assert any("acts for no staff member" in n.message for n in console._notifications)
        assert pane.tasks[task.id].status == "open"


async def test_d_completes_a_task_with_a_disposition(console: TalkyaConsole) -> None:
    async with console.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        pane = pane_of(console)
        task = first_task(pane)
        await pilot.press("4")
        pane.select(task.id)
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(console.screen, CompleteTaskScreen)
        console.screen.fields()["disposition"].selector.value = "left_voicemail"  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not isinstance(console.screen, FormScreen)
        assert console.client is not None
        stored = await console.client.tasks.get(task.id)
        assert (stored.status, stored.disposition) == ("done", "left_voicemail")
        assert task.id not in pane.tasks and task.id not in [i.id for i in pane.shown]


async def test_d_on_a_handoff_resolves_it_with_a_note(console: TalkyaConsole) -> None:
    async with console.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        pane = pane_of(console)
        handoff = next(i for i in pane.shown if i.object == "handoff")
        await pilot.press("4")
        pane.select(handoff.id)
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(console.screen, ResolveHandoffScreen)
        await pilot.press("ctrl+s")  # no note: refused by the form
        assert isinstance(console.screen, ResolveHandoffScreen)
        await pilot.press(*"Called back", "enter")
        await settle(pilot)
        assert console.client is not None
        stored = await console.client.handoffs.get(handoff.id)
        assert (stored.status, stored.resolution) == ("resolved", "Called back")
        assert handoff.id not in pane.handoffs


@pytest.mark.parametrize("kind", ["task", "handoff"])
async def test_a_reassigns_to_a_person_or_a_role(console: TalkyaConsole, kind: str) -> None:
    async with console.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        pane = pane_of(console)
        item = next(i for i in pane.shown if i.object == kind and i.status == "open")
        await pilot.press("4")
        pane.select(item.id)
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(console.screen, ReassignScreen)
        fields = console.screen.fields()
        fields["user"].selector.value = "usr_105"  # type: ignore[attr-defined]  # Lucia Fernandez, a VA
        fields["role"].selector.clear()  # type: ignore[attr-defined]  # the person's role goes with them
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert console.client is not None
        getter = console.client.tasks if kind == "task" else console.client.handoffs
        stored = await getter.get(item.id)
        assert (stored.assignee_user_id, stored.assignee_role) == ("usr_105", "va")
        table = console.query_one("#tasks-table", DataTable)
        assert str(table.get_cell(item.id, "assignee")) == "Lucia Fernandez"

        # and to a role's queue, nobody in particular
        pane.select(item.id)
        await pilot.press("a")
        await settle(pilot)
        fields = console.screen.fields()
        fields["role"].selector.value = "billing"  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        await settle(pilot)
        stored = await getter.get(item.id)
        assert (stored.assignee_user_id, stored.assignee_role) == (None, "billing")


async def test_s_snoozes_a_task(sandbox: object) -> None:
    # The sandbox refuses a snooze into its own past: this console's clock is the real one.
    app = TalkyaConsole(
        client_factory=client_factory_for(sandbox),
        subscribe=None,
        workspace="ws_truebliss",
        clock=lambda: datetime.now(UTC),
    )
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        pane = pane_of(app)
        task = first_task(pane)
        await pilot.press("4")
        pane.select(task.id)
        await pilot.press("s")
        await settle(pilot)
        assert isinstance(app.screen, SnoozeScreen)
        app.screen.fields()["until"].selector.value = "1h"  # type: ignore[attr-defined]
        before = datetime.now(UTC)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.client is not None
        stored = await app.client.tasks.get(task.id)
        assert stored.snoozed_until is not None and stored.due_at == stored.snoozed_until
        assert timedelta(minutes=59) < stored.snoozed_until - before < timedelta(minutes=61)
        assert pane.tasks[task.id].due_at == stored.due_at


async def test_a_refused_snooze_is_shown_in_the_form(console: TalkyaConsole) -> None:
    async with console.run_test(size=(140, 40)) as pilot:
        await settle(pilot)  # the fixed clock is days behind the sandbox's: 15 minutes on is its past
        pane = pane_of(console)
        task = first_task(pane)
        await pilot.press("4")
        pane.select(task.id)
        await pilot.press("s", "ctrl+s")
        await settle(pilot)
        assert isinstance(console.screen, SnoozeScreen)
        banner = str(console.screen.query_one("#form-banner", Static).render())
        assert "Not saved" in banner
        await pilot.press("escape")
        assert not isinstance(console.screen, SnoozeScreen)


async def test_s_on_a_handoff_says_it_works_on_tasks(console: TalkyaConsole) -> None:
    async with console.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        pane = pane_of(console)
        await pilot.press("4")
        pane.select(next(i for i in pane.shown if i.object == "handoff").id)
        await pilot.press("s")
        assert not isinstance(console.screen, SnoozeScreen)
        assert any("task only" in n.message for n in console._notifications)


async def test_n_creates_a_task(console: TalkyaConsole) -> None:
    async with console.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        pane = pane_of(console)
        await pilot.press("4", "n")
        await settle(pilot)
        assert isinstance(console.screen, NewTaskScreen)
        fields = console.screen.fields()
        fields["priority"].selector.value = "high"  # type: ignore[attr-defined]
        fields["role"].selector.value = "provider"  # type: ignore[attr-defined]
        fields["due"].input.value = "tomorrow 9:00"  # type: ignore[attr-defined]
        fields["title"].input.value = "Review lab results"  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not isinstance(console.screen, FormScreen)
        created = next(t for t in pane.tasks.values() if t.title == "Review lab results")
        assert console.client is not None
        stored = await console.client.tasks.get(created.id)
        assert (stored.priority, stored.assignee_role, stored.status) == ("high", "provider", "open")
        assert stored.due_at == datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
        assert pane.current_id() == created.id


async def test_n_refuses_a_task_without_a_title(console: TalkyaConsole) -> None:
    async with console.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        await pilot.press("4", "n")
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(console.screen, NewTaskScreen)
        assert "fix the fields" in str(console.screen.query_one("#form-banner", Static).render())


# -- triage -----------------------------------------------------------------------------------------


async def test_triage_claims_and_resolves_then_shows_the_next(console: TalkyaConsole) -> None:
    async with console.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        await sign_in_as(console)
        pane = pane_of(console)
        open_handoffs = sorted(
            (i for i in pane.shown if i.object == "handoff" and i.status == "open"),
            key=lambda h: (PRIORITY_RANK[h.priority], h.created_at),
        )
        assert len(open_handoffs) >= 2 and open_handoffs[0].priority == "urgent"  # most urgent first
        await pilot.press("4", "T")
        await settle(pilot)
        screen = console.screen
        assert isinstance(screen, TriageScreen)
        first = screen.current
        assert first is not None and first.id == open_handoffs[0].id
        assert str(screen.query_one("#triage-reason", Static).render()) == first.reason
        patient = str(screen.query_one("#triage-patient", Static).render())
        assert "MRN" in patient or first.patient_id is None
        source = str(screen.query_one("#triage-source", Static).render())
        assert ("Agent run" in source) if first.run_id else ("Call" in source or "Opened by hand" in source)
        # the next one's context is already loaded
        assert open_handoffs[1].id in screen.contexts

        await pilot.press("c")
        await settle(pilot)
        assert console.client is not None
        claimed = await console.client.handoffs.get(first.id)
        assert (claimed.status, claimed.assignee_user_id) == ("claimed", FRONT_DESK)
        assert screen.current is not None and screen.current.id == first.id

        await pilot.press("r")
        assert screen.query_one("#triage-note", Input).has_focus
        await pilot.press(*"Called the patient back", "enter")
        assert screen.current is not None and screen.current.id == open_handoffs[1].id  # at once
        assert "MRN" in str(screen.query_one("#triage-patient", Static).render()) or not screen.current.patient_id
        await settle(pilot)
        resolved = await console.client.handoffs.get(first.id)
        assert (resolved.status, resolved.resolution) == ("resolved", "Called the patient back")
        assert first.id not in pane.handoffs
        assert len(screen.timings) == 1 and screen.timings[0] < 0.1

        await pilot.press("escape")
        assert not isinstance(console.screen, TriageScreen)


async def test_enter_on_a_handoff_triages_from_it(console: TalkyaConsole) -> None:
    async with console.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        pane = pane_of(console)
        handoffs = [i for i in pane.shown if i.object == "handoff" and i.status == "open"]
        await pilot.press("4")
        pane.select(handoffs[-1].id)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(console.screen, TriageScreen)
        assert console.screen.current is not None and console.screen.current.id == handoffs[-1].id


async def test_triage_assign_moves_on_and_a_refused_resolve_comes_back(console: TalkyaConsole) -> None:
    async with console.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        pane = pane_of(console)
        await pilot.press("4", "T")
        await settle(pilot)
        screen = console.screen
        assert isinstance(screen, TriageScreen)
        first = screen.current
        assert first is not None
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(console.screen, ReassignScreen)
        console.screen.fields()["role"].selector.value = "billing"  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert console.screen is screen
        assert screen.current is not None and screen.current.id != first.id
        assert console.client is not None
        assert (await console.client.handoffs.get(first.id)).assignee_role == "billing"
        assert pane.handoffs[first.id].assignee_role == "billing"

        # resolved elsewhere meanwhile: the API refuses, the toast says so, and it leaves the queue
        second = screen.current
        await console.client.handoffs.resolve(second.id, "Done at the desk")
        screen.query_one("#triage-note", Input).value = "Also done"
        await pilot.press("r")
        await settle(pilot)
        assert any("already resolved" in n.message for n in console._notifications)
        assert all(h.id != second.id for h in screen.queue) and second.id not in pane.handoffs

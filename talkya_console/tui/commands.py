"""Command palette providers: patients (search), channels, tasks, and desk actions."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from textual.command import DiscoveryHit, Hit, Hits, Provider

from talkya_console.tui.forms import open_new_patient, open_routing_rules
from talkya_console.tui.node import ConsoleNode
from talkya_console.tui.screens.agents import open_agent_runs
from talkya_console.tui.screens.crm import open_leads
from talkya_console.tui.screens.deals import open_deals
from talkya_console.tui.screens.hermes import open_hermes
from talkya_console.tui.screens.telehealth import open_telehealth
from talkya_console.tui.widgets.messenger import MessengerPane
from talkya_console.tui.widgets.pane import api_failures
from talkya_console.tui.widgets.tasks import TasksPane

if TYPE_CHECKING:
    pass


class ConsoleProvider(ConsoleNode, Provider):
    """A provider that knows the console app."""


class PatientsProvider(ConsoleProvider):
    """Patients whose name, MRN or phone matches; opens the chart."""

    async def search(self, query: str) -> Hits:
        """Ask the API once the query has two characters."""
        client = self.console.client
        if client is None or len(query.strip()) < 2:
            return
        try:
            page = await client.patients.search(query=query.strip()).page(limit=10)
        except api_failures():
            return
        matcher = self.matcher(query)
        for patient in page.data:
            text = f"Patient: {patient.name}"
            score = max(matcher.match(text), 0.5)
            yield Hit(score, matcher.highlight(text), partial(self.console.open_chart, patient.id), text, patient.mrn)


class ChannelsProvider(ConsoleProvider):
    """Messenger channels; opens the channel."""

    def entries(self) -> list[tuple[str, Callable[[], None]]]:
        """(text, action) per loaded channel."""
        pane = self.console.query_one(MessengerPane)
        return [(f"Channel: #{c.name}", partial(self.console.open_channel, c.id)) for c in pane.channels.values()]

    async def discover(self) -> Hits:
        """Every channel."""
        for text, action in self.entries():
            yield DiscoveryHit(text, action, text)

    async def search(self, query: str) -> Hits:
        """Channels matching the query."""
        matcher = self.matcher(query)
        for text, action in self.entries():
            if (score := matcher.match(text)) > 0:
                yield Hit(score, matcher.highlight(text), action, text)


class TasksProvider(ConsoleProvider):
    """Open tasks and handoffs; puts the cursor on one."""

    async def search(self, query: str) -> Hits:
        """Tasks and handoffs whose title matches."""
        pane = self.console.query_one(TasksPane)
        matcher = self.matcher(query)
        entries = [(f"Handoff: {h.reason}", h.id) for h in pane.handoffs.values()]
        entries += [(f"Task: {t.title}", t.id) for t in pane.tasks.values()]
        for text, row_id in entries:
            if (score := matcher.match(text)) > 0:
                yield Hit(score, matcher.highlight(text), partial(self.console.open_task, row_id), text)


class ActionsProvider(ConsoleProvider):
    """Desk actions: jump to a pane, zoom, lookup, help, theme, lock, and signing in and out."""

    def entries(self) -> list[tuple[str, str, Callable[[], object]]]:
        """(text, help, action) for each desk action."""
        app = self.console
        panes = [
            (f"Go to {title}", f"Focus the {title} pane", partial(app.action_focus_pane, pane_id))
            for pane_id, title in app.pane_titles()
        ]
        entries = [
            *panes,
            ("Zoom pane", "Toggle full screen for the focused pane", app.action_zoom),
            ("Patient lookup", "Search patients and open a chart", app.action_lookup),
            ("New patient", "Register a patient (intake consent first)", partial(open_new_patient, app)),
            ("Next theme", "Cycle the colour theme", app.action_next_theme),
            ("Show keys", "Every key binding", app.action_help),
            ("Refresh", "Refetch every pane", app.action_refresh),
            ("Lock the screen", "Hide the desk until you unlock it", app.action_lock),
            ("Outbox", "Writes waiting for Talkya to answer", app.action_outbox),
            ("New channel", "Create a messenger channel", app.action_new_channel),
            ("Triage handoffs", "The next handoff with its context", partial(app.tasks_action, "triage")),
            ("New task", "Create a task", partial(app.tasks_action, "new_task")),
            ("Show overdue tasks", "Only overdue tasks, and back", partial(app.tasks_action, "toggle_overdue")),
            ("Next role filter", "Tasks for front desk, provider, VA, billing", partial(app.tasks_action, "next_role")),
            ("Next active channel", "The next channel with unread messages, mentions first", app.action_next_channel),
            (
                "Routing rules",
                "The AI receptionist's greeting, escalation, booking, language and hours",
                partial(open_routing_rules, app),
            ),
            ("Telehealth visits", "Today's visits: join links, draft notes, charts", partial(open_telehealth, app)),
            ("Agent runs", "OpenClaw runs: tool calls, handoffs, outcome; start one", partial(open_agent_runs, app)),
            ("Hermes routes", "Where events go; test a sample event, publish one", partial(open_hermes, app)),
            ("Leads", "CRM leads and their contact profiles; a new lead", partial(open_leads, app)),
            ("Deals board", "Deals by stage; move one with [ and ]", partial(open_deals, app)),
        ]
        if app.identity is not None:
            entries += [
                ("Set unlock PIN", "The PIN that unlocks the idle lock", app.action_set_pin),
                ("Sign in as someone else", "Sign in with a code approved in a browser", app.action_sign_in),
                ("Sign out", "Revoke this sign-in and hide the desk", app.action_sign_out),
            ]
        return entries

    async def discover(self) -> Hits:
        """Every action."""
        for text, help_text, action in self.entries():
            yield DiscoveryHit(text, action, text, help_text)

    async def search(self, query: str) -> Hits:
        """Actions matching the query."""
        matcher = self.matcher(query)
        for text, help_text, action in self.entries():
            if (score := matcher.match(text)) > 0:
                yield Hit(score, matcher.highlight(text), action, text, help_text)

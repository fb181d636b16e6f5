"""The chart's activity sections: the patient's calls, and the record's audit trail."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import RenderableType

from talkya_console.tui.chart.detail import TranscriptScreen
from talkya_console.tui.chart.section import Directory, ListSection, duration, label, when

if TYPE_CHECKING:  # imported for annotations only: the first frame does not wait for them
    from talkya_console.api import TalkyaClient
    from talkya_console.api._pagination import AsyncPager
    from talkya_console.wire import AuditEntry, Call

ACTOR = {"api_key": "API key", "user": "staff", "oauth_client": "app", "system": "system"}


class Calls(ListSection["Call"]):
    """Calls with this patient, newest first; Enter shows the transcript."""

    COLUMNS = (
        ("time", "Time"),
        ("intent", "Intent"),
        ("outcome", "Outcome"),
        ("duration", "Duration"),
        ("status", "Status"),
    )
    NOUN = ("call", "calls")
    HINT = "Enter shows a transcript."

    def __init__(self, *, patient_id: str, directory: Directory) -> None:
        super().__init__("6 Calls", id="calls", patient_id=patient_id, directory=directory)

    def pager(self, client: TalkyaClient) -> AsyncPager[Call]:
        """The calls whose caller was matched to this patient."""
        return client.calls.list(patient_id=self.patient_id)

    def cells(self, item: Call) -> tuple[RenderableType, ...]:
        """Time, intent, outcome, duration, status."""
        return (
            when(item.started_at, self.now()),
            label(item.intent),
            label(item.outcome),
            duration(item.duration_seconds),
            label(item.status),
        )

    def open(self, item: Call) -> None:
        """The call's transcript and summary."""
        self.app.push_screen(TranscriptScreen(item))


class Audit(ListSection["AuditEntry"]):
    """Who read or changed this record, what and when, newest first."""

    COLUMNS = (
        ("when", "When"),
        ("who", "Who"),
        ("action", "Action"),
        ("fields", "Fields"),
    )
    NOUN = ("audit entry", "audit entries")

    def __init__(self, *, patient_id: str, directory: Directory) -> None:
        super().__init__("7 Audit", id="audit", patient_id=patient_id, directory=directory)

    def pager(self, client: TalkyaClient) -> AsyncPager[AuditEntry]:
        """The record's audit trail."""
        return client.patients.audit(self.patient_id)

    async def prepare(self, client: TalkyaClient, items: list[AuditEntry]) -> None:
        """Staff names for the entries made by staff."""
        await self.directory.fetch_users(client, [e.actor.id for e in items if e.actor.type == "user"])

    def cells(self, item: AuditEntry) -> tuple[RenderableType, ...]:
        """When, who, action, fields."""
        kind = ACTOR.get(item.actor.type, item.actor.type)
        who = f"{kind} {item.actor.id}"
        if item.actor.type == "user" and self.directory.user(item.actor.id) != item.actor.id:
            who = f"{self.directory.user(item.actor.id)} · {who}"
        return (
            when(item.created_at, self.now()),
            who,
            label(item.action),
            ", ".join(item.fields) or "—",
        )

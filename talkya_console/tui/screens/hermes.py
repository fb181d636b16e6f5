"""Hermes: the workspace's routes (which events, with which conditions, go where), in the order
they deliver; `t` tests where a sample event would be delivered (nothing is stored or sent) and
`p` publishes one."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, ClassVar

from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.widget import Widget
from textual.widgets import DataTable, Static

from talkya_console.tui.forms.base import FormScreen
from talkya_console.tui.forms.fields import SelectField, TextField
from talkya_console.tui.screens.table import TableScreen
from talkya_console.tui.widgets.pane import api_failures, problem_text

if TYPE_CHECKING:
    from talkya_console.api import TalkyaClient
    from talkya_console.outbox import Write
    from talkya_console.wire import HermesEvent, HermesEventCreate, HermesRoute  # noqa: F401  (HermesEvent: a string)
    from talkya_console.wire.agents import Delivery, RouteMatch

ROUTE_LIMIT = 100
KINDS = ("call", "message", "form", "bot", "webhook", "staff_alert")
TYPE_PATTERN_TEXT = "lower case, dots and underscores: call.after_hours"
KEYS_TEXT = "t test a sample event · p publish an event · r refresh · Esc close"
OFFLINE_SAVED = "Talkya did not answer: saved in the outbox, and published when the link is back."


def match_text(match: RouteMatch) -> str:
    """`call · call.after_hours · language=es`; `any event` when the route matches everything."""
    parts = []
    if match.kinds:
        parts.append(", ".join(match.kinds))
    if match.types:
        parts.append(", ".join(match.types))
    if match.conditions:
        parts.append(", ".join(f"{key}={value}" for key, value in sorted(match.conditions.items())))
    return " · ".join(parts) or "any event"


def destination_text(kind: str, target: str) -> str:
    """`channel ch_frontdesk`, `role front desk`."""
    return f"{kind.replace('_', ' ')} {target.replace('_', ' ') if kind == 'role' else target}"


def deliveries_text(deliveries: list[Delivery]) -> str:
    """Where an event goes, one line per route in delivery order; or that no route takes it."""
    if not deliveries:
        return "No route takes it: it would be stored for audit and delivered nowhere."
    lines = [f"Delivered to {len(deliveries)} route{'s' if len(deliveries) != 1 else ''}:"]
    for delivery in deliveries:
        where = destination_text(delivery.destination.kind, delivery.destination.target)
        lines.append(f"  → {where}  ({delivery.route_name})")
    return "\n".join(lines)


def parse_event_type(text: str) -> str:
    """An event type as Hermes takes it."""
    import re

    value = text.strip()
    if not value:
        raise ValueError("Required: " + TYPE_PATTERN_TEXT + ".")
    if not re.fullmatch(r"[a-z][a-z0-9_.]{1,79}", value):
        raise ValueError("Not an event type: " + TYPE_PATTERN_TEXT + ".")
    return value


def parse_payload(text: str) -> dict[str, Any]:
    """The event's data: a JSON object; empty is `{}`."""
    value = text.strip()
    if not value:
        return {}
    try:
        data = json.loads(value)
    except json.JSONDecodeError as error:
        raise ValueError(f"Not JSON: {error.msg} at character {error.pos + 1}.") from None
    if not isinstance(data, dict):
        raise ValueError('A JSON object, such as {"language": "es"}.')
    return data


def parse_patient_id(text: str) -> str | None:
    """A patient id, or none."""
    value = text.strip()
    if value and not value.startswith("pat_"):
        raise ValueError("A patient id starts with pat_.")
    return value or None


class SampleEventScreen(FormScreen["HermesEvent"]):
    """A sample event: kind, type, data. `test=True` shows where it would go and stays open (nothing
    is stored); otherwise Save publishes it and dismisses with the HermesEvent (or `Queued`)."""

    DEFAULT_CSS = """
    SampleEventScreen { align: center middle; }
    #sample-deliveries { display: none; border-left: outer $success; padding: 0 1; margin-top: 1; }
    #sample-deliveries.-shown { display: block; }
    """

    def __init__(self, client: TalkyaClient, *, test: bool, kind: str = "call", type_: str = "") -> None:
        super().__init__(client)
        self.test = test
        self.kind = kind
        self.type_ = type_
        self.deliveries: list[Delivery] | None = None

    def form_title(self) -> str:
        """Which of the two this is."""
        return "Test a sample event (nothing is sent)" if self.test else "Publish a Hermes event"

    def compose_fields(self) -> ComposeResult:
        """Kind and type, the data, the patient; a test's answer under them."""
        yield SelectField("kind", "Kind", [(k.replace("_", " "), k) for k in KINDS], value=self.kind, required=True)
        yield TextField(
            "type", "Type", parse_event_type, value=self.type_, placeholder="call.after_hours", required=True
        )
        yield TextField("payload", "Data (JSON object)", parse_payload, placeholder='{"language": "es"}')
        yield TextField("patient_id", "Patient id", parse_patient_id, placeholder="pat_… (optional)")
        yield Static("", id="sample-deliveries", markup=False)

    def mounted(self) -> None:
        """The save button says what it does."""
        from textual.widgets import Button

        self.query_one("#form-save", Button).label = "Test" if self.test else "Publish"

    def params(self) -> HermesEventCreate:
        """The fields as a HermesEventCreate."""
        from talkya_console.wire import HermesEventCreate

        fields = self.fields()
        return HermesEventCreate.model_validate(
            {
                "kind": fields["kind"].read(),
                "type": fields["type"].read(),
                "payload": fields["payload"].read(),
                "patient_id": fields["patient_id"].read(),
            }
        )

    def build(self) -> Write:
        """Publishing: the event to create."""
        from talkya_console.outbox import Write

        params = self.params()
        return Write("hermes_events.create", (params,), label="Publish Hermes event", subject=params.patient_id)

    def action_save(self) -> None:
        """A test asks where the event would go and shows it here; a publish saves as forms do."""
        if not self.test:
            super().action_save()
            return
        if self.saving:
            return
        self.show_banner("")
        if not self.check_all():
            return
        try:
            params = self.params()
        except ValueError as error:
            self.show_refusal(error)
            return
        self.set_saving(True)
        self.try_routes(params)

    @work(group="form-save", exit_on_error=False)
    async def try_routes(self, params: HermesEventCreate) -> None:
        """Ask Hermes where the sample would go."""
        from talkya_console.api import APIError

        try:
            result = await self.client.hermes_routes.test(params)
        except (*api_failures(), APIError) as error:
            self.show_refusal(error)
            return
        finally:
            self.set_saving(False)
        self.show_banner("")
        self.deliveries = result.deliveries
        line = self.query_one("#sample-deliveries", Static)
        line.update(deliveries_text(result.deliveries))
        line.add_class("-shown")


class HermesScreen(TableScreen):
    """The workspace's Hermes routes, in the order they deliver."""

    DEFAULT_CSS = """
    #hermes-last { display: none; border-left: outer $success; padding: 0 1; height: auto; }
    #hermes-last.-shown { display: block; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss", "Close", id="hermes.close"),
        Binding("t", "test", "Test event", id="hermes.test"),
        Binding("p", "publish", "Publish event", id="hermes.publish"),
        Binding("r", "refresh", "Refresh", id="hermes.refresh"),
    ]
    PREFIX = "hermes"
    BOX_TITLE = "Hermes · routes"
    COLUMNS = (
        ("priority", "Order", 6),
        ("name", "Route", 40),
        ("match", "Event type / match", 44),
        ("destination", "Destination", 26),
        ("enabled", "On", 4),
    )

    def __init__(self) -> None:
        super().__init__()
        self.routes: dict[str, HermesRoute] = {}

    def compose_extra(self) -> list[Widget]:
        """The last publish, under the routes."""
        return [Static("", id="hermes-last", markup=False)]

    @work(exclusive=True, group="hermes-load", exit_on_error=False)
    async def load(self) -> None:
        """Fetch the routes and show them by delivery order."""
        client = self.client
        if client is None:
            self.show_problem("The API is not ready yet.")
            return
        try:
            routes = await client.hermes_routes.list(limit=ROUTE_LIMIT).collect(ROUTE_LIMIT)
        except api_failures() as error:
            self.show_problem(problem_text(error, self.console.clock()))
            return
        self.show_problem(None)
        routes.sort(key=lambda route: (route.priority, route.name, route.id))
        table = self.query_one(DataTable)
        table.clear()
        self.routes = {route.id: route for route in routes}
        for route in routes:
            table.add_row(
                str(route.priority),
                route.name,
                match_text(route.match),
                destination_text(route.destination.kind, route.destination.target),
                "✓" if route.enabled else "✗",
                key=route.id,
            )
        count = len(routes)
        what = "No routes." if not count else f"{count} route{'s' if count != 1 else ''}, in delivery order."
        self.query_one("#hermes-count", Static).update(f"{what}  {KEYS_TEXT}")

    def sample_type(self) -> tuple[str, str]:
        """A kind and type to start a sample from: the route under the cursor's, if it names them."""
        table = self.query_one(DataTable)
        if not table.row_count:
            return "call", ""
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        route = self.routes.get(str(key))
        if route is None:
            return "call", ""
        kind = route.match.kinds[0] if route.match.kinds else "call"
        type_ = next((t for t in route.match.types if "*" not in t), "")
        return kind, type_

    def action_test(self) -> None:
        """Where a sample event would be delivered."""
        client = self.client
        if client is None:
            return
        kind, type_ = self.sample_type()
        self.app.push_screen(SampleEventScreen(client, test=True, kind=kind, type_=type_))

    def action_publish(self) -> None:
        """Publish an event; show where it was delivered."""
        from talkya_console.tui.outgoing import Queued

        client = self.client
        if client is None:
            return

        def published(event: object) -> None:
            if event is None:
                return
            if isinstance(event, Queued):
                self.notify(OFFLINE_SAVED, timeout=5)
                return
            deliveries = getattr(event, "deliveries", [])
            line = self.query_one("#hermes-last", Static)
            line.update(
                f"Published {getattr(event, 'id', '')} ({getattr(event, 'type', '')}).\n" + deliveries_text(deliveries)
            )
            line.add_class("-shown")
            self.notify("Event published.", timeout=3)

        kind, type_ = self.sample_type()
        self.app.push_screen(SampleEventScreen(client, test=False, kind=kind, type_=type_), published)

    def action_refresh(self) -> None:
        """Fetch the routes again."""
        self.load()


def open_hermes(app: App[object]) -> None:
    """Show the Hermes routes."""
    if getattr(app, "client", None) is None:
        app.notify("Waiting for the API…", severity="warning", timeout=3)
        return
    app.push_screen(HermesScreen())

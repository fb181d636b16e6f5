"""The AI receptionist's routing rules: greeting, escalation, booking, language and after hours.

The form loads the workspace's rules, checks each field as the API does, and before saving shows
what would change (field, before → after); a second Save sends only the fields changed."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, ClassVar

from textual import on, work
from textual.app import App, ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button, Input, Label, Select, Static

from talkya_console.tui.forms.base import FormScreen
from talkya_console.tui.forms.fields import FormField, SelectField, TextField
from talkya_console.tui.forms.parsing import e164, field_path
from talkya_console.tui.forms.rules_values import (
    AFTER_HOURS_MODES,
    DAY_NAMES,
    DAYS,
    FIELDS,
    ON_OFF,
    TRIGGERS,
    VOICES,
    day_hours_text,
    parse_day_hours,
    parse_greeting,
    parse_language,
    parse_languages,
    parse_message,
    parse_timezone,
    parse_transfer_to,
    parse_triggers,
    parse_visit_types,
    shown,
    sorted_hours,
    whole_number,
)

if TYPE_CHECKING:
    from talkya_console.api import TalkyaClient
    from talkya_console.outbox import Write
    from talkya_console.wire import RoutingRules

SAVED = "Routing rules saved."
OFFLINE_SAVED = "Talkya did not answer: the rules wait in the outbox, and are sent when the link is back."


# -- the form -----------------------------------------------------------------------------------


class RoutingRulesScreen(FormScreen["RoutingRules"]):
    """The receptionist's routing rules; dismisses with the saved RoutingRules (or `Queued`), or
    None when cancelled or nothing changed."""

    DEFAULT_CSS = """
    RoutingRulesScreen { align: center middle; }
    RoutingRulesScreen .form-box { max-width: 110; }
    RoutingRulesScreen .rules-section { margin-top: 1; color: $accent; text-style: bold; }
    RoutingRulesScreen .rules-section.-first { margin-top: 0; }
    RoutingRulesScreen .form-row > .form-field.day { width: 1fr; margin-right: 1; }
    RoutingRulesScreen #rules-diff { display: none; height: auto; max-height: 12; padding: 0 1;
        margin-top: 1; border-left: outer $warning; overflow-y: auto; }
    RoutingRulesScreen #rules-diff.-shown { display: block; }
    """
    FORM_TITLE = "Receptionist routing rules"
    SAVE_LABEL = "Save rules"
    CONFIRM_LABEL = "Confirm save"
    #: The API's names for what the form shows in one field.
    ALIASES: ClassVar[dict[str, str]] = {
        "greeting": "greeting.text",
        "escalation": "escalation.enabled",
        "booking": "booking.enabled",
        "language": "language.primary",
        "after_hours": "after_hours.mode",
    }

    def __init__(self, client: TalkyaClient, rules: RoutingRules | None = None) -> None:
        super().__init__(client)
        self.rules = rules
        self.confirming: tuple[object, ...] | None = None  # the values the diff shown was made of
        self.sent_days: list[str] = []  # the day of each opening-hours entry last checked or sent

    def compose_fields(self) -> ComposeResult:
        """The five sections, prefilled from `rules` when known (else once loaded)."""
        r = self.rules
        yield Label("Greeting", classes="rules-section -first")
        yield TextField(
            "greeting.text",
            "What the receptionist says first",
            parse_greeting,
            value=r.greeting.text if r else "",
            required=True,
        )
        with Horizontal(classes="form-row"):
            yield SelectField(
                "greeting.voice", "Voice", VOICES, value=r.greeting.voice if r else "warm", allow_blank=False
            )
            yield Static("", classes="form-field")
        yield Label("Escalation to staff", classes="rules-section")
        with Horizontal(classes="form-row"):
            yield SelectField(
                "escalation.enabled", "Escalation", ON_OFF, value=r.escalation.enabled if r else True, allow_blank=False
            )
            yield TextField(
                "escalation.transfer_to",
                "Transfer to",
                parse_transfer_to,
                value=r.escalation.transfer_to if r else "",
                placeholder="front_desk",
                required=True,
            )
            yield TextField(
                "escalation.max_wait_seconds",
                "Longest wait (seconds)",
                whole_number(0, 600),
                value=str(r.escalation.max_wait_seconds) if r else "",
                placeholder="0 to 600",
            )
        yield TextField(
            "escalation.triggers",
            "Escalate on",
            parse_triggers,
            value=", ".join(r.escalation.triggers) if r else "",
            placeholder=", ".join(TRIGGERS),
        )
        yield Label("Booking", classes="rules-section")
        with Horizontal(classes="form-row"):
            yield SelectField(
                "booking.enabled", "Booking", ON_OFF, value=r.booking.enabled if r else True, allow_blank=False
            )
            yield TextField(
                "booking.min_notice_hours",
                "Minimum notice (hours)",
                whole_number(0, 720),
                value=str(r.booking.min_notice_hours) if r else "",
                placeholder="0 to 720",
            )
            yield TextField(
                "booking.max_days_ahead",
                "Furthest ahead (days)",
                whole_number(1, 365),
                value=str(r.booking.max_days_ahead) if r else "",
                placeholder="1 to 365",
            )
        yield TextField(
            "booking.visit_types",
            "Bookable visit types",
            parse_visit_types,
            value=", ".join(r.booking.visit_types) if r else "",
            placeholder="aesthetic_consult, telehealth_follow_up",
        )
        yield Label("Language", classes="rules-section")
        with Horizontal(classes="form-row"):
            yield TextField(
                "language.primary",
                "Primary language",
                parse_language,
                value=r.language.primary if r else "",
                placeholder="en",
                required=True,
            )
            yield TextField(
                "language.supported",
                "Supported languages",
                parse_languages,
                value=", ".join(r.language.supported) if r else "",
                placeholder="en, es",
                required=True,
            )
        yield Label("After hours", classes="rules-section")
        with Horizontal(classes="form-row"):
            yield SelectField(
                "after_hours.mode",
                "After hours",
                AFTER_HOURS_MODES,
                value=r.after_hours.mode if r else "ai_answer",
                allow_blank=False,
            )
            yield TextField(
                "after_hours.forward_to",
                "Forward to",
                e164,
                value=(r.after_hours.forward_to or "") if r else "",
                placeholder="(305) 555-0123",
                hint=str,
            )
            yield TextField(
                "after_hours.timezone",
                "Time zone",
                parse_timezone,
                value=r.after_hours.timezone if r else "",
                placeholder="America/New_York",
                required=True,
            )
        yield TextField(
            "after_hours.message",
            "After-hours message",
            parse_message,
            value=(r.after_hours.message or "") if r else "",
            placeholder="What callers hear when the clinic is closed",
        )
        for days in (DAYS[:4], DAYS[4:]):
            with Horizontal(classes="form-row"):
                for day in days:
                    yield TextField(
                        f"after_hours.hours.{day}",
                        f"{DAY_NAMES[day]} hours",
                        parse_day_hours,
                        value=day_hours_text(r, day),
                        placeholder="closed",
                        classes="day",
                    )

    def mounted(self) -> None:
        """Add the diff panel above the buttons; load the rules unless given."""
        self.query_one(".form-box").mount(Static("", id="rules-diff"), before=self.query_one(".form-buttons"))
        if self.rules is None:
            self.query_one("#form-save", Button).disabled = True
            self.show_banner("Loading the rules…", "info")
            self.load_rules()

    @work(group="form-load", exit_on_error=False)
    async def load_rules(self) -> None:
        """The workspace's rules, into the fields; a failure says so at the top."""
        from talkya_console.tui.widgets.pane import api_failures

        try:
            rules = await self.client.routing_rules.get()
        except api_failures() as error:
            self.show_banner(f"Could not load the rules ({type(error).__name__}); Esc and retry.")
            return
        self.fill(rules)

    def fill(self, rules: RoutingRules) -> None:
        """Show `rules` in the fields; they are what a change is measured against."""
        self.rules = rules
        values: dict[str, Any] = {
            "greeting.text": rules.greeting.text,
            "greeting.voice": rules.greeting.voice,
            "escalation.enabled": rules.escalation.enabled,
            "escalation.triggers": ", ".join(rules.escalation.triggers),
            "escalation.transfer_to": rules.escalation.transfer_to,
            "escalation.max_wait_seconds": str(rules.escalation.max_wait_seconds),
            "booking.enabled": rules.booking.enabled,
            "booking.visit_types": ", ".join(rules.booking.visit_types),
            "booking.min_notice_hours": str(rules.booking.min_notice_hours),
            "booking.max_days_ahead": str(rules.booking.max_days_ahead),
            "language.primary": rules.language.primary,
            "language.supported": ", ".join(rules.language.supported),
            "after_hours.mode": rules.after_hours.mode,
            "after_hours.forward_to": rules.after_hours.forward_to or "",
            "after_hours.message": rules.after_hours.message or "",
            "after_hours.timezone": rules.after_hours.timezone,
            **{f"after_hours.hours.{day}": day_hours_text(rules, day) for day in DAYS},
        }
        fields = self.fields()
        for name, value in values.items():
            field = fields[name]
            if isinstance(field, TextField):
                field.input.value = value
            elif isinstance(field, SelectField):
                field.selector.value = value
        self.query_one("#form-save", Button).disabled = False
        self.show_banner("")
        self.initial = self.snapshot()
        self.focus_first()

    # -- reading the form -----------------------------------------------------------------------

    def values(self) -> dict[str, dict[str, Any]]:
        """Every field read as the API takes it, by section (the fields have been checked)."""
        fields = self.fields()
        sections: dict[str, dict[str, Any]] = {}
        for section, name, _ in FIELDS:
            if name != "hours":
                sections.setdefault(section, {})[name] = fields[f"{section}.{name}"].read()
        hours = [
            {"day": day, "open": start, "close": end}
            for day in DAYS
            for start, end in fields[f"after_hours.hours.{day}"].read()
        ]
        sections["after_hours"]["hours"] = hours
        self.sent_days = [item["day"] for item in hours]
        return sections

    def before(self) -> dict[str, dict[str, Any]]:
        """The loaded rules, in the same shape as `values`."""
        assert self.rules is not None
        dumped = self.rules.model_dump(mode="json")
        before: dict[str, dict[str, Any]] = {}
        for section, name, _ in FIELDS:
            before.setdefault(section, {})[name] = dumped[section].get(name)
        before["after_hours"]["hours"] = sorted_hours(before["after_hours"]["hours"])
        return before

    def changes(self) -> dict[str, dict[str, Any]]:
        """The fields whose values differ from the loaded rules, by section."""
        before, after = self.before(), self.values()
        changes: dict[str, dict[str, Any]] = {}
        for section, name, _ in FIELDS:
            if after[section][name] != before[section][name]:
                changes.setdefault(section, {})[name] = after[section][name]
        return changes

    def diff_lines(self, changes: dict[str, dict[str, Any]]) -> list[str]:
        """`field: before → after` for each change (long values on lines of their own)."""
        before = self.before()
        lines = []
        for section, name, text in FIELDS:
            if name in changes.get(section, {}):
                old, new = shown(before[section][name]), shown(changes[section][name])
                if len(old) + len(new) <= 60:
                    lines.append(f"{text}: {old} → {new}")
                else:
                    lines.extend([f"{text}:", f"  before: {old}", f"  after:  {new}"])
        return lines

    def cross_check(self) -> list[FormField]:
        """What the API checks over more than one field."""
        fields = self.fields()
        wrong: list[FormField] = []
        try:
            mode, forward = fields["after_hours.mode"].read(), fields["after_hours.forward_to"].read()
            if mode == "forward" and not forward:
                fields["after_hours.forward_to"].show_error("Required when after-hours calls are forwarded.")
                wrong.append(fields["after_hours.forward_to"])
        except ValueError:
            pass
        try:
            primary, supported = fields["language.primary"].read(), fields["language.supported"].read()
            if primary not in supported:
                fields["language.primary"].show_error("Must be one of the supported languages.")
                wrong.append(fields["language.primary"])
        except ValueError:
            pass
        try:
            enabled, types = fields["booking.enabled"].read(), fields["booking.visit_types"].read()
            if enabled and not types:
                fields["booking.visit_types"].show_error("Booking needs at least one visit type it may book.")
                wrong.append(fields["booking.visit_types"])
        except ValueError:
            pass
        return wrong

    @on(Input.Blurred)
    def left_field(self) -> None:
        """Leaving a field checks the rules over several fields too (after the field's own check,
        which would otherwise clear what they say)."""
        if self.rules is not None:
            self.cross_check()

    def build(self) -> Write | None:
        """A RoutingRulesUpdate of the changed fields, or None when nothing changed."""
        from talkya_console.outbox import Write
        from talkya_console.wire import RoutingRulesUpdate

        changes = self.changes()
        if not changes:
            return None
        RoutingRulesUpdate.model_validate(changes)  # refuses here what the API would refuse
        return Write("routing_rules.update", (changes,), label="Routing rules")

    # -- saving in two steps ----------------------------------------------------------------------

    def action_save(self) -> None:
        """The first Save shows what would change; a second Save (nothing edited since) sends it."""
        if self.saving or self.rules is None:
            return
        if self.confirming is not None and self.confirming == self.snapshot():
            super().action_save()
            return
        self.discard_armed = False
        self.show_banner("")
        if not self.check_all():
            return
        try:
            changes = self.changes()
            if changes:
                from talkya_console.wire import RoutingRulesUpdate

                RoutingRulesUpdate.model_validate(changes)
        except ValueError as error:
            self.show_refusal(error)
            return
        if not changes:
            self.show_banner("Nothing changed: there is nothing to save.", "info")
            return
        lines = self.diff_lines(changes)
        self.show_diff(lines)
        self.confirming = self.snapshot()
        count = sum(len(section) for section in changes.values())
        what = "the change" if count == 1 else f"the {count} changes"
        self.show_banner(f"Check {what} below, then Ctrl+S again to save them.", "warning")
        self.query_one("#form-save", Button).label = self.CONFIRM_LABEL

    def show_diff(self, lines: list[str] | None) -> None:
        """The changes about to be saved, or nothing."""
        panel = self.query_one("#rules-diff", Static)
        panel.update("\n".join(lines) if lines else "")
        panel.set_class(bool(lines), "-shown")

    @on(Input.Changed)
    @on(Select.Changed)
    def changed_after_diff(self) -> None:
        """An edit after the diff was shown takes it back: Save shows the new diff first."""
        if self.confirming is not None and self.confirming != self.snapshot():
            self.confirming = None
            self.show_diff(None)
            self.show_banner("")
            self.query_one("#form-save", Button).label = self.SAVE_LABEL

    def show_refusal(self, error: BaseException) -> None:
        """A refusal takes the diff back too: what is fixed is shown again before it is saved."""
        self.confirming = None
        self.show_diff(None)
        self.query_one("#form-save", Button).label = self.SAVE_LABEL
        super().show_refusal(error)

    def field_for(self, param: str | None) -> FormField | None:
        """`after_hours.hours[2].close` is the day field of the third entry sent."""
        for name in field_path(param):
            match = re.fullmatch(r"after_hours\.hours\.(\d+)(\..*)?", name)
            if match and int(match.group(1)) < len(self.sent_days):
                return self.fields().get(f"after_hours.hours.{self.sent_days[int(match.group(1))]}")
        return super().field_for(param)


def open_routing_rules(app: App[object]) -> None:
    """Open the routing rules; say when they were saved (or wait in the outbox)."""
    from talkya_console.tui.outgoing import Queued

    client = getattr(app, "client", None)
    if client is None:
        app.notify("Waiting for the API…", severity="warning", timeout=3)
        return

    def saved(rules: object | None) -> None:
        if isinstance(rules, Queued):
            app.notify(OFFLINE_SAVED, timeout=5)
        elif rules is not None:
            app.notify(SAVED, timeout=3)

    app.push_screen(RoutingRulesScreen(client), saved)

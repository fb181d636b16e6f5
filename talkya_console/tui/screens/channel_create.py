"""New channel (`c` in the messenger): a name and what the channel is for, as the API takes them."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from textual.app import ComposeResult

from talkya_console.tui.forms.base import FormScreen
from talkya_console.tui.forms.fields import SelectField, TextField

if TYPE_CHECKING:
    from talkya_console.outbox import Write
    from talkya_console.wire import Channel  # noqa: F401 (the string "Channel" below names it)

# The API's `ChannelCreate.name` pattern, checked here so a bad name is said before sending.
NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,79}$")
KINDS = [
    ("Front desk", "front_desk"),
    ("Providers", "providers"),
    ("Billing", "billing"),
    ("Client team", "client_team"),
]


def parse_name(typed: str) -> str:
    """A channel name: lowercase letters, digits, `-` and `_`; a leading `#` and spaces are forgiven."""
    name = typed.strip().lstrip("#").strip().lower().replace(" ", "-")
    if not name:
        raise ValueError("Name the channel.")
    if not NAME.fullmatch(name):
        raise ValueError("Use lowercase letters, digits, - and _ (at most 80), starting with a letter or digit.")
    return name


def parse_description(typed: str) -> str | None:
    """Optional; at most 500 characters."""
    text = typed.strip()
    if len(text) > 500:
        raise ValueError(f"At most 500 characters ({len(text)} now).")
    return text or None


class ChannelCreateScreen(FormScreen["Channel"]):
    """Create a workspace channel; dismisses with the Channel, a `Queued`, or None."""

    DEFAULT_CSS = "ChannelCreateScreen { align: center middle; }"
    FORM_TITLE = "New channel"
    SAVE_LABEL = "Create channel"

    def compose_fields(self) -> ComposeResult:
        """Name and kind, then a description."""
        yield TextField(
            "name", "Name", parse_name, placeholder="front-desk-evening", required=True, hint=lambda n: f"#{n}"
        )
        yield SelectField("purpose", "Kind", KINDS, value="front_desk", allow_blank=False, required=True)
        yield TextField("description", "Description", parse_description, placeholder="What the channel is for")

    def build(self) -> Write:
        """A ChannelCreate."""
        from talkya_console.outbox import Write

        fields = self.fields()
        body = {"name": fields["name"].read(), "purpose": fields["purpose"].read()}
        description = fields["description"].read()
        if description:
            body["description"] = description
        return Write("channels.create", (body,), label="New channel")

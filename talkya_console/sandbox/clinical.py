"""Rules of the clinical record that several route areas share."""

from __future__ import annotations

from talkya_console.sandbox.context import Ctx
from talkya_console.sandbox.errors import ApiError
from talkya_console.wire import Encounter, User

# The section keys a new note of each type starts with.
TEMPLATES: dict[str, tuple[str, ...]] = {
    "soap": ("subjective", "objective", "assessment", "plan"),
    "progress": ("interval_history", "progress", "plan"),
    "procedure": ("procedure", "consent", "technique", "products_used", "aftercare"),
    "telehealth": ("chief_complaint", "history", "assessment", "plan"),
}


def require_provider(ctx: Ctx, provider_id: str) -> None:
    """The provider must be an active staff member of this workspace whose role is provider."""
    user = ctx.db.get("user", ctx.ws, provider_id, User)
    if user is None or user.role != "provider" or not user.active:
        raise ApiError(
            422,
            "provider_invalid",
            "'provider_id' must name an active provider of this workspace; see GET /v1/users?role=provider.",
            param="provider_id",
        )


def require_open(encounter: Encounter) -> None:
    """A closed or cancelled encounter is part of the record and no longer changes."""
    if encounter.status != "open":
        raise ApiError(
            409,
            "encounter_closed",
            f"This encounter is {encounter.status} and can no longer change; open a new encounter instead.",
        )

"""Deals: consult value, stage, owner, package and probability."""

from __future__ import annotations

from talkya_console.api._pagination import AsyncPager
from talkya_console.api._resource import Updatable
from talkya_console.wire import Deal, DealCreate, DealUpdate
from talkya_console.wire.crm import DealStage


class Deals(Updatable[Deal, DealCreate, DealUpdate]):
    """`/v1/deals`; a stage change emits `deal.stage_changed`."""

    path = "/deals"
    model = Deal
    create_params = DealCreate
    update_params = DealUpdate

    def list(
        self,
        *,
        stage: DealStage | None = None,
        owner_id: str | None = None,
        contact_id: str | None = None,
        limit: int | None = None,
    ) -> AsyncPager[Deal]:
        """Deals matching the filters, newest first."""
        return self._list(Deal, {"stage": stage, "owner_id": owner_id, "contact_id": contact_id}, limit=limit)

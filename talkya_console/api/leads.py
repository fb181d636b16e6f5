"""Leads: capture with source, intent, consent and requested service; each starts or joins a contact."""

from __future__ import annotations

from datetime import datetime

from talkya_console.api._pagination import AsyncPager
from talkya_console.api._resource import Updatable
from talkya_console.wire import Lead, LeadCreate, LeadUpdate
from talkya_console.wire.crm import LeadStatus


class Leads(Updatable[Lead, LeadCreate, LeadUpdate]):
    """`/v1/leads`."""

    path = "/leads"
    model = Lead
    create_params = LeadCreate
    update_params = LeadUpdate

    def list(
        self,
        *,
        source: str | None = None,
        intent: str | None = None,
        status: LeadStatus | None = None,
        campaign: str | None = None,
        created_after: datetime | None = None,
        created_before: datetime | None = None,
        limit: int | None = None,
    ) -> AsyncPager[Lead]:
        """Leads matching the filters, newest first."""
        filters = {
            "source": source,
            "intent": intent,
            "status": status,
            "campaign": campaign,
            "created_after": created_after,
            "created_before": created_before,
        }
        return self._list(Lead, filters, limit=limit)

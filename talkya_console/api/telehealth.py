"""Telehealth visits: join links for patient and provider, attendance, recording, draft notes."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from talkya_console.api._pagination import AsyncPager
from talkya_console.api._resource import Updatable
from talkya_console.wire import (
    Note,
    TelehealthNoteCreate,
    TelehealthVisit,
    TelehealthVisitCreate,
    TelehealthVisitUpdate,
)
from talkya_console.wire.telehealth import VisitStatus


class TelehealthVisits(Updatable[TelehealthVisit, TelehealthVisitCreate, TelehealthVisitUpdate]):
    """`/v1/telehealth/visits`."""

    path = "/telehealth/visits"
    model = TelehealthVisit
    create_params = TelehealthVisitCreate
    update_params = TelehealthVisitUpdate

    def list(
        self,
        *,
        patient_id: str | None = None,
        provider_id: str | None = None,
        status: VisitStatus | None = None,
        scheduled_after: datetime | None = None,
        scheduled_before: datetime | None = None,
        limit: int | None = None,
    ) -> AsyncPager[TelehealthVisit]:
        """Visits matching the filters."""
        filters = {
            "patient_id": patient_id,
            "provider_id": provider_id,
            "status": status,
            "scheduled_after": scheduled_after,
            "scheduled_before": scheduled_before,
        }
        return self._list(TelehealthVisit, filters, limit=limit)

    async def create_note(
        self,
        visit_id: str,
        params: TelehealthNoteCreate | Mapping[str, Any] | None = None,
        *,
        idempotency_key: str | None = None,
    ) -> Note:
        """Generate a draft note from the visit (the default), or attach an existing draft."""
        return await self._post(
            Note,
            visit_id,
            "notes",
            body=params if params is not None else TelehealthNoteCreate(),
            schema=TelehealthNoteCreate,
            idempotency_key=idempotency_key,
        )

    def notes(self, visit_id: str, *, limit: int | None = None) -> AsyncPager[Note]:
        """The notes on the visit's encounter."""
        return self._list(Note, {}, visit_id, "notes", limit=limit)

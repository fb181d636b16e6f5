"""Encounters: visits linking a patient, provider, location and visit type; closing one is final."""

from __future__ import annotations

from datetime import datetime

from talkya_console.api._pagination import AsyncPager
from talkya_console.api._resource import Updatable
from talkya_console.wire import AuditEntry, Encounter, EncounterCreate, EncounterUpdate


class Encounters(Updatable[Encounter, EncounterCreate, EncounterUpdate]):
    """`/v1/encounters`."""

    path = "/encounters"
    model = Encounter
    create_params = EncounterCreate
    update_params = EncounterUpdate

    def list(
        self,
        *,
        patient_id: str | None = None,
        provider_id: str | None = None,
        status: str | None = None,
        created_after: datetime | None = None,
        created_before: datetime | None = None,
        limit: int | None = None,
    ) -> AsyncPager[Encounter]:
        """Encounters matching the filters, newest first."""
        filters = {
            "patient_id": patient_id,
            "provider_id": provider_id,
            "status": status,
            "created_after": created_after,
            "created_before": created_before,
        }
        return self._list(Encounter, filters, limit=limit)

    async def close(self, encounter_id: str, *, idempotency_key: str | None = None) -> Encounter:
        """Close the encounter; it can no longer change."""
        return await self._post(Encounter, encounter_id, "close", idempotency_key=idempotency_key)

    def audit(self, encounter_id: str, *, limit: int | None = None) -> AsyncPager[AuditEntry]:
        """The encounter's audit trail."""
        return self._list(AuditEntry, {}, encounter_id, "audit", limit=limit)

"""Patients: search, create (after intake consent), read, update, and each record's audit trail."""

from __future__ import annotations

from datetime import date
from typing import Literal

from talkya_console.api._pagination import AsyncPager
from talkya_console.api._resource import Updatable
from talkya_console.wire import AuditEntry, Patient, PatientCreate, PatientUpdate


class Patients(Updatable[Patient, PatientCreate, PatientUpdate]):
    """`/v1/patients`."""

    path = "/patients"
    model = Patient
    create_params = PatientCreate
    update_params = PatientUpdate

    def search(
        self,
        *,
        query: str | None = None,
        name: str | None = None,
        dob: date | str | None = None,
        mrn: str | None = None,
        phone: str | None = None,
        email: str | None = None,
        tag: str | None = None,
        limit: int | None = None,
    ) -> AsyncPager[Patient]:
        """Patients matching every filter given (`query` is free text), newest first."""
        filters = {"query": query, "name": name, "dob": dob, "mrn": mrn, "phone": phone, "email": email, "tag": tag}
        return self._list(Patient, filters, limit=limit)

    async def record_access(self, patient_id: str, action: Literal["viewed", "revealed"]) -> AuditEntry:
        """Put a chart open (`viewed`) or a reveal of its masked details (`revealed`) on the record's
        audit trail, as the signed-in staff member."""
        return await self._post(AuditEntry, patient_id, "access", body={"action": action})

    def audit(self, patient_id: str, *, limit: int | None = None) -> AsyncPager[AuditEntry]:
        """Who changed this patient's record, what and when."""
        return self._list(AuditEntry, {}, patient_id, "audit", limit=limit)

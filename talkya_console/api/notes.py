"""Clinical notes: drafted on an open encounter, signed once, corrected only by addenda."""

from __future__ import annotations

from talkya_console.api._pagination import AsyncPager
from talkya_console.api._resource import Updatable
from talkya_console.wire import AddendumCreate, Note, NoteCreate, NoteUpdate


class Notes(Updatable[Note, NoteCreate, NoteUpdate]):
    """`/v1/notes`; `update` on a signed note raises `Conflict` (`note_signed`)."""

    path = "/notes"
    model = Note
    create_params = NoteCreate
    update_params = NoteUpdate

    def list(
        self,
        *,
        encounter_id: str | None = None,
        patient_id: str | None = None,
        status: str | None = None,
        type: str | None = None,
        limit: int | None = None,
    ) -> AsyncPager[Note]:
        """Notes matching the filters, newest first."""
        filters = {"encounter_id": encounter_id, "patient_id": patient_id, "status": status, "type": type}
        return self._list(Note, filters, limit=limit)

    async def sign(self, note_id: str, *, idempotency_key: str | None = None) -> Note:
        """Sign the note; it is immutable from then on."""
        return await self._post(Note, note_id, "sign", idempotency_key=idempotency_key)

    async def add_addendum(self, note_id: str, text: str, *, idempotency_key: str | None = None) -> Note:
        """Append a correction to a signed note; returns the note with its addenda."""
        body = AddendumCreate(text=text)
        return await self._post(Note, note_id, "addenda", body=body, idempotency_key=idempotency_key)

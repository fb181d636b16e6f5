"""Documents on a patient's chart: consent forms, lab reports, PDFs, photos, imported records."""

from __future__ import annotations

from talkya_console.api._pagination import AsyncPager
from talkya_console.api._resource import Downloadable, Retrievable, Upload
from talkya_console.wire import Document
from talkya_console.wire.ehr import DocumentType


class Documents(Retrievable[Document], Downloadable):
    """`/v1/documents`."""

    path = "/documents"
    model = Document

    async def upload(
        self,
        file: Upload,
        *,
        patient_id: str,
        type: DocumentType,
        title: str,
        encounter_id: str | None = None,
        filename: str | None = None,
        content_type: str | None = None,
        idempotency_key: str | None = None,
    ) -> Document:
        """File a document from a path or a binary file object, streamed rather than read whole."""
        fields = {"patient_id": patient_id, "type": type, "title": title, "encounter_id": encounter_id}
        return await self._upload(
            Document, file, fields, filename=filename, content_type=content_type, idempotency_key=idempotency_key
        )

    def list(
        self,
        *,
        patient_id: str | None = None,
        encounter_id: str | None = None,
        type: DocumentType | None = None,
        limit: int | None = None,
    ) -> AsyncPager[Document]:
        """Documents matching the filters, newest first."""
        filters = {"patient_id": patient_id, "encounter_id": encounter_id, "type": type}
        return self._list(Document, filters, limit=limit)

"""Files attached to a patient, encounter, message or task; uploads and downloads are streamed."""

from __future__ import annotations

from typing import Literal

from talkya_console.api._pagination import AsyncPager
from talkya_console.api._resource import Downloadable, Retrievable, Upload
from talkya_console.wire import File

Purpose = Literal["attachment", "document", "recording", "import"]


class Files(Retrievable[File], Downloadable):
    """`/v1/files`."""

    path = "/files"
    model = File

    async def upload(
        self,
        file: Upload,
        *,
        purpose: Purpose = "attachment",
        patient_id: str | None = None,
        encounter_id: str | None = None,
        message_id: str | None = None,
        task_id: str | None = None,
        filename: str | None = None,
        content_type: str | None = None,
        idempotency_key: str | None = None,
    ) -> File:
        """Upload from a path or a binary file object, streamed rather than read whole."""
        fields = {
            "purpose": purpose,
            "patient_id": patient_id,
            "encounter_id": encounter_id,
            "message_id": message_id,
            "task_id": task_id,
        }
        return await self._upload(
            File, file, fields, filename=filename, content_type=content_type, idempotency_key=idempotency_key
        )

    def list(
        self, *, patient_id: str | None = None, purpose: Purpose | None = None, limit: int | None = None
    ) -> AsyncPager[File]:
        """Files matching the filters, newest first."""
        return self._list(File, {"patient_id": patient_id, "purpose": purpose}, limit=limit)

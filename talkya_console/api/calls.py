"""Calls the AI receptionist took, and their transcripts. Read only: Talkya creates calls."""

from __future__ import annotations

from datetime import datetime

from talkya_console.api._pagination import AsyncPager
from talkya_console.api._resource import Retrievable
from talkya_console.wire import Call, Transcript
from talkya_console.wire.receptionist import CallStatus


class Calls(Retrievable[Call]):
    """`/v1/calls`."""

    path = "/calls"
    model = Call

    def list(
        self,
        *,
        status: CallStatus | None = None,
        source: str | None = None,
        intent: str | None = None,
        campaign: str | None = None,
        outcome: str | None = None,
        patient_id: str | None = None,
        created_after: datetime | None = None,
        created_before: datetime | None = None,
        limit: int | None = None,
    ) -> AsyncPager[Call]:
        """Calls matching every filter given, newest first."""
        filters = {
            "status": status,
            "source": source,
            "intent": intent,
            "campaign": campaign,
            "outcome": outcome,
            "patient_id": patient_id,
            "created_after": created_after,
            "created_before": created_before,
        }
        return self._list(Call, filters, limit=limit)

    async def transcript(self, call_id: str) -> Transcript:
        """The timestamped transcript, with speaker labels, summary and next steps."""
        return await self._get(Transcript, call_id, "transcript")

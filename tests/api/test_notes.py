"""Notes against the sandbox: drafted, edited, signed once, corrected by addenda."""

from __future__ import annotations

import pytest

from talkya_console.api import Conflict, TalkyaClient
from talkya_console.wire import Encounter, NoteCreate, NoteUpdate


async def test_draft_edit_sign_addendum(client: TalkyaClient, encounter: Encounter) -> None:
    note = await client.notes.create(NoteCreate(encounter_id=encounter.id, type="soap", title="Follow-up"))
    assert note.status == "draft" and set(note.sections) == {"subjective", "objective", "assessment", "plan"}
    edited = await client.notes.update(note.id, NoteUpdate(sections={"plan": "Continue dose."}))
    assert edited.sections["plan"] == "Continue dose."
    signed = await client.notes.sign(note.id)
    assert signed.status == "signed" and signed.signed_at is not None
    with pytest.raises(Conflict) as caught:
        await client.notes.update(note.id, {"title": "Changed"})
    assert caught.value.code == "note_signed"
    corrected = await client.notes.add_addendum(note.id, "Dose confirmed by phone.")
    assert [a.text for a in corrected.addenda] == ["Dose confirmed by phone."]
    assert await client.notes.get(note.id) == corrected


async def test_list_filters(client: TalkyaClient, encounter: Encounter) -> None:
    draft = await client.notes.create({"encounter_id": encounter.id, "type": "progress"})
    signed = await client.notes.sign((await client.notes.create({"encounter_id": encounter.id, "type": "soap"})).id)
    assert [n.id async for n in client.notes.list(encounter_id=encounter.id, status="draft")] == [draft.id]
    assert [n.id async for n in client.notes.list(patient_id=encounter.patient_id, type="soap")] == [signed.id]

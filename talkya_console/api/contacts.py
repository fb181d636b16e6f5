"""Contacts: the person behind leads and patients, with stage, tags, owner and open tasks."""

from __future__ import annotations

from talkya_console.api._pagination import AsyncPager
from talkya_console.api._resource import Updatable
from talkya_console.wire import Contact, ContactCreate, ContactUpdate
from talkya_console.wire.crm import ContactStage


class Contacts(Updatable[Contact, ContactCreate, ContactUpdate]):
    """`/v1/contacts`; `get` includes the contact's open tasks."""

    path = "/contacts"
    model = Contact
    create_params = ContactCreate
    update_params = ContactUpdate

    def list(
        self,
        *,
        stage: ContactStage | None = None,
        tag: str | None = None,
        owner_id: str | None = None,
        limit: int | None = None,
    ) -> AsyncPager[Contact]:
        """Contacts matching the filters, newest first."""
        return self._list(Contact, {"stage": stage, "tag": tag, "owner_id": owner_id}, limit=limit)

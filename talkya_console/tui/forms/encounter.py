"""New encounter: a provider, a location, a visit type and a reason for one patient."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.suggester import SuggestFromList

from talkya_console.tui.forms.base import FormScreen
from talkya_console.tui.forms.fields import SelectField, TextField
from talkya_console.tui.forms.parsing import VISIT_TYPES, parse_reason, parse_visit_type

if TYPE_CHECKING:
    from talkya_console.api import TalkyaClient
    from talkya_console.outbox import Write
    from talkya_console.wire import Encounter  # noqa: F401 (the string "Encounter" below names it)

DIRECTORY_LIMIT = 100


class NewEncounterScreen(FormScreen["Encounter"]):
    """Open an encounter for `patient_id`; dismisses with the Encounter, or None when cancelled."""

    FORM_TITLE = "New encounter"
    SAVE_LABEL = "Create encounter"

    def __init__(self, client: TalkyaClient, patient_id: str) -> None:
        super().__init__(client)
        self.patient_id = patient_id

    def compose_fields(self) -> ComposeResult:
        """Provider and location (loaded from the API), visit type, reason."""
        with Horizontal(classes="form-row"):
            yield SelectField("provider_id", "Provider", [], prompt="Loading providers…", required=True)
            yield SelectField("location_id", "Location", [], prompt="Loading locations…", required=True)
        yield TextField(
            "type",
            "Visit type",
            parse_visit_type,
            required=True,
            placeholder="follow_up",
            suggester=SuggestFromList(VISIT_TYPES, case_sensitive=False),
            hint=str,
        )
        yield TextField("reason", "Reason", parse_reason, placeholder="Why the patient is coming in")

    def mounted(self) -> None:
        """Load the choices."""
        self.load_choices()

    @work(group="form-load", exit_on_error=False)
    async def load_choices(self) -> None:
        """The workspace's providers and locations; a failure says so at the top."""
        from talkya_console.tui.widgets.pane import api_failures

        try:
            providers = await self.client.users.list(role="provider").collect(DIRECTORY_LIMIT)
            locations = await self.client.locations.list().collect(DIRECTORY_LIMIT)
        except api_failures() as error:
            self.show_banner(f"Could not load providers and locations ({type(error).__name__}); Esc and retry.")
            return
        fields = self.fields()
        provider = fields["provider_id"]
        location = fields["location_id"]
        assert isinstance(provider, SelectField) and isinstance(location, SelectField)
        provider.selector.prompt = "Choose a provider"
        provider.selector.set_options(
            (f"{user.name}, {user.title}" if user.title else user.name, user.id) for user in providers if user.active
        )
        location.selector.prompt = "Choose a location"
        location.selector.set_options((place.name, place.id) for place in locations)
        if len(locations) == 1:
            location.selector.value = locations[0].id
        # A workspace without locations can still open encounters.
        location.required = bool(locations)
        self.initial = self.snapshot()

    def build(self) -> Write:
        """An EncounterCreate made at the front desk."""
        from talkya_console.outbox import Write
        from talkya_console.wire import EncounterCreate

        fields = self.fields()
        params = EncounterCreate.model_validate(
            {
                "patient_id": self.patient_id,
                "provider_id": fields["provider_id"].read(),
                "location_id": fields["location_id"].read(),
                "type": fields["type"].read(),
                "reason": fields["reason"].read(),
                "source": "front_desk",
            }
        )
        return Write("encounters.create", (params,), label="New encounter", subject=self.patient_id)

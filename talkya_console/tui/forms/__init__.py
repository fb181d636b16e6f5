"""Forms as modal screens: new patient, edit demographics, new encounter, attach a note, upload a
document.

Each dismisses with the record it created or updated, or None when cancelled. The modules import
the client and the wire models only when a form saves, so importing them costs the first frame nothing.
"""

from talkya_console.tui.forms.document import UploadDocumentScreen
from talkya_console.tui.forms.encounter import NewEncounterScreen
from talkya_console.tui.forms.note import NewNoteScreen
from talkya_console.tui.forms.patient import EditPatientScreen, NewPatientScreen, open_new_patient
from talkya_console.tui.forms.rules import RoutingRulesScreen, open_routing_rules
from talkya_console.tui.forms.telehealth import NewVisitScreen, VisitLinksScreen

__all__ = [
    "EditPatientScreen",
    "NewEncounterScreen",
    "NewNoteScreen",
    "NewPatientScreen",
    "NewVisitScreen",
    "RoutingRulesScreen",
    "UploadDocumentScreen",
    "VisitLinksScreen",
    "open_new_patient",
    "open_routing_rules",
]

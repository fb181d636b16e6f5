"""Front-desk forms as modal screens: new patient, edit demographics, new encounter.

Each dismisses with the record it created or updated, or None when cancelled. The modules import
the client and the wire models only when a form saves, so importing them costs the first frame nothing.
"""

from talkya_console.tui.forms.encounter import NewEncounterScreen
from talkya_console.tui.forms.patient import EditPatientScreen, NewPatientScreen, open_new_patient

__all__ = ["EditPatientScreen", "NewEncounterScreen", "NewPatientScreen", "open_new_patient"]

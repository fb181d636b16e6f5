"""Upload a document to a patient's chart: pick a file (a tree, or type its path), say what it is,
title it. The file's type and size are checked here, before anything is sent."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import DirectoryTree, Input, Label, Static

from talkya_console.tui.forms.base import FormScreen
from talkya_console.tui.forms.fields import SelectField, TextField
from talkya_console.tui.forms.note import ENCOUNTER_LIMIT, encounter_label, optional_title

if TYPE_CHECKING:
    from talkya_console.api import TalkyaClient
    from talkya_console.outbox import Write
    from talkya_console.wire import Document  # noqa: F401 (the string "Document" below names it)

#: Talkya's limit on one file (the sandbox's `Limits.file_bytes`), in bytes.
SIZE_LIMIT = 10 * 1024 * 1024
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
#: The file types Talkya accepts, by extension, as the media type sent (the sandbox's `BY_EXTENSION`).
ACCEPTED = {
    "pdf": "application/pdf",
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "gif": "image/gif",
    "webp": "image/webp",
    "heic": "image/heic",
    "txt": "text/plain",
    "csv": "text/csv",
    "mp3": "audio/mpeg",
    "wav": "audio/wav",
    "m4a": "audio/mp4",
    "docx": DOCX,
}
ACCEPTED_TEXT = "PDF, PNG, JPEG, GIF, WebP, HEIC, TXT, CSV, MP3, WAV, M4A or DOCX"
DOCUMENT_TYPES = [
    ("Consent form", "consent_form"),
    ("Lab report", "lab_report"),
    ("PDF", "pdf"),
    ("Photo", "photo"),
    ("Imported record", "imported_record"),
    ("Referral", "referral"),
    ("Other", "other"),
]


def megabytes(count: int) -> str:
    """`31.2 MB` (MiB, as the chart's sizes are)."""
    return f"{count / (1024 * 1024):.1f} MB"


def read_path(text: str, root: Path) -> Path:
    """A file Talkya will take: it exists, is of an accepted type, not empty and within the limit.

    A relative path is read from `root` (the folder the picker shows); `~` is the home folder."""
    value = text.strip().strip("'\"")
    if not value:
        raise ValueError("Choose a file in the tree, or type its path.")
    path = Path(value).expanduser()
    path = path if path.is_absolute() else root / path
    if not path.exists():
        raise ValueError("There is no such file.")
    if not path.is_file():
        raise ValueError("That is a folder: choose a file in it.")
    extension = path.suffix.lower().lstrip(".")
    if extension not in ACCEPTED:
        kind = f".{extension} files" if extension else "Files without an extension"
        raise ValueError(f"{kind} are not accepted; Talkya takes {ACCEPTED_TEXT}.")
    size = path.stat().st_size
    if size > SIZE_LIMIT:
        raise ValueError(f"Too large: {megabytes(size)}; the limit is {SIZE_LIMIT // (1024 * 1024)} MB.")
    if not size:
        raise ValueError("The file is empty.")
    return path


def suggested_type(path: Path) -> str | None:
    """What a file most likely is, by its type: a picture is a photo, a PDF a PDF."""
    media = ACCEPTED.get(path.suffix.lower().lstrip("."), "")
    if media.startswith("image/"):
        return "photo"
    return "pdf" if media == "application/pdf" else None


class UploadDocumentScreen(FormScreen["Document"]):
    """File a document on `patient_id`'s chart; dismisses with the Document, a `Queued` when Talkya
    could not be reached, or None."""

    FORM_TITLE = "Upload document"
    SAVE_LABEL = "Upload"
    DEFAULT_CSS = """
    UploadDocumentScreen { align: center middle; }
    UploadDocumentScreen #file-tree { height: 10; background: $boost; }
    UploadDocumentScreen .tree-label { margin-top: 1; color: $text-muted; }
    """

    def __init__(
        self, client: TalkyaClient, patient_id: str, encounter_id: str | None = None, root: Path | None = None
    ) -> None:
        super().__init__(client)
        self.patient_id = patient_id
        self.encounter_id = encounter_id
        self.root = root if root is not None else default_root()
        self.auto_title = ""

    def compose_fields(self) -> ComposeResult:
        """The picker and the path, then type and title, then the encounter."""
        yield Label(f"Pick a file in {self.root}, or type its path", classes="tree-label")
        yield DirectoryTree(self.root, id="file-tree")
        yield TextField("file", "File", lambda typed: read_path(typed, self.root), required=True, hint=str)
        with Horizontal(classes="form-row"):
            yield SelectField("type", "Document type", DOCUMENT_TYPES, required=True)
            yield TextField("title", "Title", optional_title, placeholder="The file's name")
        yield SelectField("encounter_id", "Encounter", [], prompt="None (loading encounters…)")

    def focus_first(self) -> None:
        """The tree: most files are picked, not typed."""
        self.query_one("#file-tree", DirectoryTree).focus()

    def mounted(self) -> None:
        """Say what Enter does in the tree; load the patient's encounters."""
        self.query_one(".form-keys", Static).update("Enter picks a file · Ctrl+S save · Esc cancel")
        self.load_encounters()

    @work(group="form-load", exit_on_error=False)
    async def load_encounters(self) -> None:
        """The patient's encounters, for an optional link; the one asked for is chosen."""
        from talkya_console.tui.widgets.pane import api_failures

        field = self.fields()["encounter_id"]
        assert isinstance(field, SelectField)
        try:
            found = await self.client.encounters.list(patient_id=self.patient_id).collect(ENCOUNTER_LIMIT)
        except api_failures() as error:
            field.selector.prompt = f"None (could not load encounters: {type(error).__name__})"
            return
        field.selector.set_options((encounter_label(encounter, self.now()), encounter.id) for encounter in found)
        field.selector.prompt = "None"
        if self.encounter_id in {encounter.id for encounter in found}:
            field.selector.value = self.encounter_id
        self.initial = self.snapshot()

    @on(DirectoryTree.FileSelected)
    def picked(self, event: DirectoryTree.FileSelected) -> None:
        """A file chosen in the tree fills the path, and the title and type if still untouched."""
        event.stop()
        path_field = self.fields()["file"]
        assert isinstance(path_field, TextField)
        path_field.input.value = str(event.path)
        path_field.check()
        self.fill_from(Path(event.path))
        self.show_banner("")

    @on(Input.Changed, "#field-file Input")
    def path_typed(self, event: Input.Changed) -> None:
        """A typed path titles the document too, when it names a file."""
        path = Path(event.value.strip()).expanduser()
        path = path if path.is_absolute() else self.root / path
        if event.value.strip() and path.is_file():
            self.fill_from(path)

    def fill_from(self, path: Path) -> None:
        """Title the document after the file unless a title was typed; guess its type if none is chosen."""
        fields = self.fields()
        title = fields["title"]
        type_field = fields["type"]
        assert isinstance(title, TextField) and isinstance(type_field, SelectField)
        if title.input.value in ("", self.auto_title):
            title.input.value = self.auto_title = path.name
        guess = suggested_type(path)
        if guess is not None and type_field.selector.is_blank():
            type_field.selector.value = guess

    def build(self) -> Write:
        """The upload: the file by its path (read when sent, so a queued upload keeps no copy)."""
        from talkya_console.outbox import Write

        fields = self.fields()
        path: Path = fields["file"].read()
        kwargs = {
            "patient_id": self.patient_id,
            "type": fields["type"].read(),
            "title": fields["title"].read() or path.name,
            "encounter_id": fields["encounter_id"].read(),
            "content_type": ACCEPTED[path.suffix.lower().lstrip(".")],
        }
        return Write("documents.upload", (str(path),), kwargs, label="Upload document", subject=self.patient_id)


def default_root() -> Path:
    """Where the picker starts: the home folder, else the working folder."""
    home = Path.home()
    return home if home.is_dir() else Path.cwd()

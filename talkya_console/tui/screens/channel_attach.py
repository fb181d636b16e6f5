"""Attach a file to a message (Ctrl+T in the composer): pick or type a path; its type and size are
checked here, before anything is sent, against the limits Talkya applies to uploads."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.widgets import DirectoryTree, Label, Static

from talkya_console.tui.forms.base import FormScreen
from talkya_console.tui.forms.document import ACCEPTED, default_root, read_path
from talkya_console.tui.forms.fields import TextField

if TYPE_CHECKING:
    from talkya_console.api import TalkyaClient
    from talkya_console.outbox import Write
    from talkya_console.wire import File  # noqa: F401 (the string "File" below names it)


class AttachFileScreen(FormScreen["File"]):
    """Upload one attachment; dismisses with the File (its id goes with the message), a `Queued`, or None."""

    DEFAULT_CSS = """
    AttachFileScreen { align: center middle; }
    AttachFileScreen #attach-tree { height: 10; background: $boost; }
    AttachFileScreen .tree-label { margin-top: 1; color: $text-muted; }
    """
    FORM_TITLE = "Attach a file"
    SAVE_LABEL = "Attach"

    def __init__(self, client: TalkyaClient, channel_id: str, root: Path | None = None) -> None:
        super().__init__(client)
        self.channel_id = channel_id
        self.root = root if root is not None else default_root()

    def compose_fields(self) -> ComposeResult:
        """The picker, then the path."""
        yield Label(f"Pick a file in {self.root}, or type its path", classes="tree-label")
        yield DirectoryTree(self.root, id="attach-tree")
        yield TextField("file", "File", lambda typed: read_path(typed, self.root), required=True, hint=str)

    def focus_first(self) -> None:
        """The path: a file is often typed or pasted."""
        self.fields()["file"].control.focus()

    def mounted(self) -> None:
        """Say what Enter does."""
        self.query_one(".form-keys", Static).update("Enter attaches · Esc cancel")

    @on(DirectoryTree.FileSelected)
    def picked(self, event: DirectoryTree.FileSelected) -> None:
        """A file chosen in the tree fills the path."""
        event.stop()
        field = self.fields()["file"]
        assert isinstance(field, TextField)
        field.input.value = str(event.path)
        field.check()

    def build(self) -> Write:
        """The upload, by path (streamed, never read whole)."""
        from talkya_console.outbox import Write

        path: Path = self.fields()["file"].read()
        kwargs = {"purpose": "attachment", "content_type": ACCEPTED[path.suffix.lower().lstrip(".")]}
        return Write("files.upload", (str(path),), kwargs, label="Attachment", subject=self.channel_id)

"""The composer: a multi-line draft (Enter sends, Shift+Enter or Ctrl+J breaks the line), @mentions
completed from the staff directory, and the file and patient the message will carry."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message as TextualMessage
from textual.widgets import Static, TextArea

from talkya_console.tui.widgets.messenger_render import candidates, fragment_at, human_size

if TYPE_CHECKING:
    from talkya_console.wire import File, User

KEYS_TEXT = "Enter send · Ctrl+J new line · Tab @name · ^T file · ^G patient · Esc back"
SUGGESTIONS_SHOWN = 4


class Composer(TextArea):
    """The draft. Enter posts `Send`; Tab completes the @name being typed."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+j,shift+enter", "newline", "New line", show=False, id="messenger.newline"),
        Binding("tab", "complete", "Complete @name", show=False, id="messenger.complete"),
        Binding("ctrl+t", "attach", "Attach file", id="messenger.attach"),
        Binding("ctrl+g", "link_patient", "Link patient (again: unlink)", id="messenger.link_patient"),
        Binding("ctrl+b", "detach", "Remove files", show=False, id="messenger.detach"),
        Binding("escape", "leave", "Back to messages", show=False, id="messenger.leave"),
    ]

    @dataclass
    class Send(TextualMessage):
        """Enter: send the draft."""

        text: str

    @dataclass
    class AttachAsked(TextualMessage):
        """Ctrl+T: choose a file to attach."""

    @dataclass
    class LinkAsked(TextualMessage):
        """Ctrl+G: choose the patient the message is about (or drop the one chosen)."""

    @dataclass
    class DetachAsked(TextualMessage):
        """Ctrl+B: the draft carries no files after all."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(
            soft_wrap=True,
            tab_behavior="focus",
            show_line_numbers=False,
            compact=True,
            placeholder="Write a message…",
            **kwargs,  # type: ignore[arg-type]
        )
        self.users: Sequence[User] = []

    async def _on_key(self, event: events.Key) -> None:
        if event.key == "enter":
            event.stop()
            event.prevent_default()
            self.post_message(self.Send(self.text))
            return
        await super()._on_key(event)

    def action_newline(self) -> None:
        self.insert("\n")

    def suggestions(self) -> tuple[int, int, int, list[User]] | None:
        """(row, start column, cursor column, staff) for the @name at the cursor."""
        row, column = self.cursor_location
        fragment = fragment_at(self.document.get_line(row), column)
        if fragment is None:
            return None
        found = candidates(fragment.typed, self.users)
        return (row, fragment.start, column, found) if found else None

    def action_complete(self) -> None:
        """Complete the @name at the cursor (the best match); with none, Tab moves on."""
        found = self.suggestions()
        if found is None:
            self.screen.focus_next()
            return
        row, start, column, users = found
        self.replace(f"@{users[0].name} ", (row, start), (row, column))

    def action_attach(self) -> None:
        self.post_message(self.AttachAsked())

    def action_link_patient(self) -> None:
        self.post_message(self.LinkAsked())

    def action_detach(self) -> None:
        self.post_message(self.DetachAsked())

    def action_leave(self) -> None:
        self.screen.focus_previous()


class ComposerBox(Vertical):
    """What goes with the draft (file, patient), the draft, and a line of hints or the refusal."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.files: list[File] = []
        self.patient: tuple[str, str] | None = None  # (id, label)

    def compose(self) -> ComposeResult:
        yield Static("", id="composer-chips")
        yield Composer(id="composer")
        yield Static(KEYS_TEXT, id="composer-hint")

    @property
    def composer(self) -> Composer:
        return self.query_one(Composer)

    def show_chips(self) -> None:
        """The files and the patient link the message will carry."""
        parts = [f"▣ {file.filename} · {human_size(file.size)}" for file in self.files]
        if self.patient is not None:
            parts.append(f"⚕ {self.patient[1]}")
        chips = self.query_one("#composer-chips", Static)
        chips.update("   ".join(parts))
        chips.display = bool(parts)

    def add_file(self, file: File) -> None:
        self.files.append(file)
        self.show_chips()

    def link(self, patient_id: str, label: str) -> None:
        self.patient = (patient_id, label)
        self.show_chips()

    def clear(self) -> None:
        """After a send: an empty draft with nothing attached."""
        self.files = []
        self.patient = None
        self.composer.clear()
        self.show_chips()
        self.hint(None)

    def hint(self, problem: str | None) -> None:
        """A refusal in place of the keys line (None: the keys again)."""
        line = self.query_one("#composer-hint", Static)
        line.update(problem or KEYS_TEXT)
        line.set_class(problem is not None, "-problem")

    @on(TextArea.Changed, "#composer")
    def typed(self) -> None:
        """Show who an @name being typed may be."""
        found = self.composer.suggestions()
        if found is None:
            self.hint(None)
            return
        names = [f"@{user.name}" for user in found[3][:SUGGESTIONS_SHOWN]]
        line = self.query_one("#composer-hint", Static)
        line.update("Tab: " + "  ".join(names))
        line.set_class(False, "-problem")

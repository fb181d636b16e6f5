"""Form fields: a label, a control, and the line under it that says what is wrong (or what was read)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Generic, TypeVar

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.suggester import Suggester
from textual.validation import ValidationResult, Validator
from textual.widget import Widget
from textual.widgets import Input, Label, Select, Static

T = TypeVar("T")
Parse = Callable[[str], Any]


class Parses(Validator):
    """A Textual validator over a parse function: whatever ValueError it raises is the message."""

    def __init__(self, parse: Parse) -> None:
        super().__init__()
        self.parse = parse

    def validate(self, value: str) -> ValidationResult:
        """Succeed if `parse` reads the value."""
        try:
            self.parse(value)
        except ValueError as error:
            return self.failure(str(error), value)
        return self.success()


class FormField(Vertical):
    """One field of a form: subclasses supply the control and how to read it."""

    def __init__(self, name: str, label: str, *, required: bool = False, classes: str = "") -> None:
        super().__init__(id="field-" + name.replace(".", "-"), classes=f"form-field {classes}".strip())
        self.field_name = name
        self.field_label = label
        self.required = required

    def compose(self) -> ComposeResult:
        """Label, control, message line."""
        yield Label(f"{self.field_label} *" if self.required else self.field_label, classes="field-label")
        yield from self.compose_control()
        yield Static("", classes="field-message")

    def compose_control(self) -> ComposeResult:
        """The widget that takes the value."""
        raise NotImplementedError

    @property
    def control(self) -> Widget:
        """The focusable widget."""
        raise NotImplementedError

    def read(self) -> Any:
        """The value as the API takes it; raises ValueError when it cannot be read."""
        raise NotImplementedError

    def check(self) -> bool:
        """Read the value and show the outcome under the field; False if it is wrong."""
        try:
            self.read()
        except ValueError as error:
            self.show_error(str(error))
            return False
        self.show_error(None)
        return True

    def show_error(self, message: str | None) -> None:
        """Show what is wrong under the field (a red line), or clear it."""
        line = self.query_one(".field-message", Static)
        line.update(message or "")
        line.set_class(bool(message), "-error")
        line.remove_class("-hint")
        self.set_class(bool(message), "-invalid")
        self.control.set_class(bool(message), "-invalid")

    def show_hint(self, message: str) -> None:
        """Show how the value was read (in muted text), when there is no error to show."""
        line = self.query_one(".field-message", Static)
        line.update(message)
        line.set_class(bool(message), "-hint")
        line.remove_class("-error")

    @property
    def has_error(self) -> bool:
        """Whether an error is shown."""
        return self.has_class("-invalid")


class TextField(FormField):
    """A text input read by `parse`; checked when the user leaves it, then as they type."""

    def __init__(
        self,
        name: str,
        label: str,
        parse: Parse,
        *,
        value: str = "",
        placeholder: str = "",
        required: bool = False,
        hint: Callable[[Any], str] | None = None,
        suggester: Suggester | None = None,
        classes: str = "",
    ) -> None:
        super().__init__(name, label, required=required, classes=classes)
        self.parse = parse
        self.hint = hint
        self.touched = False
        self.input = Input(
            value,
            placeholder=placeholder,
            validators=[Parses(parse)],
            validate_on=["blur"],
            suggester=suggester,
            compact=True,
            select_on_focus=False,
        )

    def compose_control(self) -> ComposeResult:
        """The input."""
        yield self.input

    @property
    def control(self) -> Widget:
        """The input."""
        return self.input

    def read(self) -> Any:
        """The parsed value."""
        return self.parse(self.input.value)

    def check(self) -> bool:
        """Validate as Textual does (marks the input), and say why under it."""
        self.touch()
        return self.report(self.input.validate(self.input.value))

    def touch(self) -> None:
        """From now on the field is checked as the user types."""
        self.touched = True
        self.input.validate_on.add("changed")

    def report(self, result: ValidationResult | None) -> bool:
        """Show a failed validation's message, or how a good value was read."""
        if result is not None and not result.is_valid:
            self.show_error(result.failure_descriptions[0])
            return False
        self.show_error(None)
        self.show_read_value()
        return True

    def show_read_value(self) -> None:
        """The hint for a good value (`+13055550123` for a phone typed any way)."""
        if self.hint is None:
            return
        try:
            value = self.read()
        except ValueError:
            self.show_hint("")
            return
        # Only when it says something new: `3/14/80` is read as 14 Mar 1980, `1980-03-14` needs no hint.
        plain = value in (None, "", []) or str(value) == self.input.value.strip()
        self.show_hint("" if plain else self.hint(value))

    @on(Input.Changed)
    def typed(self, event: Input.Changed) -> None:
        """Until first left, only hint; afterwards re-check every change (a fixed error clears at once)."""
        if self.touched:
            self.report(event.validation_result)
        else:
            self.show_error(None)
            self.show_read_value()

    @on(Input.Blurred)
    def left(self, event: Input.Blurred) -> None:
        """Leaving the field checks it."""
        self.touch()
        self.report(event.validation_result)


class SelectField(FormField, Generic[T]):
    """A choice; `required` refuses no choice."""

    def __init__(
        self,
        name: str,
        label: str,
        options: Iterable[tuple[str, T]],
        *,
        value: T | None = None,
        prompt: str = "Choose…",
        required: bool = False,
        allow_blank: bool = True,
        classes: str = "",
    ) -> None:
        super().__init__(name, label, required=required, classes=classes)
        initial: Any = Select.NULL if value is None else value
        self.selector: Select[T] = Select(
            options, prompt=prompt, value=initial, allow_blank=allow_blank, compact=True, type_to_search=True
        )

    def compose_control(self) -> ComposeResult:
        """The select."""
        yield self.selector

    @property
    def control(self) -> Widget:
        """The select."""
        return self.selector

    def read(self) -> T | None:
        """The chosen value, None when nothing is chosen."""
        value = self.selector.value
        if value is Select.NULL:
            if self.required:
                raise ValueError("Choose one.")
            return None
        return value  # type: ignore[return-value]

    @on(Select.Changed)
    def chosen(self) -> None:
        """A choice clears a complaint."""
        if self.has_error:
            self.check()

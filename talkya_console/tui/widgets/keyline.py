"""The screen's keys on the bottom line: what Textual's `Footer` shows, drawn as one widget.

`Footer` mounts a widget per key and mounts them all again whenever the screen's bindings change
(a focus move, a section shown); with a dozen keys that restyling was a fifth of the time to open a
chart (benchmarks/lookup.py, under py-spy). This draws the same line in one `render`, and a click
on a key presses it, as a click on a `Footer` key does."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.style import Style
from rich.text import Text
from textual import events
from textual.widget import Widget

if TYPE_CHECKING:
    from textual.screen import Screen

# The vertical bar `Footer` draws left of the command palette's key (its `vkey` border).
PALETTE_BAR = "▏"
DIM = Style(dim=True)


class KeyLine(Widget, can_focus=False):
    """The active screen's shown bindings, `key description` each, the palette's key at the right."""

    ALLOW_SELECT = False
    COMPONENT_CLASSES: ClassVar[set[str]] = {"keyline--key", "keyline--description", "keyline--bar"}
    DEFAULT_CSS = """
    KeyLine {
        dock: bottom;
        height: 1;
        color: $footer-foreground;
        background: $footer-background;
        & > .keyline--key {
            color: $footer-key-foreground;
            background: $footer-key-background;
            text-style: bold;
        }
        & > .keyline--description {
            color: $footer-description-foreground;
            background: $footer-description-background;
        }
        & > .keyline--bar {
            color: $foreground 20%;
        }
    }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        # (first column, last column + 1, key, enabled) of each key drawn, for clicks.
        self.spans: list[tuple[int, int, str, bool]] = []

    def on_mount(self) -> None:
        """Drawn again whenever the screen's bindings change."""
        self.screen.bindings_updated_signal.subscribe(self, self.bindings_changed)

    def on_unmount(self) -> None:
        """No more updates once gone."""
        self.screen.bindings_updated_signal.unsubscribe(self)

    def bindings_changed(self, screen: Screen[object]) -> None:
        """The keys changed (focus moved, an action became available): draw them again."""
        if screen is self.screen:
            self.refresh()

    def entries(self) -> tuple[list[tuple[str, str, str, bool]], tuple[str, str, str, bool] | None]:
        """The shown bindings as (key, how it is drawn, description, enabled), one per action, and
        the command palette's key apart."""
        app = self.app
        active = self.screen.active_bindings
        palette_key = app.COMMAND_PALETTE_BINDING if app.ENABLE_COMMAND_PALETTE else None
        keys: list[tuple[str, str, str, bool]] = []
        actions: set[str] = set()
        for key, (_node, binding, enabled, _tooltip) in active.items():
            if not binding.show or binding.action in actions or key == palette_key:
                continue
            actions.add(binding.action)
            keys.append((binding.key, app.get_key_display(binding), binding.description, enabled))
        palette = None
        if palette_key is not None and palette_key in active:
            _node, binding, enabled, _tooltip = active[palette_key]
            palette = (binding.key, app.get_key_display(binding), binding.description, enabled)
        return keys, palette

    def render(self) -> Text:
        """` key description` for each key, left to right; the palette's key at the right end."""
        key_style = self.get_component_rich_style("keyline--key")
        description_style = self.get_component_rich_style("keyline--description")
        keys, palette = self.entries()
        width = self.size.width
        tail = Text()
        if palette is not None:
            tail = Text.assemble(
                (PALETTE_BAR, self.get_component_rich_style("keyline--bar")),
                (f" {palette[1]} ", key_style),
                (f"{palette[2]} ", description_style),
            )
        line = Text(no_wrap=True, overflow="crop", end="")
        self.spans = []
        for key, display, description, enabled in keys:
            dim = Style() if enabled else DIM
            entry = Text.assemble((f" {display} ", key_style + dim))
            if description:
                entry.append(f"{description} ", description_style + dim)
            if line.cell_len + entry.cell_len + tail.cell_len > width:
                break  # a key shown whole or not at all, never half a word
            self.spans.append((line.cell_len, line.cell_len + entry.cell_len, key, enabled))
            line.append_text(entry)
        if palette is not None:
            start = max(line.cell_len, width - tail.cell_len)
            line.append(" " * (start - line.cell_len))
            self.spans.append((start, start + tail.cell_len, palette[0], palette[3]))
            line.append_text(tail)
        return line

    def on_click(self, event: events.Click) -> None:
        """A click on a key presses it (a bell for one not available now)."""
        for start, end, key, enabled in self.spans:
            if start <= event.x < end:
                if enabled:
                    self.app.simulate_key(key)
                else:
                    self.app.bell()
                return

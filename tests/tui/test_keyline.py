"""The key line at the bottom: the screen's shown keys in one widget, a click presses one, a key not
available now is dimmed and only rings the bell, a key that does not fit is left out whole, and the
line follows the bindings as focus moves."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widgets import Button, Input

from talkya_console.tui.widgets.keyline import PALETTE_BAR, KeyLine


class Keyed(App[None]):
    """An app with three keys of its own, one of them not available, and a field with one more."""

    BINDINGS = [
        Binding("o", "open", "Open chart"),
        Binding("n", "new", "New patient"),
        Binding("s", "sign", "Sign note"),
        Binding("x", "hidden", "Not shown", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.done: list[str] = []
        self.bells = 0
        self.can_sign = False

    def compose(self) -> ComposeResult:
        yield Button("Somewhere")
        yield Input(id="field")
        yield KeyLine()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return None if action == "sign" and not self.can_sign else True  # None: shown, disabled

    def action_open(self) -> None:
        self.done.append("open")

    def action_new(self) -> None:
        self.done.append("new")

    def action_sign(self) -> None:
        self.done.append("sign")

    def bell(self) -> None:
        self.bells += 1


def line_text(app: App[None]) -> str:
    return str(app.query_one(KeyLine).render())


def span_of(app: App[None], key: str) -> tuple[int, int, bool]:
    (found,) = [(start, end, enabled) for start, end, k, enabled in app.query_one(KeyLine).spans if k == key]
    return found


async def test_the_line_shows_each_shown_key_and_the_palette_at_the_right() -> None:
    app = Keyed()
    async with app.run_test(size=(100, 10)) as pilot:
        await pilot.pause()
        text = line_text(app)
        assert text.startswith(" o Open chart  n New patient  s Sign note ")
        assert "Not shown" not in text
        assert text.rstrip().endswith(f"{PALETTE_BAR} ^p palette")
        assert len(text) == 100


async def test_a_click_on_a_key_presses_it_and_a_disabled_key_only_rings() -> None:
    app = Keyed()
    async with app.run_test(size=(100, 10)) as pilot:
        await pilot.pause()
        line = app.query_one(KeyLine)
        start, _end, enabled = span_of(app, "n")
        assert enabled
        await pilot.click(line, offset=(start + 1, 0))
        assert app.done == ["new"]

        start, _end, enabled = span_of(app, "s")
        assert not enabled
        await pilot.click(line, offset=(start + 1, 0))
        assert app.done == ["new"]
        assert app.bells == 1


async def test_a_disabled_key_is_drawn_dim_and_bright_again_once_available() -> None:
    app = Keyed()
    async with app.run_test(size=(100, 10)) as pilot:
        await pilot.pause()
        sign = next(span for span in app.query_one(KeyLine).render().spans if "dim" in str(span.style))
        assert line_text(app)[sign.start : sign.end].strip() in {"s", "Sign note"}
        app.can_sign = True
        app.refresh_bindings()
        await pilot.pause()
        assert span_of(app, "s")[2]
        assert not any("dim" in str(span.style) for span in app.query_one(KeyLine).render().spans)


async def test_keys_that_do_not_fit_are_left_out_whole() -> None:
    app = Keyed()
    async with app.run_test(size=(40, 10)) as pilot:
        await pilot.pause()
        text = line_text(app)
        assert len(text) == 40
        assert " o Open chart " in text
        assert "New" not in text and "Sign" not in text  # not "New pat…", not half a word
        assert text.rstrip().endswith("palette")


async def test_the_line_follows_the_bindings_as_focus_moves() -> None:
    app = Keyed()
    async with app.run_test(size=(160, 10)) as pilot:
        await pilot.pause()
        assert "Open chart" in line_text(app)
        app.query_one("#field", Input).focus()  # a letter typed now goes into the field
        await pilot.pause()
        assert "Open chart" not in line_text(app)
        assert line_text(app).rstrip().endswith("palette")
        app.query_one(Button).focus()
        await pilot.pause()
        assert "Open chart" in line_text(app)

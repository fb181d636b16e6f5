"""Save SVG screenshots of the desk (120x40) and a chart into screenshots/, from the demo sandbox."""

from __future__ import annotations

import asyncio
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import httpx
from textual.pilot import Pilot

from talkya_console.pin import PinStore
from talkya_console.sandbox.app import create_app
from talkya_console.sandbox.grants import issue_tokens, new_family
from talkya_console.sandbox.seed.credentials import CONSOLE_CLIENT_ID
from talkya_console.session import StaffSession
from talkya_console.tui.app import TalkyaConsole
from talkya_console.wire.users import ALL_SCOPES

OUT = Path(__file__).resolve().parent.parent / "screenshots"
DEMO_TODAY = datetime(2026, 11, 20, tzinfo=UTC)


def console() -> TalkyaConsole:
    """The console on a fresh demo sandbox at a fixed time, signed in as the demo's front desk
    (Jordan Reyes, with an unlock PIN set) as the embedded demo is."""
    sandbox = create_app(":memory:", seed="demo", patients=60, today=DEMO_TODAY)
    sign_in = issue_tokens(
        sandbox.state.sandbox, "ws_truebliss", " ".join(ALL_SCOPES), CONSOLE_CLIENT_ID, "usr_102", family=new_family()
    )
    pins = PinStore(Path(tempfile.mkdtemp()) / "pins.json")
    pins.set_pin("ws_truebliss/usr_102", "2468")
    session = StaffSession.from_sign_in(
        "http://sandbox", "ws_truebliss", sign_in, pins=pins, transport=httpx.ASGITransport(app=sandbox)
    )
    return TalkyaConsole(
        client_factory=session.client,
        identity=session,
        subscribe=None,
        workspace="ws_truebliss",
        clock=lambda: DEMO_TODAY.replace(hour=15),
    )


async def settle(pilot: Pilot[None]) -> None:
    """Wait for every worker to finish."""
    for _ in range(50):
        await pilot.pause()
        if all(worker.is_finished for worker in pilot.app.workers):
            await pilot.pause()
            return
        await pilot.app.workers.wait_for_complete()


async def shoot(name: str, keys: tuple[str, ...], size: tuple[int, int] = (120, 40)) -> Path:
    """Press `keys` on a fresh console and save the screen as `name`.svg."""
    app = console()
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await pilot.press(*keys)
        await settle(pilot)
        return Path(app.save_screenshot(path=str(OUT), filename=f"{name}.svg"))


#: name -> (keys to press, terminal size)
SHOTS: dict[str, tuple[tuple[str, ...], tuple[int, int]]] = {
    "desk": ((), (120, 40)),
    "desk-80x24": ((), (80, 24)),
    "desk-200x60": ((), (200, 60)),
    "lookup": (("slash", *"lopez"), (120, 40)),
    "chart": (("slash", *"maria lopez", "enter"), (120, 40)),
    "help": (("question_mark",), (120, 40)),
    "zoom-messenger": (("2", "z"), (120, 40)),
    "tasks-mine": (("4", "m"), (120, 40)),
    "locked": (("ctrl+l", *"1234", "enter"), (120, 40)),
    "chart-revealed": (("slash", *"maria lopez", "enter", "v"), (120, 40)),
    "chart-encounters": (("slash", *"maria lopez", "enter", "2"), (120, 40)),
    "chart-calls": (("slash", *"maria lopez", "enter", "6"), (120, 40)),
    "new-patient": (("3", "n", *["tab"] * 4, *"Ana", "tab", "tab", "tab", *"3/14/80", "ctrl+s"), (120, 40)),
}


async def main() -> None:
    """Every shot."""
    OUT.mkdir(exist_ok=True)
    for name, (keys, size) in SHOTS.items():
        print(await shoot(name, keys, size))


if __name__ == "__main__":
    asyncio.run(main())

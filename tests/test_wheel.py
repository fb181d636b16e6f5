"""The styles ship inside the wheel, so an installed console finds its CSS."""

from __future__ import annotations

import pathlib
import zipfile

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_the_wheel_carries_the_stylesheets(tmp_path):
    from hatchling.builders.wheel import WheelBuilder

    (wheel,) = WheelBuilder(str(ROOT)).build(directory=str(tmp_path), versions=["standard"])
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {p.name for p in (ROOT / "styles").glob("*.tcss")}
    assert shipped
    assert {f"talkya_console/styles/{name}" for name in shipped} <= names
    assert "talkya_console/tui/app.py" in names

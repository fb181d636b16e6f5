"""A message's files on this machine: saved to ~/Downloads under a name not yet taken, or fetched
into a private temporary folder and opened with the system's opener."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Literal


def system_open(path: Path) -> None:
    """Open a file with the system's opener (`open`, `xdg-open`, or the Windows association)."""
    if sys.platform == "win32":
        os.startfile(path)  # type: ignore[attr-defined]
        return
    opener = "open" if sys.platform == "darwin" else "xdg-open"
    subprocess.Popen([opener, str(path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


def downloads_folder() -> Path:
    """`~/Downloads`, made if missing."""
    folder = Path.home() / "Downloads"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def free_name(folder: Path, filename: str) -> Path:
    """`folder/filename`, or `name (2).ext` and so on when taken; never outside `folder`."""
    name = Path(filename).name or "attachment"
    target = folder / name
    stem, suffix = Path(name).stem, Path(name).suffix
    number = 2
    while target.exists():
        target = folder / f"{stem} ({number}){suffix}"
        number += 1
    return target


def target_for(filename: str, how: Literal["open", "save"]) -> Path:
    """Where a file goes: a free name in ~/Downloads to save it, a new private folder to open it."""
    folder = downloads_folder() if how == "save" else Path(tempfile.mkdtemp(prefix="talkya-"))
    return free_name(folder, filename)

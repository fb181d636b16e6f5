"""Where the console keeps its files (platformdirs), and settings read from the environment."""

from __future__ import annotations

from pathlib import Path

import platformdirs

APP_NAME = "talkya-console"


def data_dir() -> Path:
    path = Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def config_dir() -> Path:
    path = Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def default_sandbox_db() -> Path:
    return data_dir() / "sandbox.db"

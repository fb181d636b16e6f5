"""The demo clinic: TrueBliss, a med-spa and wellness practice, and Northside for isolation."""

from __future__ import annotations

from talkya_console.sandbox.context import Sandbox
from talkya_console.sandbox.seed.people import seed_patients

__all__ = ["seed_demo", "seed_patients"]


def seed_demo(sandbox: Sandbox, patients: int = 500) -> None:
    seed_patients(sandbox, patients)
    seed_patients(sandbox, 40, workspace_id="ws_northside", seed=11, prefix="NS")

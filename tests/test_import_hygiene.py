"""The layers in ARCHITECTURE.md: only the TUI may import textual."""

from __future__ import annotations

import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1] / "talkya_console"


def _imports(path: pathlib.Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", ["wire", "api", "sandbox", "relay"])
def test_no_textual_below_the_tui(package: str) -> None:
    offenders = [str(p.relative_to(ROOT)) for p in (ROOT / package).rglob("*.py") if "textual" in _imports(p)]
    assert offenders == []


def test_wire_imports_only_pydantic_and_stdlib() -> None:
    forbidden = {"httpx", "fastapi", "starlette", "textual", "uvicorn", "websockets"}
    offenders = {str(p.relative_to(ROOT)): _imports(p) & forbidden for p in (ROOT / "wire").rglob("*.py")}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_import_linter_contracts_hold() -> None:
    from importlinter.cli import lint_imports

    assert lint_imports(config_filename=str(ROOT.parent / "pyproject.toml")) == 0

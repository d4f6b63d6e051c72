"""app/rules is pure: the standard library without I/O, pydantic, yaml, rule_engine, holidays and itself."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

RULES = Path(__file__).resolve().parents[3] / "app" / "rules"
THIRD_PARTY = {"pydantic", "pydantic_core", "yaml", "rule_engine", "holidays"}
IO_MODULES = {"os", "io", "subprocess", "socket", "shutil", "tempfile", "urllib", "http", "sqlite3", "asyncio"}
MODULES = sorted(RULES.rglob("*.py"))


def imported_modules(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
    return names


@pytest.mark.parametrize("path", MODULES, ids=[path.relative_to(RULES).as_posix() for path in MODULES])
def test_a_rules_module_imports_only_what_the_architecture_allows(path: Path) -> None:
    for name in imported_modules(path):
        top = name.split(".")[0]
        if top == "app":
            assert name == "app.rules" or name.startswith("app.rules."), f"{path.name} imports {name}"
        else:
            assert top in THIRD_PARTY or top in sys.stdlib_module_names, f"{path.name} imports {name}"
            assert top not in IO_MODULES, f"{path.name} imports {name}"


def test_only_the_one_configuration_loader_reads_files() -> None:
    readers = [
        p.relative_to(RULES).as_posix() for p in MODULES if "read_text" in p.read_text() or "open(" in p.read_text()
    ]
    assert readers == ["config.py"]

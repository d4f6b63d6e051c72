"""hubspot_twin's imports form no cycle: neither between its modules nor between its parts (crm/, http/, webhooks/…).

The import graph is read from the source with `ast`: every import counts, inside functions and under
TYPE_CHECKING too. A parent package's `__init__` that Python runs before a submodule is not an edge; an explicit
`from hubspot_twin import X` is. The last test proves the check finds a cycle.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = "hubspot_twin"


def module_names(root: Path, package: str) -> dict[str, Path]:
    """Return every module of `package` under `root` by dotted name (a package by its own name)."""
    names = {}
    for path in sorted((root / package).rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        names[".".join(parts)] = path
    return names


def imports_of(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """Return the modules of the package that `name` imports."""
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                prefixes = (".".join(parts[:n]) for n in range(len(parts), 0, -1))
                found.update(next(([p] for p in prefixes if p in modules), []))
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = name.split(".")[: len(name.split(".")) - node.level + (1 if is_package else 0)]
                base = ".".join([*anchor, *([base] if base else [])])
            for alias in node.names:
                if f"{base}.{alias.name}" in modules:
                    found.add(f"{base}.{alias.name}")
                elif base in modules:
                    found.add(base)
    found.discard(name)
    return found


def import_graph(root: Path, package: str) -> dict[str, set[str]]:
    modules = module_names(root, package)
    return {name: imports_of(name, path, modules) for name, path in modules.items()}


def part_of(module: str, package: str) -> str:
    """Return the part a module belongs to: its subpackage (`hubspot_twin.crm`) or the top-level module itself."""
    return ".".join(module.split(".")[:2]) if module != package else module


def part_graph(graph: dict[str, set[str]], package: str) -> dict[str, set[str]]:
    parts: dict[str, set[str]] = {}
    for module, imported in graph.items():
        mine = part_of(module, package)
        parts.setdefault(mine, set()).update(part_of(other, package) for other in imported)
        parts[mine].discard(mine)
    return parts


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """Return one cycle of `graph` (its first node repeated at the end), or None."""
    done: set[str] = set()
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        if node in path:
            return [*path[path.index(node) :], node]
        if node in done:
            return None
        path.append(node)
        for other in sorted(graph.get(node, ())):
            cycle = visit(other)
            if cycle:
                return cycle
        path.pop()
        done.add(node)
        return None

    return next((cycle for node in sorted(graph) if (cycle := visit(node))), None)


def test_the_modules_of_the_twin_import_each_other_without_a_cycle() -> None:
    graph = import_graph(ROOT, PACKAGE)
    assert "hubspot_twin.crm.store" in graph["hubspot_twin.twin"]  # the graph is read
    assert find_cycle(graph) is None, " -> ".join(find_cycle(graph) or [])


def test_the_parts_of_the_twin_depend_on_each_other_without_a_cycle() -> None:
    parts = part_graph(import_graph(ROOT, PACKAGE), PACKAGE)
    assert "hubspot_twin.crm" in parts["hubspot_twin.http"]  # the parts are read
    assert find_cycle(parts) is None, " -> ".join(find_cycle(parts) or [])


def test_a_cycle_is_found_through_any_kind_of_import(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "sub" / "__init__.py").write_text("")
    (package / "a.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.sub import b\n")
    (package / "sub" / "b.py").write_text("def f():\n    from .c import x\n")
    (package / "sub" / "c.py").write_text("import pkg.a\n")
    graph = import_graph(tmp_path, "pkg")
    assert find_cycle(graph) == ["pkg.a", "pkg.sub.b", "pkg.sub.c", "pkg.a"]
    (package / "sub" / "c.py").write_text("x = 1\n")
    assert find_cycle(import_graph(tmp_path, "pkg")) is None

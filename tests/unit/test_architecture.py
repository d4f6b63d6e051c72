"""The dependency rule of docs/ARCHITECTURE.md, checked on the source: which module may import (or build) what.

The checks read app/ and worker.py with `ast` (imports inside functions and under TYPE_CHECKING count too) and
report every violation at once, as `file:line: what`. The second half proves each check sees what it exists for.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

IO_MODULES = frozenset(
    {"os", "sqlalchemy", "redis", "rq", "flask", "hubspot", "requests", "urllib", "urllib3", "socket",
     "subprocess", "pathlib"}
)  # fmt: skip
# The only I/O imports app/rules makes: the one configuration loader reads its files through pathlib, and a whole
# configuration directory is named by a path.
RULES_IO_EXCEPTIONS = {
    "app/rules/config.py": frozenset({"pathlib"}),
    "app/rules/configuration.py": frozenset({"pathlib"}),
    "app/rules/scoring/config.py": frozenset({"pathlib"}),
}
# app.logs (the log context every layer logs with) is a leaf like app.worklist: it imports nothing of the project.
ALLOWED_PROJECT_IMPORTS = {
    "app/rules/": frozenset({"app.rules"}),
    "app/ledger/": frozenset({"app.ledger", "app.rules"}),
    "app/webhooks/": frozenset({"app.ledger", "app.rules", "app.worklist", "app.webhooks", "app.logs"}),
    "app/sync/": frozenset({"app.rules", "app.ledger", "app.worklist", "app.sync", "app.logs"}),
    "app/observability/": frozenset(
        {"app.observability", "app.sync", "app.ledger", "app.worklist", "app.rules", "app.logs", "app.settings"}
    ),
    "app/dashboard/": frozenset({"app.dashboard", "app.rules", "app.ledger", "app.sla_report"}),
    # the contact card's endpoint: HubSpot's v3 signature is the webhooks' (app/webhooks/signature.py)
    "app/card/": frozenset({"app.card", "app.rules", "app.sync", "app.webhooks"}),
    "app/worklist.py": frozenset(),
    "app/logs.py": frozenset(),
}
COMPOSITION = ("app/bootstrap.py", "app/__init__.py", "app/cli.py", "app/workers.py", "app/clock.py",
               "app/demo/", "worker.py")  # fmt: skip
ADAPTER_BUILDERS = ("app/bootstrap.py", "app/demo/")
ADAPTER_CONSTRUCTORS = frozenset({"SdkGateway", "create_ledger_engine", "connect_redis", "Redis.from_url"})


@dataclass(frozen=True)
class Import:
    path: str  # relative to the repository root, with forward slashes
    line: int
    module: str  # absolute dotted name; `from pkg import name` is `pkg.name` when that is a module


@dataclass(frozen=True)
class Call:
    path: str
    line: int
    name: str  # as written, without arguments: `SdkGateway`, `Redis.from_url`, `database.create_ledger_engine`


def sources(root: Path) -> list[Path]:
    return sorted(path for path in [*root.joinpath("app").rglob("*.py"), root / "worker.py"] if path.is_file())


def imports_of(path: Path, root: Path) -> Iterator[Import]:
    """Yield every module that `path` imports, resolved against the repository at `root`."""
    where = path.relative_to(root).as_posix()
    parts = list(path.relative_to(root).with_suffix("").parts)
    package = parts[:-1]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(where, node.lineno, alias.name)
        elif isinstance(node, ast.ImportFrom):
            anchor = package[: len(package) - node.level + 1] if node.level else []
            base = ".".join([*anchor, *([node.module] if node.module else [])])
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                yield Import(where, node.lineno, submodule if is_module(submodule, root) else base)


def is_module(dotted: str, root: Path) -> bool:
    base = root.joinpath(*dotted.split("."))
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def calls_of(path: Path, root: Path) -> Iterator[Call]:
    where = path.relative_to(root).as_posix()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Call):
            yield Call(where, node.lineno, ast.unparse(node.func))


def project_package(module: str) -> str | None:
    """Return the project package of a module (`app.sync.drain` → `app.sync`), or None outside the project."""
    parts = module.split(".")
    if parts[0] == "worker":
        return "worker"
    return ".".join(parts[:2]) if parts[0] == "app" else None


def under(path: str, prefixes: tuple[str, ...] | str) -> bool:
    """Return whether `path` is one of the files or lies in one of the folders (those end with `/`)."""
    prefixes = (prefixes,) if isinstance(prefixes, str) else prefixes
    return any(path == prefix or (prefix.endswith("/") and path.startswith(prefix)) for prefix in prefixes)


def rules_io_violations(root: Path) -> list[str]:
    imports = [imp for path in sources(root) for imp in imports_of(path, root) if under(imp.path, "app/rules/")]
    found = [
        f"{imp.path}:{imp.line}: the pure rules import the I/O module {imp.module}"
        for imp in imports
        if imp.module.split(".")[0] in IO_MODULES - RULES_IO_EXCEPTIONS.get(imp.path, frozenset())
    ]
    for path, allowed in RULES_IO_EXCEPTIONS.items():
        used = {imp.module.split(".")[0] for imp in imports if imp.path == path}
        found += [f"{path}: allowed to import {name} but does not; drop the exception" for name in allowed - used]
    return found


def layer_violations(root: Path) -> list[str]:
    found = []
    for path in sources(root):
        for imp in imports_of(path, root):
            package = project_package(imp.module)
            for prefix, allowed in ALLOWED_PROJECT_IMPORTS.items():
                if package is not None and under(imp.path, prefix) and package not in allowed:
                    rule = f"only {', '.join(sorted(allowed))}" if allowed else "nothing of the project"
                    found.append(f"{imp.path}:{imp.line}: imports {imp.module}, but {prefix} may import {rule}")
    return found


def bootstrap_import_violations(root: Path) -> list[str]:
    return [
        f"{imp.path}:{imp.line}: imports {imp.module}; only the composition root and the entry points may"
        for path in sources(root)
        for imp in imports_of(path, root)
        if project_package(imp.module) == "app.bootstrap" and not under(imp.path, COMPOSITION)
    ]


def adapter_construction_violations(root: Path) -> list[str]:
    return [
        f"{call.path}:{call.line}: calls {call.name}(…); only app/bootstrap.py and app/demo/ build adapters"
        for path in sources(root)
        for call in calls_of(path, root)
        if _builds_adapter(call.name) and not under(call.path, ADAPTER_BUILDERS)
    ]


def _builds_adapter(name: str) -> bool:
    return any(name == wanted or name.endswith(f".{wanted}") for wanted in ADAPTER_CONSTRUCTORS)


# Capabilities: one folder inside each layer that needs it. A capability may use what it builds on, never the
# other way round. The drain itself (the pipeline) knows no capability's step: the composition root registers them;
# it knows only the scoring rules' Assessment and the engagement events, which every step after scoring reads from the
# batch.
CAPABILITIES = {
    "scoring": frozenset(),
    "handover": frozenset({"scoring"}),
    "sla": frozenset({"scoring", "handover"}),
    "nurture": frozenset({"scoring"}),
    "kpis": frozenset({"scoring", "handover", "sla", "nurture"}),
    "calibration": frozenset({"scoring", "handover", "sla", "kpis"}),  # facts, rates; pools; response targets
    "card": frozenset({"scoring", "handover", "sla", "nurture"}),  # what the contact card shows and answers
}
LAYERS = ("app/rules/", "app/sync/", "app/ledger/", "app/webhooks/")
PIPELINE_KNOWS = frozenset({"app.rules.scoring.assessment", "app.rules.scoring.engagement"})
CAPABILITY_BLIND = ("app/sync/pipeline.py", "app/sync/drain.py", "app/sync/jobs.py", "app/rules/config.py")


def capability_of(module_or_path: str) -> str | None:
    """Return the capability a module (`app.sync.handover.step`) or file (`app/rules/scoring/model.py`) is in."""
    parts = module_or_path.replace("/", ".").split(".")
    return parts[2] if len(parts) > 3 and parts[0] == "app" and parts[2] in CAPABILITIES else None


def capability_violations(root: Path) -> list[str]:
    found = []
    for path in sources(root):
        for imp in imports_of(path, root):
            used = capability_of(imp.module)
            if used is None:
                continue
            if under(imp.path, CAPABILITY_BLIND):
                if imp.path.startswith("app/sync/pipeline.py") and imp.module in PIPELINE_KNOWS:
                    continue
                found.append(f"{imp.path}:{imp.line}: imports {imp.module}, but {imp.path} knows no capability")
                continue
            user = capability_of(imp.path) if under(imp.path, LAYERS) else None
            if user is not None and used != user and used not in CAPABILITIES[user]:
                found.append(f"{imp.path}:{imp.line}: {user} imports {imp.module}; {user} may use only "
                             f"{', '.join(sorted(CAPABILITIES[user])) or 'no other capability'}")  # fmt: skip
    return found


def import_cycles(root: Path) -> list[str]:
    """Return every cycle of modules importing each other in app/ and worker.py (any import, anywhere)."""
    graph: dict[str, set[str]] = {}
    for path in sources(root):
        module = ".".join(path.relative_to(root).with_suffix("").parts).removesuffix(".__init__")
        graph[module] = {imp.module for imp in imports_of(path, root) if project_package(imp.module) is not None}
    return [" -> ".join([*cycle, cycle[0]]) for cycle in _strongly_connected(graph) if len(cycle) > 1]


def _strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iteratively: the strongly connected components of `graph`."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph.get(start, ()))))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, edges = work[-1]
            target = next(edges, None)
            if target is not None:
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(sorted(graph.get(target, ())))))
                elif target in on_stack:
                    low[node] = min(low[node], index[target])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                components.append(sorted(component))
    return components


CHECKS = {
    "app/rules imports I/O modules": rules_io_violations,
    "imports cross the layers the wrong way": layer_violations,
    "modules outside the composition root import app.bootstrap": bootstrap_import_violations,
    "modules outside the composition root build adapters": adapter_construction_violations,
    "a capability uses one it may not, or the drain names a capability": capability_violations,
    "modules import each other (an import cycle)": import_cycles,
}


def describe(title: str, violations: list[str]) -> str:
    return f"{len(violations)} violation(s): {title}\n  " + "\n  ".join(sorted(violations))


@pytest.mark.parametrize("title", list(CHECKS))
def test_the_source_follows_the_dependency_rule(title: str) -> None:
    violations = CHECKS[title](ROOT)
    assert not violations, describe(title, violations)


# Each check on a small fake repository: it must find the violation it exists for, and accept what is allowed.


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A fake repository with the package layout of app/ (empty modules)."""
    for module in ("app/__init__.py", "app/bootstrap.py", "app/worklist.py", "app/rules/__init__.py",
                   "app/rules/model.py", "app/rules/config.py", "app/rules/configuration.py",
                   "app/rules/scoring/__init__.py", "app/rules/scoring/config.py", "app/rules/scoring/model.py",
                   "app/rules/handover/__init__.py", "app/rules/handover/plan.py", "app/ledger/__init__.py",
                   "app/sync/pipeline.py", "app/sync/scoring/__init__.py", "app/sync/scoring/step.py",
                   "app/sync/handover/__init__.py", "app/sync/handover/step.py",
                   "app/ledger/store.py", "app/sync/__init__.py", "app/sync/drain.py", "app/webhooks/__init__.py",
                   "app/webhooks/translate.py", "app/demo/__init__.py", "app/demo/runtime.py", "app/cli.py",
                   "app/settings.py", "worker.py"):  # fmt: skip
        write(tmp_path, module, "")
    for module in RULES_IO_EXCEPTIONS:
        write(tmp_path, module, "from pathlib import Path\n")
    return tmp_path


def write(root: Path, relative: str, text: str) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def test_the_fake_repository_itself_has_no_violation(repo: Path) -> None:
    assert [check(repo) for check in CHECKS.values()] == [[] for _ in CHECKS]


@pytest.mark.parametrize(
    ("module", "text", "line"),
    [
        ("app/rules/model.py", "import os\n", 1),
        ("app/rules/model.py", "import re\nfrom pathlib import Path\n", 2),
        ("app/rules/model.py", "def load():\n    from sqlalchemy import select\n", 2),
        ("app/rules/model.py", "import urllib.request\n", 1),
        ("app/rules/scoring/model.py", "import yaml\nfrom pathlib import Path\n", 2),
        ("app/rules/config.py", "from pathlib import Path\nimport os\n", 2),
    ],
)
def test_an_io_import_in_the_rules_is_reported_with_file_and_line(
    repo: Path, module: str, text: str, line: int
) -> None:
    write(repo, module, text)
    (violation,) = rules_io_violations(repo)
    assert violation.startswith(f"{module}:{line}: the pure rules import the I/O module ")


def test_an_unused_exception_for_the_rules_is_reported(repo: Path) -> None:
    write(repo, "app/rules/configuration.py", "import re\n")
    assert rules_io_violations(repo) == [
        "app/rules/configuration.py: allowed to import pathlib but does not; drop the exception"
    ]


@pytest.mark.parametrize(
    ("module", "text", "imported"),
    [
        ("app/rules/model.py", "from app.ledger.store import Ledger\n", "app.ledger.store"),
        ("app/rules/model.py", "from app import settings\n", "app.settings"),
        ("app/ledger/store.py", "from app.sync.drain import drain\n", "app.sync.drain"),
        ("app/ledger/store.py", "from app.worklist import Worklist\n", "app.worklist"),
        ("app/webhooks/translate.py", "from app.sync.drain import drain\n", "app.sync.drain"),
        ("app/webhooks/translate.py", "from ..sync import drain\n", "app.sync.drain"),
        ("app/sync/drain.py", "from app.webhooks.translate import translate\n", "app.webhooks.translate"),
        ("app/sync/drain.py", "from .. import bootstrap\n", "app.bootstrap"),
        ("app/sync/drain.py", "import app.settings\n", "app.settings"),
        ("app/worklist.py", "from app.rules.scoring.model import ScoringModel\n", "app.rules.scoring.model"),
    ],
)
def test_an_import_against_the_layering_is_reported(repo: Path, module: str, text: str, imported: str) -> None:
    write(repo, module, f'"""Doc."""\n\n{text}')
    violations = layer_violations(repo)
    assert len(violations) == 1
    assert violations[0].startswith(f"{module}:3: imports {imported},")


@pytest.mark.parametrize(
    ("module", "text"),
    [
        (
            "app/sync/drain.py",
            "from app.sync import drain\nfrom . import drain as again\nfrom app.rules import model\n",
        ),
        ("app/webhooks/translate.py", "from app.ledger import store\nfrom app.worklist import Worklist\n"),
        ("app/ledger/store.py", "from app.ledger import store\nfrom sqlalchemy import select\n"),
    ],
)
def test_an_import_the_layering_allows_is_not_reported(repo: Path, module: str, text: str) -> None:
    write(repo, module, text)
    assert layer_violations(repo) == []


@pytest.mark.parametrize("text", ["from app import bootstrap\n", "from app.bootstrap import current\n"])
def test_importing_the_composition_root_outside_the_entry_points_is_reported(repo: Path, text: str) -> None:
    write(repo, "app/cli.py", text)
    write(repo, "app/demo/runtime.py", text)
    write(repo, "app/webhooks/translate.py", f"def later():\n    {text}")
    assert bootstrap_import_violations(repo) == [
        "app/webhooks/translate.py:2: imports app.bootstrap; only the composition root and the entry points may"
    ]


@pytest.mark.parametrize(
    "call",
    [
        "SdkGateway(token, url, (1.0, 2.0))",
        "create_ledger_engine(url)",
        "database.create_ledger_engine(url)",
        "Redis.from_url(url)",
        "redis.Redis.from_url(url)",
        "connect_redis(url)",
    ],
)
def test_building_an_adapter_outside_the_composition_root_is_reported(repo: Path, call: str) -> None:
    write(repo, "app/demo/runtime.py", f"client = {call}\n")
    write(repo, "app/bootstrap.py", f"client = {call}\n")
    write(repo, "app/sync/drain.py", f"def drain():\n    return {call}\n")
    (violation,) = adapter_construction_violations(repo)
    assert violation.startswith("app/sync/drain.py:2: calls ")


def test_every_violation_is_listed_in_one_readable_failure(repo: Path) -> None:
    write(repo, "app/sync/drain.py", "from app.webhooks import translate\n")
    write(repo, "app/worklist.py", "\n\nfrom app.ledger import store\n")
    violations = layer_violations(repo)
    message = describe("imports cross the layers the wrong way", violations)
    assert message.splitlines() == [
        "2 violation(s): imports cross the layers the wrong way",
        "  app/sync/drain.py:1: imports app.webhooks.translate, but app/sync/ may import only "
        "app.ledger, app.logs, app.rules, app.sync, app.worklist",
        "  app/worklist.py:3: imports app.ledger.store, but app/worklist.py may import nothing of the project",
    ]


@pytest.mark.parametrize(
    ("module", "text", "expected"),
    [
        ("app/rules/scoring/model.py", "from app.rules.handover.plan import x\n", "scoring imports app.rules.handover"),
        ("app/sync/scoring/step.py", "from app.sync.handover.step import x\n", "scoring imports app.sync.handover"),
        ("app/sync/pipeline.py", "from app.sync.scoring.step import x\n", "app/sync/pipeline.py knows no capability"),
        ("app/rules/config.py", "from app.rules.scoring.model import x\n", "app/rules/config.py knows no capability"),
    ],
)
def test_a_capability_that_reaches_where_it_may_not_is_reported(
    repo: Path, module: str, text: str, expected: str
) -> None:
    write(repo, module, text)
    (violation,) = capability_violations(repo)
    assert violation.startswith(f"{module}:1: ") and expected in violation


def test_a_capability_may_use_what_it_builds_on(repo: Path) -> None:
    write(repo, "app/rules/handover/plan.py", "from app.rules.scoring.model import x\n")
    write(repo, "app/sync/handover/step.py", "from app.sync.scoring import step\nfrom app.rules.handover import plan\n")
    write(repo, "app/rules/configuration.py", "from pathlib import Path\nfrom app.rules.handover.plan import x\n")
    assert capability_violations(repo) == []


def test_an_import_cycle_is_reported_with_its_modules(repo: Path) -> None:
    write(repo, "app/sync/drain.py", "from app.sync import pipeline\n")
    write(repo, "app/sync/pipeline.py", "def later():\n    from app.sync.drain import drain\n")
    assert import_cycles(repo) == ["app.sync.drain -> app.sync.pipeline -> app.sync.drain"]

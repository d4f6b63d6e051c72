"""HubSpot's own project parser (@hubspot/project-parsing-lib, run with node) accepts what `app build` writes.

The parser is installed once with npm into the ignored `.cache/hubspot-parser/` (pinned below; the npm registry is
reachable wherever the tests run); without node or npm, or when npm cannot install it, the test fails and says why —
it is never skipped. tests/support/hubspot_project_check.mjs runs
every check of the parser that needs no HubSpot account; the second test proves those checks can fail.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from app.app_build_report import card_sources
from app.rules import load_configuration
from app.rules.app_project import AppProject, features_of, project_files
from tests.support.npm import npm_install

ROOT = Path(__file__).resolve().parents[2]
PARSER = "@hubspot/project-parsing-lib@0.23.0"
CACHE = ROOT / ".cache" / "hubspot-parser"
PACKAGE = CACHE / "node_modules" / "@hubspot" / "project-parsing-lib"
CHECK = ROOT / "tests" / "support" / "hubspot_project_check.mjs"


@pytest.fixture(scope="module")
def parser() -> Path:
    """Return the parser package's directory, installing it on first use."""
    if shutil.which("node") is None:
        pytest.fail("node is not installed: HubSpot's project parser runs on node (apt-get install -y nodejs npm)")
    if not PACKAGE.is_dir():
        _install()
    return PACKAGE


def _install() -> None:
    npm_install(CACHE, [PARSER], f"HubSpot's project parser {PARSER}")


def write(directory: Path, files: dict[str, str]) -> Path:
    for relative, text in files.items():
        (directory / relative).parent.mkdir(parents=True, exist_ok=True)
        (directory / relative).write_text(text, encoding="utf-8")
    return directory


def check(parser: Path, project: Path) -> tuple[int, dict[str, object]]:
    result = subprocess.run(
        ["node", str(CHECK), str(parser), str(project)], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.stdout, result.stderr
    return result.returncode, json.loads(result.stdout)


@pytest.fixture
def built() -> dict[str, str]:
    config = load_configuration(ROOT / "config")
    return project_files(AppProject("Leadflow", "https://leadflow.example.com", features_of(config)), card_sources())


def test_hubspots_parser_accepts_the_project_for_the_shipped_configuration(
    parser: Path, built: dict[str, str], tmp_path: Path
) -> None:
    returncode, report = check(parser, write(tmp_path, built))
    assert report == {
        "components": {"leadflow_app": "APPLICATION", "leadflow_contact_card": "CARD", "leadflow_webhooks": "WEBHOOKS"},
        "errors": [],
    }
    assert returncode == 0


def test_hubspots_parser_reports_a_misplaced_component_and_a_malformed_uid(
    parser: Path, built: dict[str, str], tmp_path: Path
) -> None:
    webhooks = built.pop("src/app/webhooks/webhooks-hsmeta.json")
    built["src/app/hooks/webhooks-hsmeta.json"] = webhooks
    built["src/app/app-hsmeta.json"] = built["src/app/app-hsmeta.json"].replace('"leadflow_app"', '"leadflow app"')
    returncode, report = check(parser, write(tmp_path, built))
    assert returncode == 1
    errors = report["errors"]
    assert isinstance(errors, list) and len(errors) == 2
    assert "app/hooks/webhooks-hsmeta.json: not in a component's directory" in errors[0]
    assert "'uid' should use only letters" in errors[1]

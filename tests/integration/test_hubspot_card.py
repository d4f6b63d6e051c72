"""The contact card `leadflow app build` writes is checked with HubSpot's own UI-extension packages, offline.

The card's pinned dependencies (`CARD_DEPENDENCIES` and `CARD_DEV_DEPENDENCIES`: @hubspot/ui-extensions, React,
TypeScript and React's types; and node's types for the render script) are installed once with npm into the ignored
`.cache/hubspot-card-<pins>/`; without node or npm, or when npm cannot install them, the test fails and says why — it is
never skipped. TypeScript checks the built
card against HubSpot's component types (a wrong prop fails, as the second test shows), and HubSpot's test renderer
(`@hubspot/ui-extensions/testing`) renders its view for documents made by the endpoint's own rules: what each state
shows, which buttons it offers, and what a press sends.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from app.app_build_report import card_sources
from app.rules import load_configuration
from app.rules.app_project import AppProject, features_of, project_files
from app.rules.app_project.project import CARD_DEPENDENCIES, CARD_DEV_DEPENDENCIES
from app.rules.card.view import CardFacts, CardHandover, CardScores, CardSla, card_document
from app.rules.handover.config import HandoverConfig
from tests.support.npm import npm_install

ROOT = Path(__file__).resolve().parents[2]
RENDER_DEPENDENCIES = {"@types/node": "20.19.43"}  # the render script reads its documents with node's fs
PINNED = {**CARD_DEPENDENCIES, **CARD_DEV_DEPENDENCIES, **RENDER_DEPENDENCIES}
# One folder per set of pins: a changed pin installs afresh instead of testing against the old packages.
CACHE = ROOT / ".cache" / f"hubspot-card-{hashlib.sha256(json.dumps(PINNED, sort_keys=True).encode()).hexdigest()[:12]}"
MODULES = CACHE / "node_modules"
RENDER = ROOT / "tests" / "support" / "card_render.tsx"
CARDS = "src/app/cards"
NOW = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
TSCONFIG = {
    "compilerOptions": {
        "target": "es2022", "module": "esnext", "moduleResolution": "bundler", "jsx": "react-jsx", "strict": True,
        "skipLibCheck": True, "esModuleInterop": True, "outDir": "out",
    },
    "include": ["*.ts", "*.tsx"],
}  # fmt: skip


@pytest.fixture(scope="module")
def toolchain() -> Path:
    """Return the node_modules holding the card's pinned dependencies, installing them on first use."""
    for tool in ("node", "npm"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is not installed: the card is checked with node (apt-get install -y nodejs npm)")
    if not (MODULES / "@hubspot" / "ui-extensions").is_dir():
        _install()
    return MODULES


def _install() -> None:
    npm_install(CACHE, [f"{name}@{version}" for name, version in PINNED.items()], "the card's dependencies")


def built_card(directory: Path, modules: Path, replace: tuple[str, str] | None = None) -> Path:
    """Write the built project's card folder into `directory`, with the toolchain linked in; return the folder."""
    config = load_configuration(ROOT / "config")
    files = project_files(AppProject("Leadflow", "https://leadflow.example.com", features_of(config)), card_sources())
    cards = directory / CARDS
    for relative, text in files.items():
        if relative.startswith(f"{CARDS}/"):
            written = text.replace(*replace) if replace is not None else text
            (cards / relative.removeprefix(f"{CARDS}/")).parent.mkdir(parents=True, exist_ok=True)
            (cards / relative.removeprefix(f"{CARDS}/")).write_text(written, encoding="utf-8")
    (cards / "node_modules").symlink_to(modules, target_is_directory=True)
    (cards / "tsconfig.json").write_text(json.dumps(TSCONFIG), encoding="utf-8")
    return cards


def tsc(cards: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    command = ["node", str(cards / "node_modules" / "typescript" / "bin" / "tsc"), "-p", "tsconfig.json", *arguments]
    return subprocess.run(command, cwd=cards, capture_output=True, text=True, timeout=180, check=False)


def test_the_built_card_type_checks_against_hubspots_ui_extensions(toolchain: Path, tmp_path: Path) -> None:
    cards = built_card(tmp_path, toolchain)
    assert sorted(p.name for p in cards.glob("*.ts*")) == ["CardView.tsx", "LeadflowCard.tsx", "document.ts",
                                                           "leadflow.ts"]  # fmt: skip
    assert 'LEADFLOW_URL = "https://leadflow.example.com"' in (cards / "leadflow.ts").read_text()
    result = tsc(cards, "--noEmit")
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_prop_hubspots_components_do_not_take_fails_the_check(toolchain: Path, tmp_path: Path) -> None:
    cards = built_card(tmp_path, toolchain, replace=('variant="destructive"', 'variant="loud"'))
    result = tsc(cards, "--noEmit")
    assert result.returncode != 0 and "CardView.tsx" in result.stdout and '"loud"' in result.stdout


@pytest.fixture
def shipped_handover() -> HandoverConfig:
    handover = load_configuration(ROOT / "config").handover
    assert handover is not None
    return handover


def documents(handover: HandoverConfig) -> list[dict[str, Any] | None]:
    """The endpoint's documents (its own rules) for: with sales and overdue, accepted, and not scored."""
    scores = CardScores(90, 33, 123, "A2", "sql", "+30 Decision maker · +10 Demo request (1×)", "default-2026-12", 1,
                        NOW - timedelta(hours=2))  # fmt: skip
    open_one = CardHandover("7-sql-1", "sql", 1, "done", "501", NOW - timedelta(hours=6), NOW - timedelta(hours=2),
                            lead_id="6001")  # fmt: skip
    overdue = CardSla("sql", "breached", NOW - timedelta(hours=2), None)
    with_sales = card_document(CardFacts("7", scores, None, (open_one,)), overdue, handover, NOW, {"501": "Dana Fuchs"})
    answered = CardHandover("8-sql-1", "sql", 1, "done", "501", NOW - timedelta(days=1), None, "accepted",
                            None, NOW - timedelta(hours=20))  # fmt: skip
    accepted = card_document(CardFacts("8", scores, None, (answered,)), None, handover, NOW, {})
    return [with_sales, accepted, None]


def test_hubspots_renderer_shows_each_state_and_the_buttons_send_the_answers(
    toolchain: Path, tmp_path: Path, shipped_handover: HandoverConfig
) -> None:
    cards = built_card(tmp_path, toolchain)
    shutil.copy(RENDER, cards / RENDER.name)
    compiled = tsc(cards)
    assert compiled.returncode == 0, compiled.stdout + compiled.stderr
    (cards / "out" / "package.json").write_text('{"type": "module"}', encoding="utf-8")
    (cards / "documents.json").write_text(json.dumps(documents(shipped_handover)), encoding="utf-8")
    command = ["node", str(cards / "out" / "card_render.js"), str(cards / "documents.json")]
    result = subprocess.run(command, cwd=cards, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    with_sales, accepted, unscored = (json.loads(line) for line in result.stdout.splitlines())

    assert with_sales["heading"] == "Score 123 · grade A2"
    assert "fit 90 · engagement 33 · stage SQL · model default-2026-12" in with_sales["texts"]
    assert {"text": "Overdue · due at 2026-12-03 08:00 UTC", "variant": "danger"} in with_sales["tags"]
    assert "Handed over to Dana Fuchs (SQL) at 2026-12-03 04:00 UTC" in with_sales["texts"]
    assert {"+30 Decision maker", "+10 Demo request (1×)"} <= set(with_sales["texts"])
    assert with_sales["reasons"] == [["UNQUALIFIED", "BAD_TIMING"]]  # the rejected lead statuses of handover.yaml
    assert with_sales["buttons"] == [{"text": "Accept", "disabled": False}, {"text": "Reject", "disabled": True}]
    assert with_sales["after_reason"][1] == {"text": "Reject", "disabled": False}  # a reason picked: it may reject
    assert with_sales["sent"] == [{"answer": "accepted"}, {"answer": "rejected", "reason": "UNQUALIFIED"}]

    assert {"text": "Accepted by sales", "variant": "success"} in accepted["tags"]
    assert accepted["buttons"] == [] and accepted["sent"] == []
    assert (unscored["empty"], unscored["texts"]) == ("Not scored yet", ["Leadflow has not scored this contact yet."])

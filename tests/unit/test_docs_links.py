"""The documentation links only to files inside the repository, and every such link resolves."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = sorted([ROOT / "README.md", ROOT / "hubspot_twin" / "README.md", *(ROOT / "docs").glob("*.md")])
LINK = re.compile(r"\]\(([^)\s]+)\)")
OUTSIDE = re.compile(r"(\.\./shared|/work/shared|\.\./\.\./)")


def relative_links(document: Path) -> list[str]:
    """Return the document's links that are neither web addresses nor anchors inside the page."""
    links = LINK.findall(document.read_text())
    return [link for link in links if not re.match(r"[a-z]+:", link) and not link.startswith("#")]


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda path: str(path.relative_to(ROOT)))
def test_every_relative_link_names_a_file_in_the_repository(document: Path) -> None:
    for link in relative_links(document):
        target = (document.parent / link.partition("#")[0]).resolve()
        assert target.is_relative_to(ROOT), f"{document.name}: {link} points outside the repository"
        assert target.exists(), f"{document.name}: {link} does not exist"


def test_the_readme_has_relative_links_to_check() -> None:
    assert "docs/scoring-model.md" in relative_links(ROOT / "README.md")


@pytest.mark.parametrize(
    "document",
    [*DOCUMENTS, *sorted((ROOT / "config").glob("*.yaml")), *sorted((ROOT / "app" / "defaults").glob("*.yaml"))],
    ids=lambda path: str(path.relative_to(ROOT)),
)
def test_no_document_or_config_refers_to_a_file_outside_the_repository(document: Path) -> None:
    assert OUTSIDE.findall(document.read_text()) == [], document


def test_the_readmes_webhook_subscriptions_are_what_setup_prints_for_the_shipped_config() -> None:
    from app.rules.configuration import load_configuration
    from app.rules.subscriptions import required_subscriptions

    config = load_configuration(ROOT / "config")
    printed = [
        s.describe()
        for s in required_subscriptions(
            config.model, config.signals, config.handover, config.sla.first_touch if config.sla else None
        )
    ]
    text = (ROOT / "README.md").read_text()
    block = text.split("<!-- leadflow setup: webhook subscriptions -->", 1)[1].split("```text\n", 1)[1]
    assert [line.strip() for line in block.split("```", 1)[0].splitlines() if line.strip()] == printed

"""Publishing a scoring model, judged on the file's text (app/rules/scoring/versions.py): a new name publishes, the
same name and content is already published, the same name with other content is refused naming both hashes and
the first difference, a new name with an earlier version's content is published with a warning; the diff and its
stats; the content hash ignores comments and layout."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.rules import ConfigError
from app.rules.scoring.versions import (
    PublishedVersion,
    content_hash,
    diff_stats,
    first_difference,
    judge,
    unified_diff,
)
from tests.conftest import CONFIG_DIR

DEFAULT = (CONFIG_DIR / "scoring.yaml").read_text(encoding="utf-8")
AT = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def renamed(text: str, version: str) -> str:
    changed = text.replace("model: default-2026-12 ", f"model: {version} ", 1)
    assert changed != text
    return changed


def reweighted(text: str) -> str:
    changed = text.replace("      points: 25\n", "      points: 30\n", 1)
    assert changed != text
    return changed


def published(text: str, version: str, *, at: datetime = AT, diff: str = "") -> PublishedVersion:
    return PublishedVersion(version, content_hash(text, "scoring.yaml"), text, at, diff, "/srv/config/scoring.yaml")


def test_a_first_version_is_published_with_its_whole_text_as_the_diff() -> None:
    verdict = judge("default-2026-12", DEFAULT, "scoring.yaml", [])
    assert (verdict.decision, verdict.warning) == ("publish", None)
    assert verdict.diff.startswith("--- /dev/null\n+++ scoring.yaml (default-2026-12)\n")
    assert diff_stats(verdict.diff).added == len(DEFAULT.splitlines())
    assert diff_stats(verdict.diff).removed == 0


def test_the_same_name_and_content_is_already_published() -> None:
    verdict = judge("default-2026-12", DEFAULT, "scoring.yaml", [published(DEFAULT, "default-2026-12")])
    assert verdict.decision == "already"
    assert verdict.reason == "model 'default-2026-12' is already published (2026-12-01 09:00 UTC)"


def test_comments_and_layout_are_not_content() -> None:
    commented = DEFAULT.replace("# The scoring model:", "# Our scoring model:")
    commented = commented.replace("      points: 25", "      points:   25")
    assert commented != DEFAULT
    assert content_hash(commented, "a") == content_hash(DEFAULT, "b")
    assert judge("default-2026-12", commented, "x", [published(DEFAULT, "default-2026-12")]).decision == "already"


def test_the_same_name_with_other_content_is_refused_naming_both_hashes_and_the_first_difference() -> None:
    changed = reweighted(DEFAULT)
    verdict = judge("default-2026-12", changed, "scoring.yaml", [published(DEFAULT, "default-2026-12")])
    assert verdict.decision == "refused"
    old, new = content_hash(DEFAULT, "a"), content_hash(changed, "b")
    assert old != new
    line = DEFAULT.splitlines().index("      points: 25") + 1
    assert verdict.reason == (
        f"model 'default-2026-12' is already published with other content (published {old[:12]}, this file "
        f"{new[:12]}; first difference: line {line} 'points: 25' → 'points: 30'): bump `model` to publish a change"
    )


def test_a_new_name_is_published_with_the_diff_against_the_latest_version() -> None:
    older, latest = published(DEFAULT, "default-2026-12"), renamed(DEFAULT, "default-2027-01")
    history = [older, published(latest, "default-2027-01", at=datetime(2026, 12, 20, tzinfo=UTC))]
    candidate = reweighted(renamed(DEFAULT, "default-2027-02"))
    verdict = judge("default-2027-02", candidate, "scoring.yaml", history)
    assert (verdict.decision, verdict.warning) == ("publish", None)
    changed = [line for line in verdict.diff.splitlines()[2:] if line[:1] in ("+", "-")]
    assert changed == [
        "-model: default-2027-01            # required; stamped on every score written to HubSpot",
        "+model: default-2027-02            # required; stamped on every score written to HubSpot",
        "-      points: 25",
        "+      points: 30",
    ]
    assert diff_stats(verdict.diff).describe() == "+2 -2 lines"


def test_a_new_name_with_an_earlier_versions_content_is_published_with_a_warning() -> None:
    first = published(DEFAULT, "default-2026-12")
    second = published(reweighted(renamed(DEFAULT, "default-2027-01")), "default-2027-01")
    back = reweighted(renamed(DEFAULT, "default-2027-02"))  # the version name is not content
    assert content_hash(back, "x") == second.content_hash != first.content_hash
    verdict = judge("default-2027-02", back, "scoring.yaml", [first, second])
    assert verdict.decision == "publish"
    assert verdict.warning == (
        "model 'default-2027-02' has the same content as 'default-2027-01' (published 2026-12-01 09:00 UTC)"
    )


def test_an_invalid_yaml_text_is_a_config_error_naming_the_file() -> None:
    with pytest.raises(ConfigError, match=r"^candidate.yaml: YAML syntax error at line 2"):
        judge("x", "model: x\n  fit: [\n", "candidate.yaml", [])


def test_first_difference_names_added_and_removed_lines() -> None:
    assert first_difference("a\nb\n", "a\nb\nc\n") == "line 3 'c' added"
    assert first_difference("a\nb\n", "a\n") == "line 2 'b' removed"
    assert first_difference("a\nb\n", "a\nB\n") == "line 2 'b' → 'B'"


def test_diff_stats_count_changed_lines_not_the_headers() -> None:
    diff = unified_diff("a\nb\n", "a\nc\nd\n", "v1", "v2")
    assert diff.splitlines()[:2] == ["--- scoring.yaml (v1)", "+++ scoring.yaml (v2)"]
    assert (diff_stats(diff).added, diff_stats(diff).removed) == (2, 1)
    assert diff_stats(unified_diff("a\n", "a\n", "v1", "v2")).describe() == "+0 -0 lines"

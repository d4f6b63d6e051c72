"""The suggested scoring.yaml: only the changed rules' points and the model's name are rewritten in the text, every
comment and layout kept (block rules and flow-style events alike), the config loader accepts it, and the diff shows
exactly those lines."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from app.rules import parse_scoring_model
from app.rules.calibration.features import FeatureKind
from app.rules.calibration.model_text import rewrite_points, suggested_name, unified_diff

SHIPPED = (Path(__file__).resolve().parents[3] / "config" / "scoring.yaml").read_text()
POINTS: dict[tuple[FeatureKind, str], int] = {
    ("fit", "dach"): 3,
    ("event", "newsletter_open"): 7,
    ("fit", "free-mail"): -12,
}


def test_only_the_changed_points_and_the_name_are_rewritten_comments_and_layout_kept() -> None:
    name = suggested_name("default-2026-12", date(2026, 12, 4))
    text = rewrite_points(SHIPPED, POINTS, name)
    before, after = SHIPPED.splitlines(), text.splitlines()
    changed = [(old, new) for old, new in zip(before, after, strict=True) if old != new]
    assert changed == [
        ("model: default-2026-12            # required; stamped on every score written to HubSpot",
         "model: default-2026-12-suggested-20261204            # required; stamped on every score written to HubSpot"),
        ("      points: 15", "      points: 3"),
        ("      points: -30", "      points: -12"),
        ("    newsletter_open:     {label: Newsletter open, points: 0}   # recorded; mail privacy features make opens "
         "unreliable",
         "    newsletter_open:     {label: Newsletter open, points: 7}   # recorded; mail privacy features make opens "
         "unreliable"),
    ]  # fmt: skip
    model = parse_scoring_model(text, "suggested.yaml")
    assert model.model == name
    points = {rule.id: rule.points for rule in model.fit_rules} | {w.type: w.points for w in model.events}
    assert [points[k] for k in ("dach", "free-mail", "newsletter_open", "target-industry")] == [3, -12, 7, 25]


def test_the_diff_shows_the_rewritten_lines_with_their_context() -> None:
    text = rewrite_points(SHIPPED, {("fit", "dach"): 3}, "m-suggested-20261204")
    diff = unified_diff(SHIPPED, text, "config/scoring.yaml", "m-suggested-20261204.yaml")
    lines = diff.splitlines()
    assert lines[:2] == ["--- config/scoring.yaml", "+++ m-suggested-20261204.yaml"]
    assert [line for line in lines if line[:1] in "+-" and line[:3] not in ("---", "+++")] == [
        "-model: default-2026-12            # required; stamped on every score written to HubSpot",
        "+model: m-suggested-20261204            # required; stamped on every score written to HubSpot",
        "-      points: 15",
        "+      points: 3",
    ]
    assert unified_diff(SHIPPED, SHIPPED, "a", "b") == ""


def test_an_earlier_suggestions_suffix_is_replaced_not_stacked() -> None:
    renamed = suggested_name("default-2026-12-suggested-20261101", date(2026, 12, 4))
    assert renamed == "default-2026-12-suggested-20261204"


def test_a_quoted_model_name_stays_quoted_and_an_unknown_rule_is_refused() -> None:
    quoted = SHIPPED.replace("model: default-2026-12 ", "model: 'default 2026'", 1)
    assert "model: 'default 2026-suggested-20261204'" in rewrite_points(quoted, {}, "default 2026-suggested-20261204")
    with pytest.raises(ValueError, match="rules not in the file: fit nowhere"):
        rewrite_points(SHIPPED, {("fit", "nowhere"): 1}, "m")

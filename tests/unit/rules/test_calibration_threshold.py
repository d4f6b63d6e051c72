"""The MQL threshold of a scoring model (docs/calibration.md, Capacity-aware threshold): found in the lowest
qualified stage's `when`, replaced through the loader's compile step, and refused where it cannot be varied."""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime
from pathlib import Path

import pytest

from app.rules import ConfigError, ScoringModel, assess, load_scoring_model, parse_scoring_model
from app.rules.calibration.threshold import ThresholdError, find_threshold, number_text, with_threshold
from app.rules.scoring.engagement import EngagementEvent

ROOT = Path(__file__).resolve().parents[3]
NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def model_with(mql_when: str, sql: bool = True) -> ScoringModel:
    sql_stage = '  - {id: sql, label: SQL, when: "fit >= 60 and engagement >= 30"}\n' if sql else ""
    text = (
        textwrap.dedent("""\
        model: m-1
        fit: {limit: 100, rules: [{id: a, when: "contact.a == 'y'", points: 50}]}
        engagement: {limit: 100, events: {demo: {points: 10}}}
        stages:
        """)
        + sql_stage
        + f'  - {{id: mql, label: MQL, when: "{mql_when}"}}\n'
    )
    return parse_scoring_model(text, "scoring.yaml")


def stage_when(model: ScoringModel, stage_id: str) -> str:
    return next(stage.condition.text for stage in model.stages if stage.id == stage_id)


def test_the_shipped_model_has_an_engagement_and_a_fit_threshold_in_its_mql_stage() -> None:
    model = load_scoring_model(ROOT / "config" / "scoring.yaml")
    engagement, fit = find_threshold(model, "engagement"), find_threshold(model, "fit")
    assert (engagement.stage, engagement.value, fit.value) == ("mql", 15.0, 40.0)
    assert engagement.describe() == "engagement >= 15" and engagement.describe(20) == "engagement >= 20"


def test_the_candidate_replaces_only_the_mql_threshold_and_names_itself() -> None:
    model = load_scoring_model(ROOT / "config" / "scoring.yaml")
    site = find_threshold(model, "engagement")
    candidate = with_threshold(model, site, 25)
    assert stage_when(candidate, "mql") == "fit >= 40 and engagement >= 25"
    assert stage_when(candidate, "sql") == stage_when(model, "sql")
    assert candidate.model == f"{model.model}+engagement>=25"
    assert find_threshold(candidate, "engagement").value == 25.0


def test_the_candidate_qualifies_by_its_new_threshold() -> None:
    model = model_with("fit >= 40 and engagement >= 15", sql=False)
    site = find_threshold(model, "engagement")
    contact = {"a": "y"}
    events = [EngagementEvent("demo", NOW), EngagementEvent("demo", NOW)]  # engagement 20
    assert assess(model, contact, {}, events, NOW).stage == "mql"
    assert assess(with_threshold(model, site, 25), contact, {}, events, NOW).stage is None
    assert assess(with_threshold(model, site, 20), contact, {}, events, NOW).stage == "mql"


@pytest.mark.parametrize(
    ("when", "value", "expected"),
    [
        ("engagement > 15 and fit >= 40", 17.5, "engagement > 17.5 and fit >= 40"),
        ("15 <= engagement and fit >= 40", 30, "30 <= engagement and fit >= 40"),
        ("fit >= 40 and (engagement >= 15 or 'demo' in events_ever)", 0,
         "fit >= 40 and (engagement >= 0 or 'demo' in events_ever)"),
        ("fit >= 15 and engagement >= 15", 20, "fit >= 15 and engagement >= 20"),
    ],
)  # fmt: skip
def test_any_lower_bound_joined_by_and_or_is_the_threshold(when: str, value: float, expected: str) -> None:
    model = model_with(when)
    assert stage_when(with_threshold(model, find_threshold(model, "engagement"), value), "mql") == expected


@pytest.mark.parametrize(
    ("when", "found"),
    [
        ("fit >= 40", "no"),
        ("fit >= 40 and engagement <= 15", "no"),
        ("fit >= 40 and not engagement < 15", "no"),
        ("engagement >= 15 or (fit >= 80 and engagement >= 5)", "2"),
    ],
)
def test_a_stage_without_exactly_one_lower_bound_is_refused(when: str, found: str) -> None:
    with pytest.raises(ThresholdError) as raised:
        find_threshold(model_with(when), "engagement")
    assert str(raised.value).startswith(f"stage 'mql': its 'when' ({when}) has {found} comparison 'engagement >= ")


def test_a_model_without_mql_varies_its_sql_stage_and_an_unknown_score_is_refused() -> None:
    text = textwrap.dedent("""\
        model: only-sql
        fit: {limit: 100, rules: [{id: a, when: "contact.a == 'y'", points: 50}]}
        engagement: {limit: 100, events: {demo: {points: 10}}}
        stages: [{id: sql, when: "score >= 70"}]
        """)
    model = parse_scoring_model(text, "scoring.yaml")
    assert find_threshold(model, "score").stage == "sql"
    with pytest.raises(ThresholdError, match="cannot vary 'grade'"):
        find_threshold(model, "grade")


def test_a_threshold_also_written_inside_a_string_literal_is_refused_not_guessed() -> None:
    quoted = model_with("engagement >= 15 and contact.note != 'engagement >= 15'")
    replaced = with_threshold(quoted, find_threshold(quoted, "engagement"), 20)
    assert stage_when(replaced, "mql") == "engagement >= 20 and contact.note != 'engagement >= 15'"
    ambiguous = model_with("engagement >= 15 and contact.note != 'x engagement >= 15'")
    with pytest.raises(ThresholdError, match="cannot find 'engagement >= 15' once"):
        find_threshold(ambiguous, "engagement")  # refused before any backtest, not in the middle of a search


def test_the_new_when_goes_through_the_loaders_compile_step() -> None:
    model = model_with("fit >= 40 and engagement >= 15")
    site = find_threshold(model, "engagement")
    with pytest.raises((ConfigError, ThresholdError)):
        with_threshold(model, site, float("nan"))
    assert number_text(20.0) == "20" and number_text(17.5) == "17.5"

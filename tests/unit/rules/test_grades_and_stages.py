"""Grades (first matching entry per side) and stages (first matching stage with its required data)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from app.rules import Blocked, EngagementEvent, ScoringModel, assess

Parse = Callable[[str], ScoringModel]
NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)

BASE = """
    model: stages-1
    fit:
      limit: 100
      rules: []
    engagement:
      limit: 100
      events: {demo: {points: 10}, visit: {points: 1}}
"""


@pytest.fixture
def fit_model(model_from: Parse) -> Callable[[str], ScoringModel]:
    """Build a model whose fit is the contact's `fit` property, with the given extra YAML."""

    def build(extra: str) -> ScoringModel:
        text = """
    model: stages-1
    properties: {contact.fit: number, contact.employees: number}
    fit:
      limit: 100
      rules:
        - {id: f10, when: "contact.fit >= 10", points: 10}
        - {id: f30, when: "contact.fit >= 40", points: 30}
        - {id: f30b, when: "contact.fit >= 70", points: 30}
    engagement:
      limit: 100
      events: {demo: {points: 10}, visit: {points: 1}}
"""
        return model_from(text + extra)

    return build


def grade_of(model: ScoringModel, fit: int, events: list[EngagementEvent] | None = None, **contact: str) -> str:
    assessment = assess(model, {"fit": str(fit), **contact}, {}, events or [], NOW)
    return assessment.grade


def test_grade_is_the_first_fit_label_then_the_first_engagement_label(fit_model: Callable[[str], ScoringModel]) -> None:
    model = fit_model("    grades: {fit: [[A, 70], [B, 40], [C, 0]], engagement: [['1', 20], ['2', 10], ['3', 0]]}\n")
    assert grade_of(model, 70) == "A3"
    assert grade_of(model, 40, [EngagementEvent("demo", NOW)]) == "B2"
    assert grade_of(model, 0, [EngagementEvent("demo", NOW)] * 2) == "C1"


def test_grade_entries_are_tried_in_list_order_not_by_threshold(fit_model: Callable[[str], ScoringModel]) -> None:
    model = fit_model("    grades: {fit: [[low, 0], [high, 70]]}\n")
    assert grade_of(model, 70) == "low"


def test_a_side_without_a_matching_entry_adds_nothing(fit_model: Callable[[str], ScoringModel]) -> None:
    model = fit_model("    grades: {fit: [[A, 70]], engagement: [['1', 5]]}\n")
    assert grade_of(model, 40) == ""
    assert grade_of(model, 70) == "A"
    assert grade_of(model, 40, [EngagementEvent("demo", NOW)]) == "1"


def test_grades_with_only_a_fit_side_give_the_fit_label(fit_model: Callable[[str], ScoringModel]) -> None:
    assert grade_of(fit_model("    grades: {fit: [[A, 70], [B, 0]]}\n"), 40) == "B"


def test_without_grades_the_grade_is_empty(fit_model: Callable[[str], ScoringModel]) -> None:
    assert grade_of(fit_model(""), 70) == ""


def test_the_first_matching_stage_in_list_order_wins(fit_model: Callable[[str], ScoringModel]) -> None:
    model = fit_model(
        """
    stages:
      - {id: sql, when: "fit >= 70"}
      - {id: mql, when: "fit >= 40"}
      - {id: lead, when: "true"}
"""
    )
    stages = [assess(model, {"fit": str(fit)}, {}, [], NOW).stage for fit in (70, 40, 0)]
    assert stages == ["sql", "mql", "lead"]


def test_no_matching_stage_gives_none(fit_model: Callable[[str], ScoringModel]) -> None:
    model = fit_model("    stages: [{id: sql, when: 'fit >= 70'}]\n")
    assessment = assess(model, {"fit": "40"}, {}, [], NOW)
    assert (assessment.stage, assessment.blocked) == (None, ())


def test_a_stage_with_missing_required_data_is_blocked_and_evaluation_goes_on(
    fit_model: Callable[[str], ScoringModel],
) -> None:
    model = fit_model(
        """
    stages:
      - {id: sql, when: "fit >= 70", requires: [phone, email, company.name]}
      - {id: sal, when: "fit >= 70", requires: [email]}
      - {id: mql, when: "fit >= 40"}
"""
    )
    assessment = assess(model, {"fit": "70", "phone": "", "email": "a@b.de"}, {}, [], NOW)
    assert assessment.stage == "sal"
    assert assessment.blocked == (Blocked("sql", ("phone", "company.name")),)
    assessment = assess(model, {"fit": "70"}, {"name": "Acme"}, [], NOW)
    assert assessment.stage == "mql"
    assert assessment.blocked == (Blocked("sql", ("phone", "email")), Blocked("sal", ("email",)))


def test_required_data_is_checked_after_conversion(fit_model: Callable[[str], ScoringModel]) -> None:
    model = fit_model("    stages: [{id: sql, when: 'fit >= 70', requires: [contact.employees]}]\n")
    assessment = assess(model, {"fit": "70", "employees": "many"}, {}, [], NOW)
    assert assessment.blocked == (Blocked("sql", ("contact.employees",)),)


def test_stage_rules_see_fit_engagement_score_and_grade(fit_model: Callable[[str], ScoringModel]) -> None:
    model = fit_model(
        """
    grades: {fit: [[A, 70], [B, 0]]}
    stages:
      - {id: exact, when: "fit == 40 and engagement == 10 and score == 50 and grade == 'B'"}
"""
    )
    assert assess(model, {"fit": "40"}, {}, [EngagementEvent("demo", NOW)], NOW).stage == "exact"


@pytest.mark.parametrize(
    ("window", "inside", "outside"),
    [
        ("events_last_7d", timedelta(days=7), timedelta(days=7, seconds=1)),
        ("events_last_30d", timedelta(days=30), timedelta(days=30, seconds=1)),
        ("events_last_90d", timedelta(days=90), timedelta(days=90, seconds=1)),
    ],
)
def test_event_windows_include_their_boundary(
    model_from: Parse, window: str, inside: timedelta, outside: timedelta
) -> None:
    model = model_from(BASE + f"    stages: [{{id: recent, when: \"'meeting' in {window}\"}}]\n")
    assert assess(model, {}, {}, [EngagementEvent("meeting", NOW - inside)], NOW).stage == "recent"
    assert assess(model, {}, {}, [EngagementEvent("meeting", NOW - outside)], NOW).stage is None


def test_events_ever_holds_every_past_type_including_unweighted_ones(model_from: Parse) -> None:
    model = model_from(BASE + "    stages: [{id: s, when: \"events_ever == ['demo', 'meeting']\"}]\n")
    history = [
        EngagementEvent("meeting", NOW - timedelta(days=400)),
        EngagementEvent("demo", NOW),
        EngagementEvent("demo", NOW - timedelta(days=1)),
    ]
    assert assess(model, {}, {}, history, NOW).stage == "s"
    future = [*history, EngagementEvent("visit", NOW + timedelta(minutes=1))]
    assert assess(model, {}, {}, future, NOW).stage == "s"

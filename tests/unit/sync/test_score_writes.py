"""The score write: only what changed, stamped once; the score properties `leadflow setup` defines."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.rules import Assessment, Reason, ScoringModel, load_scoring_model
from app.rules.properties import GROUP_NAME, PropertyOption, missing_options, score_properties
from app.rules.scoring.writes import (
    ENGAGEMENT_SCORE,
    FIT_SCORE,
    GRADE,
    MODEL,
    REASONS,
    SCORE,
    SCORE_PROPERTIES,
    SCORED_AT,
    STAGE,
    plan_score_writes,
    score_values,
)

CONFIG = Path(__file__).resolve().parents[3] / "config"
NOW = datetime(2026, 11, 26, 12, 30, 5, 123456, tzinfo=UTC)
ASSESSMENT = Assessment(
    fit=40,
    engagement=15,
    score=55,
    grade="B3",
    stage="mql",
    blocked=(),
    model="default-2026-12",
    reasons=(Reason("decision-maker", "Decision maker", 30), Reason("demo_request", "Demo request", 10, count=1)),
)
# HubSpot's valid property type → fieldType pairs (properties API reference).
FIELD_TYPES = {
    "bool": {"booleancheckbox"},
    "enumeration": {"booleancheckbox", "checkbox", "radio", "select"},
    "date": {"date"},
    "datetime": {"date"},
    "string": {"text", "textarea", "html", "file", "phonenumber"},
    "number": {"number", "calculation_equation"},
    "phone_number": {"phonenumber"},
}
ISO_MILLIS_Z = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z")


@pytest.fixture(scope="module")
def model() -> ScoringModel:
    return load_scoring_model(CONFIG / "scoring.yaml")


def shown_in_hubspot(assessment: Assessment = ASSESSMENT, **changes: str | None) -> dict[str, str | None]:
    """Return the contact's properties as HubSpot holds them after writing `assessment` (then `changes`)."""
    return {**score_values(assessment), SCORED_AT: "2026-11-01T08:00:00.000Z", **changes}


def test_a_contact_never_scored_gets_every_score_property() -> None:
    writes = plan_score_writes(ASSESSMENT, {}, NOW)
    assert set(writes) == set(SCORE_PROPERTIES)
    assert (writes[FIT_SCORE], writes[ENGAGEMENT_SCORE], writes[SCORE]) == ("40", "15", "55")
    assert (writes[GRADE], writes[STAGE], writes[MODEL]) == ("B3", "mql", "default-2026-12")
    assert writes[REASONS] == "+30 Decision maker · +10 Demo request (1×)"


def test_an_unchanged_assessment_plans_no_write_at_all() -> None:
    assert plan_score_writes(ASSESSMENT, shown_in_hubspot(), NOW) == {}


def test_only_the_changed_properties_are_written() -> None:
    changed = replace(ASSESSMENT, engagement=25, score=65)
    assert plan_score_writes(changed, shown_in_hubspot(), NOW) == {
        ENGAGEMENT_SCORE: "25",
        SCORE: "65",
        SCORED_AT: "2026-11-26T12:30:05.123Z",
    }


@pytest.mark.parametrize("shown", ["40.0", "40.00", "4e1", " 40", "040"])
def test_numbers_compare_as_numbers(shown: str) -> None:
    assert plan_score_writes(ASSESSMENT, shown_in_hubspot(**{FIT_SCORE: shown}), NOW) == {}


@pytest.mark.parametrize("shown", ["40.5", "41", "forty", "NaN"])
def test_a_different_or_unreadable_number_is_rewritten(shown: str) -> None:
    assert plan_score_writes(ASSESSMENT, shown_in_hubspot(**{FIT_SCORE: shown}), NOW) == {
        FIT_SCORE: "40",
        SCORED_AT: "2026-11-26T12:30:05.123Z",
    }


def test_text_properties_compare_as_text_even_when_they_look_like_numbers() -> None:
    versioned = replace(ASSESSMENT, model="1")
    assert set(plan_score_writes(versioned, shown_in_hubspot(versioned, **{MODEL: "1.0"}), NOW)) == {MODEL, SCORED_AT}
    assert set(plan_score_writes(ASSESSMENT, shown_in_hubspot(**{GRADE: "b3"}), NOW)) == {GRADE, SCORED_AT}


@pytest.mark.parametrize("name", [FIT_SCORE, SCORE, GRADE, STAGE, REASONS, MODEL])
@pytest.mark.parametrize("empty", [None, ""])
def test_an_empty_value_in_hubspot_differs_from_a_value(name: str, empty: str | None) -> None:
    assert set(plan_score_writes(ASSESSMENT, shown_in_hubspot(**{name: empty}), NOW)) == {name, SCORED_AT}


def test_a_zero_score_is_written_over_an_empty_value() -> None:
    nothing = replace(ASSESSMENT, fit=0)
    writes = plan_score_writes(nothing, shown_in_hubspot(nothing, **{FIT_SCORE: None}), NOW)
    assert set(writes) == {FIT_SCORE, SCORED_AT}


@pytest.mark.parametrize("empty", [None, ""])
def test_no_stage_matches_an_empty_stage_in_hubspot(empty: str | None) -> None:
    unqualified = replace(ASSESSMENT, stage=None)
    assert plan_score_writes(unqualified, shown_in_hubspot(unqualified, **{STAGE: empty}), NOW) == {}


def test_a_lost_stage_is_cleared_in_hubspot() -> None:
    unqualified = replace(ASSESSMENT, stage=None)
    assert plan_score_writes(unqualified, shown_in_hubspot(), NOW)[STAGE] == ""


def test_the_time_stamp_alone_never_causes_a_write() -> None:
    assert plan_score_writes(ASSESSMENT, shown_in_hubspot(**{SCORED_AT: None}), NOW) == {}
    assert plan_score_writes(ASSESSMENT, shown_in_hubspot(**{SCORED_AT: "garbage"}), NOW) == {}


@pytest.mark.parametrize(
    ("now", "stamp"),
    [
        (NOW, "2026-11-26T12:30:05.123Z"),
        (datetime(2026, 11, 26, 13, 30, 5, 999999, tzinfo=timezone(timedelta(hours=1))), "2026-11-26T12:30:05.999Z"),
        (datetime(2026, 1, 1, tzinfo=UTC), "2026-01-01T00:00:00.000Z"),
    ],
)
def test_the_time_stamp_is_iso_8601_in_utc_with_milliseconds_and_z(now: datetime, stamp: str) -> None:
    written = plan_score_writes(ASSESSMENT, {}, now)[SCORED_AT]
    assert written == stamp
    assert ISO_MILLIS_Z.fullmatch(written)


# The property definitions


def test_score_properties_are_the_ones_the_drain_writes(model: ScoringModel) -> None:
    properties = score_properties([(s.id, s.label) for s in model.stages], model.grade_labels)
    assert [p.name for p in properties] == list(SCORE_PROPERTIES)
    assert all(re.fullmatch(r"[a-z][a-z0-9_]*", p.name) and p.label and p.description for p in properties)
    assert {p.group_name for p in properties} == {GROUP_NAME}


def test_every_score_property_has_a_valid_hubspot_type_and_field_type(model: ScoringModel) -> None:
    properties = score_properties([(s.id, s.label) for s in model.stages], model.grade_labels)
    for prop in properties:
        assert prop.field_type in FIELD_TYPES.get(prop.type, set()), f"{prop.name}: {prop.type}/{prop.field_type}"
    kinds = {p.name: p.type for p in properties}
    assert {kinds[FIT_SCORE], kinds[ENGAGEMENT_SCORE], kinds[SCORE]} == {"number"}
    assert (kinds[GRADE], kinds[STAGE], kinds[SCORED_AT]) == ("enumeration", "enumeration", "datetime")


def test_the_stage_and_grade_options_come_from_the_model(model: ScoringModel) -> None:
    by_name = {p.name: p for p in score_properties([(s.id, s.label) for s in model.stages], model.grade_labels)}
    assert by_name[STAGE].options == (
        PropertyOption("sql", "Sales qualified lead", 0),
        PropertyOption("mql", "Marketing qualified lead", 1),
    )
    grades = by_name[GRADE].options
    assert [o.value for o in grades] == list(model.grade_labels)
    assert [o.value for o in grades][:5] == ["A1", "A2", "A3", "A4", "B1"]
    assert [o.display_order for o in grades] == list(range(16))
    assert all(o.label == o.value for o in grades)
    others = [p for p in by_name.values() if p.name not in (STAGE, GRADE)]
    assert all(p.options == () for p in others)


def test_enumeration_options_have_unique_values(model: ScoringModel) -> None:
    for prop in score_properties([(s.id, s.label) for s in model.stages], model.grade_labels):
        values = [option.value for option in prop.options]
        assert len(values) == len(set(values)), prop.name


def test_missing_options_are_the_wanted_values_hubspot_lacks_in_model_order() -> None:
    wanted = [PropertyOption("sql", "SQL", 0), PropertyOption("pql", "PQL", 1), PropertyOption("mql", "MQL", 2)]
    present = [PropertyOption("mql", "Marketing qualified", 0), PropertyOption("sql", "Sales qualified", 1)]
    assert missing_options(wanted, present) == [PropertyOption("pql", "PQL", 1)]
    assert missing_options(wanted[:1], present) == []
    assert missing_options(wanted, []) == wanted


def test_an_option_hubspot_has_under_another_label_is_not_added_again() -> None:
    assert missing_options([PropertyOption("mql", "MQL", 0)], [PropertyOption("mql", "Renamed by marketing", 7)]) == []


options = st.lists(
    st.builds(PropertyOption, st.text("abcdefgh", min_size=1, max_size=2), st.text(max_size=3), st.integers(0, 9)),
    max_size=8,
)


@given(wanted=options, present=options)
def test_missing_options_never_drop_an_existing_option(
    wanted: list[PropertyOption], present: list[PropertyOption]
) -> None:
    added = missing_options(wanted, present)
    after = [*present, *added]  # what setup writes back: the existing options first, untouched
    assert after[: len(present)] == present
    assert {o.value for o in after} == {o.value for o in present} | {o.value for o in wanted}
    assert not {o.value for o in added} & {o.value for o in present}

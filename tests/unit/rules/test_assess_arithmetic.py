"""Every clause of the arithmetic of SCORING-MODEL.md, on small hand-computed models."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from app.rules import EngagementEvent, Reason, ScoringModel, assess

Parse = Callable[[str], ScoringModel]
NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def events(event_type: str, *days_ago: float) -> list[EngagementEvent]:
    return [EngagementEvent(event_type, NOW - timedelta(days=days)) for days in days_ago]


@pytest.fixture
def points_model(model_from: Parse) -> ScoringModel:
    return model_from(
        """
        model: arithmetic-1
        fit:
          limit: 50
          rules:
            - {id: half, label: Half, when: "contact.half == 'y'", points: 2.5}
            - {id: big, label: Big, when: "contact.big == 'y'", points: 40}
            - {id: bigger, label: Bigger, when: "contact.bigger == 'y'", points: 30}
            - {id: minus-half, label: Minus half, when: "contact.minus == 'y'", points: -2.5}
        engagement:
          limit: 20
          events:
            visit: {label: Visit, points: 1.5}
            download: {label: Download, points: 5, cap: 12}
            complaint: {label: Complaint, points: -4, cap: 6}
        """
    )


@pytest.fixture
def decay_model(model_from: Parse) -> ScoringModel:
    return model_from(
        """
        model: decay-1
        fit: {limit: 100, rules: []}
        engagement:
          limit: 100
          half_life_days: 10
          events:
            demo: {label: Demo, points: 40}
            click: {label: Click, points: 4, cap: 6}
        """
    )


def test_fit_is_the_sum_of_matched_points_rounded_half_up(points_model: ScoringModel) -> None:
    assert assess(points_model, {"half": "y"}, {}, [], NOW).fit == 3  # 2.5 → 3


def test_fit_is_clamped_to_its_limit(points_model: ScoringModel) -> None:
    assessment = assess(points_model, {"big": "y", "bigger": "y"}, {}, [], NOW)
    assert assessment.fit == 50
    assert assessment.score == 50


def test_fit_is_clamped_before_it_is_rounded(points_model: ScoringModel) -> None:
    assert assess(points_model, {"half": "y", "minus": "y"}, {}, [], NOW).fit == 0


def test_negative_reason_points_round_half_up_towards_zero(points_model: ScoringModel) -> None:
    reasons = assess(points_model, {"minus": "y"}, {}, [], NOW).reasons
    assert reasons == (Reason("minus-half", "Minus half", -2),)  # floor(-2.5 + 0.5)


def test_without_half_life_events_do_not_decay(points_model: ScoringModel) -> None:
    assessment = assess(points_model, {}, {}, events("visit", 0, 400, 4000), NOW)
    assert assessment.engagement == 5  # 4.5 → 5
    assert assessment.reasons == (Reason("visit", "Visit", 5, 3),)


def test_engagement_is_clamped_to_its_limit(points_model: ScoringModel) -> None:
    assert assess(points_model, {}, {}, events("visit", *[0] * 20), NOW).engagement == 20


def test_a_cap_limits_the_contribution_of_an_event_type(points_model: ScoringModel) -> None:
    assessment = assess(points_model, {}, {}, events("download", 0, 1, 2), NOW)
    assert assessment.engagement == 12
    assert assessment.reasons == (Reason("download", "Download", 12, 3, capped=True),)


def test_a_cap_at_exactly_the_raw_value_is_not_reported_as_capped(model_from: Parse) -> None:
    model = model_from(
        "model: m\nfit: {limit: 1, rules: []}\nengagement: {limit: 99, events: {d: {points: 5, cap: 10}}}\n"
    )
    assert assess(model, {}, {}, events("d", 0, 0), NOW).reasons == (Reason("d", "d", 10, 2),)


def test_a_cap_limits_negative_contributions_by_their_size(points_model: ScoringModel) -> None:
    assessment = assess(points_model, {}, {}, events("complaint", 0, 0) + events("download", 0, 0), NOW)
    assert assessment.engagement == 10 - 6
    assert Reason("complaint", "Complaint", -6, 2, capped=True) in assessment.reasons


def test_contributions_are_summed_before_engagement_is_clamped(points_model: ScoringModel) -> None:
    assessment = assess(points_model, {}, {}, events("complaint", 0) + events("visit", 0, 0), NOW)
    assert assessment.engagement == 0  # -4 + 3 = -1 → 0


def test_event_types_the_model_does_not_name_are_ignored(points_model: ScoringModel) -> None:
    assessment = assess(points_model, {}, {}, events("meeting_booked", 0) + events("visit", 0), NOW)
    assert assessment.engagement == 2  # 1.5 → 2
    assert [reason.id for reason in assessment.reasons] == ["visit"]


def test_events_after_the_evaluation_time_do_not_count(points_model: ScoringModel) -> None:
    later = [EngagementEvent("download", NOW + timedelta(seconds=1))]
    assert assess(points_model, {}, {}, later + events("visit", 0), NOW).reasons == (Reason("visit", "Visit", 2, 1),)


def test_an_event_at_the_evaluation_time_counts_without_decay(decay_model: ScoringModel) -> None:
    assert assess(decay_model, {}, {}, events("demo", 0), NOW).reasons == (Reason("demo", "Demo", 40, 1),)


def test_points_halve_every_half_life(decay_model: ScoringModel) -> None:
    assert assess(decay_model, {}, {}, events("demo", 10), NOW).engagement == 20
    assert assess(decay_model, {}, {}, events("demo", 20), NOW).engagement == 10
    assert assess(decay_model, {}, {}, events("demo", 5), NOW).engagement == 28  # 40 × 0.7071 = 28.28


def test_age_is_measured_in_fractional_days(decay_model: ScoringModel) -> None:
    event = EngagementEvent("demo", NOW - timedelta(days=5, hours=12))  # 40 × 2^-0.55 = 27.3; 5 d: 28, 6 d: 26
    assert assess(decay_model, {}, {}, [event], NOW).engagement == 27


def test_decay_applies_before_the_cap(decay_model: ScoringModel) -> None:
    assessment = assess(decay_model, {}, {}, events("click", 10, 10, 10, 10), NOW)
    # 4 × 4 × ½ = 8, capped at 6; undecayed (16) it would also be 6, so decay cost nothing: not "decayed".
    assert assessment.reasons == (Reason("click", "Click", 6, 4, decayed=False, capped=True),)
    assessment = assess(decay_model, {}, {}, events("click", 10, 10), NOW)
    assert assessment.reasons == (Reason("click", "Click", 4, 2, decayed=True),)


def test_an_event_minutes_old_is_not_shown_as_decayed(decay_model: ScoringModel) -> None:
    recent = [EngagementEvent("demo", NOW - timedelta(minutes=5))]
    assert assess(decay_model, {}, {}, recent, NOW).reasons == (Reason("demo", "Demo", 40, 1),)


def test_a_contribution_that_rounds_to_zero_is_no_reason(decay_model: ScoringModel) -> None:
    assessment = assess(decay_model, {}, {}, events("click", 200), NOW)
    assert assessment.engagement == 0
    assert assessment.reasons == ()


def test_a_contribution_left_out_of_the_reasons_still_counts_in_the_sum(decay_model: ScoringModel) -> None:
    # a click 33.2 days ago is worth 0.4 (rounds to 0: no reason), a demo 41.85 days ago 2.2 (rounds to 2)
    assessment = assess(decay_model, {}, {}, [*events("click", 33.2), *events("demo", 41.85)], NOW)
    assert assessment.engagement == 3  # round_half_up(0.4 + 2.2)
    assert [(reason.id, reason.points) for reason in assessment.reasons] == [("demo", 2)]


def test_naive_datetimes_are_taken_as_utc(decay_model: ScoringModel) -> None:
    naive_now = NOW.replace(tzinfo=None)
    event = EngagementEvent("demo", naive_now - timedelta(days=10))
    assert assess(decay_model, {}, {}, [event], naive_now).engagement == 20


def test_a_rule_whose_evaluation_fails_does_not_match(model_from: Parse) -> None:
    model = model_from(
        """
        model: errors-1
        fit:
          limit: 100
          rules:
            - {id: null-compare, when: "contact.employees >= 50", points: 10}
            - {id: text-arithmetic, when: "contact.country + 1 > 2", points: 10}
            - {id: regex-on-number, when: "contact.age =~ '4.*'", points: 10}
            - {id: missing-item, when: "contact['nothing'] == null", points: 10}
            - {id: fine, when: "contact.country == 'Germany'", points: 5}
        engagement: {limit: 100, events: {}}
        properties: {contact.age: number}
        """
    )
    assessment = assess(model, {"country": "Germany", "age": "42"}, {}, [], NOW)
    assert assessment.fit == 5
    assert [reason.id for reason in assessment.reasons] == ["fine"]


def test_a_missing_property_is_null(model_from: Parse) -> None:
    model = model_from(
        "model: m\nfit: {limit: 9, rules: [{id: no-phone, when: 'contact.phone == null', points: 3}]}\n"
        "engagement: {limit: 9, events: {}}\n"
    )
    assert assess(model, {"email": "a@b.de"}, {}, [], NOW).fit == 3
    assert assess(model, {"phone": ""}, {}, [], NOW).fit == 3
    assert assess(model, {"phone": "+49"}, {}, [], NOW).fit == 0


def test_hubspot_property_types_convert_values_the_model_does_not_declare(model_from: Parse) -> None:
    model = model_from(
        """
        model: m
        properties: {contact.score: string}
        fit:
          limit: 100
          rules:
            - {id: opted-in, when: "contact.opted_in == true", points: 1}
            - {id: recent, when: "contact.createdate > d'2026-01-01T00:00:00Z'", points: 2}
            - {id: score-text, when: "contact.score == '7'", points: 4}
        engagement: {limit: 100, events: {}}
        """
    )
    contact = {"opted_in": "TRUE", "createdate": "1795168800000", "score": "7"}
    hubspot_types = {"contact.opted_in": "bool", "contact.createdate": "datetime", "contact.score": "number"}
    assert assess(model, contact, {}, [], NOW).fit == 4
    assert assess(model, contact, {}, [], NOW, property_types=hubspot_types).fit == 7

"""Suggested points (docs/calibration.md, Suggestions): the decision-time features, the lifts, the scale, the
shrinkage toward the current points, the flags, the time-based holdout — on numbers worked out by hand."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from statistics import pstdev

import pytest

from app.rules import EngagementEvent, ScoringModel, load_scoring_model
from app.rules.calibration.advice import advise
from app.rules.calibration.features import DecisionFeatures, Feature, FeatureRow, decision_cycles
from app.rules.calibration.lifts import rule_lifts
from app.rules.calibration.outcomes import Horizon, Window
from app.rules.calibration.replay import ReplayContact, Version, Versions
from app.rules.calibration.suggestions import (
    Fit,
    NoSuggestion,
    Suggestion,
    points_scale,
    rule_suggestion,
    split_by_time,
    suggest,
)
from app.rules.expressions import FIT_NAMES, compile_condition
from app.rules.kpis import LeadCycle
from app.rules.kpis.figures import Ratio
from app.rules.scoring.model import EventWeight, FitRule

T0 = datetime(2026, 9, 1, tzinfo=UTC)
DAY = timedelta(days=1)
VIP = Feature("fit", "vip", "VIP", 20)
NOISE = Feature("fit", "noise", "Noise", 10)
CLICK = Feature("event", "click", "Click", 0)


def row(index: int, values: tuple[float, ...], positive: bool, score: int = 0) -> FeatureRow:
    return FeatureRow(f"c{index:03}", T0 + index * DAY, values, score, positive)


def test_the_features_are_the_matched_rules_and_the_decayed_capped_event_counts() -> None:
    rules = (FitRule("vip", "VIP", compile_condition("contact.vip == 'yes'", FIT_NAMES), 40),
             FitRule("zero", "Zero", compile_condition("company.size == 'big'", FIT_NAMES), 0))  # fmt: skip
    events = (EventWeight("click", "Click", 5, cap=10), EventWeight("open", "Open", 0))
    model = ScoringModel("m", 100, rules, 100, events, half_life_days=10)
    at = T0 + 10 * DAY
    clicks = [EngagementEvent("click", at - k * DAY) for k in (0, 0, 0, 10)]  # 3 + 1/2, held at cap/points = 2
    opens = [EngagementEvent("open", at - 10 * DAY), EngagementEvent("open", at + DAY)]  # one counted, halved
    contact = ReplayContact(
        "1",
        Versions((Version(None, {"vip": "no"}), Version(at - DAY, {"vip": "yes"}))),
        Versions((Version(None, {"size": "big"}),)),
        (*clicks, *opens),
    )
    reader = DecisionFeatures(model)
    assert [f.id for f in reader.features] == ["vip", "zero", "click", "open"]
    found = reader.row(contact, at, positive=True)
    assert found.values == (1.0, 1.0, 2.0, 0.5)  # a zero-point rule is a feature too: its match is still read
    assert found.score == 40 + 10  # the current model's score then: fit 40, clicks capped at 10
    assert reader.row(contact, at - 2 * DAY, positive=False).values[0] == 0.0  # before the VIP value held


def test_the_cohorts_known_cycles_are_taken_at_their_mql_and_pending_ones_counted_apart() -> None:
    won = LeadCycle(contact="1", cycle=1, mql_at=T0, deal_created_at=T0 + DAY, won_at=T0 + 2 * DAY)
    lost = LeadCycle(contact="2", cycle=1, mql_at=T0 + DAY, rejected_at=T0 + 2 * DAY)
    open_deal = LeadCycle(contact="3", cycle=1, mql_at=T0 + DAY, deal_created_at=T0 + 3 * DAY)
    outside = LeadCycle(contact="4", cycle=1, mql_at=T0 - DAY, rejected_at=T0)
    horizon = Horizon(T0 + 10 * DAY, mature_days=5)  # every cycle matured: won is read
    found = decision_cycles([won, lost, open_deal, outside], Window(T0, None), horizon, "won")
    assert found.by_contact == {"1": [(T0, True)], "2": [(T0 + DAY, False)]}
    assert (found.cycles, found.pending) == (3, 1)


def test_a_rules_lift_is_its_rate_with_it_over_the_overall_rate_and_small_sides_are_noted() -> None:
    rows = [row(i, (1.0,), positive=i < 3) for i in range(4)] + [row(i, (0.0,), positive=i == 4) for i in range(4, 12)]
    (lift,) = rule_lifts([VIP], rows)
    assert (lift.having, lift.lacking) == (Ratio(3, 4), Ratio(1, 8))
    assert lift.lift == Fraction(3, 4) / Fraction(4, 12)  # 2.25
    assert lift.small  # 4 leads with it: fewer than 10


def test_the_scale_makes_the_fitted_score_spread_as_much_as_the_current_points() -> None:
    points = [25.0, -30.0, 0.0]
    rows = [row(i, (float(i % 2), float(i % 3 == 0), float(i % 5)), positive=False) for i in range(12)]
    # coefficients proportional to the points (and none for the third): 50 points per unit of log-odds, exactly
    assert points_scale(points, [0.5, -0.6, 0.0], rows) == pytest.approx(50)
    # otherwise: sd(25 a - 30 b) / sd(fitted), whatever the rules' single coefficients
    scale = points_scale(points, [0.1, 0.0, 2.0], rows)
    current = pstdev([25 * r.values[0] - 30 * r.values[1] for r in rows])
    assert scale == pytest.approx(current / pstdev([0.1 * r.values[0] + 2.0 * r.values[2] for r in rows]))
    assert points_scale(points, [0.0, 0.0, 0.0], rows) is None  # the fit found nothing
    same = [row(i, (1.0, 0.0, float(i)), positive=False) for i in range(12)]
    assert points_scale(points, [0.5, -0.6, 1.0], same) is None  # the current points do not vary


def test_the_suggestion_is_the_fit_pulled_toward_the_current_points_by_the_evidence() -> None:
    feature = Feature("fit", "a", "A", 10)
    half = rule_suggestion(feature, 1.0, 30.0, 30)  # fitted 30, weight 30 / (30 + 30)
    assert (half.fitted, half.weight, half.points, half.changed) == (30.0, 0.5, 20.0, True)
    more = rule_suggestion(feature, 1.0, 30.0, 90)  # weight 0.75: 22.5 + 2.5
    assert more.points == 25.0
    few = rule_suggestion(feature, -1.0, 30.0, 9)  # too little data: not fitted, kept, no flip
    assert (few.fitted, few.points, few.changed, few.enough, few.flip) == (None, 10, False, False, False)


def test_a_fit_of_the_other_sign_is_flagged_even_when_the_shrunk_points_keep_their_sign() -> None:
    useless = rule_suggestion(Feature("fit", "dach", "DACH", 15), -0.4, 30.0, 30)  # fitted -12
    assert (useless.points, useless.flip) == (2.0, True)  # 0.5 · -12 + 0.5 · 15 = 1.5 → 2
    tiny = rule_suggestion(Feature("fit", "dach", "DACH", 15), -0.01, 30.0, 30)  # fitted -0.3: rounds to 0
    assert not tiny.flip
    planted = rule_suggestion(CLICK, 0.5, 30.0, 30)  # no current points: no sign to flip
    assert (planted.points, planted.flip) == (8.0, False)


def test_the_newest_quarter_is_held_out() -> None:
    rows = [row(i, (0.0,), positive=False) for i in (5, 1, 8, 3, 0, 7, 2, 6, 4)]
    training, held_out = split_by_time(rows)
    assert [r.contact_id for r in held_out] == ["c006", "c007", "c008"]  # ceil(9 / 4) = 3, the newest
    assert [r.contact_id for r in training] == [f"c00{i}" for i in range(6)]


class FixedFit:
    """A fitter that returns a given fit and remembers what it was given."""

    def __init__(self, fit: Fit) -> None:
        self.fit = fit
        self.seen: list[Sequence[Sequence[float]]] = []

    def __call__(self, rows: Sequence[Sequence[float]], outcomes: Sequence[bool]) -> Fit:
        self.seen.append(rows)
        return self.fit


def planted_rows() -> list[FeatureRow]:
    """40 leads: `click` decides the outcome, `vip` (20 points) and `noise` (10) do not; 10 and 10 of each."""
    found = []
    for i in range(40):
        click, vip, noise = i % 2 == 0, i % 4 < 2, (i // 4) % 2 == 0
        found.append(row(i, (float(vip), float(noise), float(click)), positive=click, score=20 * vip + 10 * noise))
    return found


def test_suggest_fits_the_older_rows_scales_and_judges_on_the_newest() -> None:
    fitter = FixedFit(Fit(-1.0, (0.1, -0.05, 2.0)))
    found = suggest([VIP, NOISE, CLICK], planted_rows(), fitter)
    assert isinstance(found, Suggestion)
    assert len(fitter.seen[0]) == 30  # 40 - ceil(40 / 4)
    training = sorted(planted_rows(), key=lambda r: r.at)[:30]
    current = pstdev([20 * r.values[0] + 10 * r.values[1] for r in training])
    fitted = pstdev([0.1 * r.values[0] - 0.05 * r.values[1] + 2.0 * r.values[2] for r in training])
    assert found.scale == pytest.approx(current / fitted) == pytest.approx(10.8143, abs=1e-4)
    vip, noise, click = found.rules
    assert (vip.evidence, noise.evidence, click.evidence) == (14, 14, 15)  # the smaller side of 30 training rows
    # the planted event gains points: fitted 2.0 · 10.81 = 21.6, weight 15 / 45: 7.2 → 7
    assert (click.points, click.changed, click.flip) == (7, True, False)
    # the useless rules are pulled down: vip fitted 1.1, weight 14 / 44: 0.34 + 13.6 → 14; noise fitted -0.54
    # (a point of the other sign: flagged): -0.17 + 6.8 → 7
    assert (vip.points, vip.flip) == (14, False)
    assert (noise.points, noise.flip) == (7, True)
    holdout = found.holdout
    assert (holdout.training, holdout.held_out, holdout.since) == (30, 10, T0 + 30 * DAY)
    assert holdout.fitted.value == 1  # click decides the outcome: the fit ranks the held-out leads perfectly
    assert holdout.suggested.value == Fraction(18, 25)  # the shrunk points give click 7 of 28: better, not perfect
    assert holdout.current.value is not None and holdout.current.value < holdout.suggested.value


def test_a_rule_with_too_little_evidence_is_left_out_of_the_fit_and_kept() -> None:
    rows = [FeatureRow(r.contact_id, r.at, (*r.values, float(i < 5)), r.score, r.positive)
            for i, r in enumerate(planted_rows())]  # fmt: skip
    fitter = FixedFit(Fit(-1.0, (0.1, -0.05, 2.0)))
    found = suggest([VIP, NOISE, CLICK, Feature("fit", "rare", "Rare", 40)], rows, fitter)
    assert isinstance(found, Suggestion)
    assert {len(values) for values in fitter.seen[0]} == {3}  # the fit never sees the rare rule's column
    rare = found.rules[3]
    assert (rare.evidence, rare.coefficient, rare.fitted, rare.points) == (5, None, None, 40)
    assert found.scale == pytest.approx(10.8143, abs=1e-4)  # as without it: its points stay out of the scale too


def test_training_leads_of_one_outcome_only_give_no_suggestion() -> None:
    rows = [row(i, (1.0, 0.0, 0.0), positive=i >= 30) for i in range(40)]  # every positive among the newest
    found = suggest([VIP, NOISE, CLICK], rows, FixedFit(Fit(0.0, (0.0, 0.0, 0.0))))
    assert isinstance(found, NoSuggestion) and "hold no positive outcome" in found.reason


def test_too_few_outcomes_give_the_lifts_and_no_suggestion() -> None:
    rows = planted_rows()[:15]
    fitter = FixedFit(Fit(0.0, (0.0, 0.0, 0.0)))
    advice = advise("m", [VIP, NOISE, CLICK], rows, "won", (20, 5), fitter)
    assert advice.suggestion is None and not fitter.seen  # never fitted
    assert (advice.sufficiency.positives, advice.sufficiency.negatives, advice.sufficiency.needed) == (8, 7, 22)
    assert [lift.feature.id for lift in advice.lifts] == ["vip", "noise", "click"]
    assert advice.changed_points == {}


def test_the_shipped_model_has_a_feature_per_fit_rule_and_event_type() -> None:
    from pathlib import Path

    model = load_scoring_model(Path(__file__).resolve().parents[3] / "config" / "scoring.yaml")
    features = DecisionFeatures(model).features
    assert len(features) == len(model.fit_rules) + len(model.events)
    assert [f.id for f in features if f.kind == "event" and f.points == 0] == ["newsletter_open"]

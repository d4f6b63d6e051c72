"""The calibration report on a small portal whose every figure is worked out by hand (tests/fixtures/calibration).

As of 2027-06-01 with 90 days to mature: contact 9 (MQL 2027-05-20) is immature, contact 8 has an open deal,
contact 10 has no score, contact 11 never became an MQL and contact 12's MQL lies after `as_of`.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from fractions import Fraction
from pathlib import Path

import pytest

from app.rules.calibration import CalibrationReport, CalibrationSettings, Horizon, Window, calibrate
from app.rules.calibration.document import calibration_document
from app.rules.calibration.table import calibration_table
from app.rules.kpis import LeadCycle, parse_facts
from app.rules.kpis.figures import Ratio
from app.rules.kpis.report import rejection_reasons

FACTS = Path(__file__).resolve().parents[2] / "fixtures" / "calibration" / "scored_cycles.jsonl"
AS_OF = datetime(2027, 6, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def report() -> CalibrationReport:
    facts = parse_facts(FACTS.read_text(encoding="utf-8"))
    return calibrate(facts, CalibrationSettings(Window(), Horizon(AS_OF, 90)))


def test_the_cohort_holds_the_reached_mqls_and_counts_the_immature_apart(report: CalibrationReport) -> None:
    assert (report.cycles, report.scored, report.immature) == (10, 9, 1)


def test_each_outcome_counts_known_outcomes_and_keeps_pending_ones_apart(report: CalibrationReport) -> None:
    found = {name: (figures.overall, figures.pending) for name, figures in report.outcomes.items()}
    assert found == {
        "accepted": (Ratio(5, 9), 1),  # 9 unanswered and immature
        "deal": (Ratio(4, 9), 1),  # 4, 5, 6 and 10 rejected, 7 matured without a deal
        "won": (Ratio(2, 8), 2),  # 8's deal is open, 9 is immature
    }


def test_auc_of_each_outcome_over_the_scored_cycles(report: CalibrationReport) -> None:
    found = {name: (f.auc.positives, f.auc.negatives, f.auc.value) for name, f in report.outcomes.items()}
    assert found == {
        "accepted": (5, 3, Fraction(14, 15)),  # only 60 (accepted) loses to 65 (rejected)
        "deal": (4, 4, Fraction(1)),
        "won": (2, 5, Fraction(9, 10)),  # 70 (won) loses to 85 (lost)
    }


def test_conversion_by_band_at_mql(report: CalibrationReport) -> None:
    rows = [(g.key, g.cycles, g.mean_score, *(g.rates[o].ratio for o in ("accepted", "deal", "won")))
            for g in report.by_band]  # fmt: skip
    assert rows == [
        ("[30, 40)", 1, 35, Ratio(0, 1), Ratio(0, 1), Ratio(0, 1)),
        ("[40, 50)", 1, 40, Ratio(0, 1), Ratio(0, 1), Ratio(0, 1)),
        ("[60, 70)", 2, Fraction(125, 2), Ratio(1, 2), Ratio(0, 2), Ratio(0, 2)),
        ("[70, 80)", 1, 70, Ratio(1, 1), Ratio(1, 1), Ratio(1, 1)),
        ("[80, 90)", 2, Fraction(165, 2), Ratio(1, 1), Ratio(1, 1), Ratio(0, 1)),
        ("[90, 100)", 2, 90, Ratio(2, 2), Ratio(2, 2), Ratio(1, 1)),
    ]
    assert [g.rates["won"].pending for g in report.by_band] == [0, 0, 0, 0, 1, 1]


def test_conversion_by_grade_at_mql(report: CalibrationReport) -> None:
    rows = [(g.key, g.cycles, g.mean_score, *(g.rates[o].ratio for o in ("accepted", "deal", "won")))
            for g in report.by_grade]  # fmt: skip
    assert rows == [
        ("A", 4, Fraction(345, 4), Ratio(3, 3), Ratio(3, 3), Ratio(1, 2)),
        ("B", 3, 65, Ratio(2, 3), Ratio(1, 3), Ratio(1, 3)),
        ("C", 2, Fraction(75, 2), Ratio(0, 2), Ratio(0, 2), Ratio(0, 2)),
        ("none", 1, None, Ratio(0, 1), Ratio(0, 1), Ratio(0, 1)),
    ]


def test_lift_by_decile_puts_tied_scores_in_one_decile(report: CalibrationReport) -> None:
    # 8 scored answers, from the top: 90, 90 (mid-rank 1.5), 85, 70, 65, 60, 40, 35; overall 5/8 accepted.
    deciles = [(d.decile, d.ratio, d.lift, d.captured) for d in report.outcomes["accepted"].lift]
    assert deciles == [
        (2, Ratio(2, 2), Fraction(8, 5), Fraction(2, 5)),
        (4, Ratio(1, 1), Fraction(8, 5), Fraction(3, 5)),
        (5, Ratio(1, 1), Fraction(8, 5), Fraction(4, 5)),
        (6, Ratio(0, 1), Fraction(0), Fraction(4, 5)),
        (7, Ratio(1, 1), Fraction(8, 5), Fraction(1)),
        (9, Ratio(0, 1), Fraction(0), Fraction(1)),
        (10, Ratio(0, 1), Fraction(0), Fraction(1)),
    ]


def test_drift_compares_the_two_halves_of_the_mqls_span(report: CalibrationReport) -> None:
    drift = report.drift
    # The span runs from the first MQL (2026-11-02) to the last (2027-05-20): 199 days, split after 99.5.
    assert drift.first.end == datetime(2027, 2, 9, 12, tzinfo=UTC)
    assert (len(drift.first.scores), drift.first.mean, drift.first.median) == (8, Fraction(535, 8), 65)
    assert (len(drift.second.scores), drift.second.mean, drift.second.median) == (1, 80, 80)
    assert drift.ks == Fraction(5, 8)  # at 70: 5/8 of the first half, none of the second
    assert drift.shifted is False


def test_a_to_past_as_of_splits_the_span_at_as_of_since_no_mql_lies_after_it() -> None:
    facts = parse_facts(FACTS.read_text(encoding="utf-8"))
    start, as_of = datetime(2026, 11, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)
    far = calibrate(facts, CalibrationSettings(Window(start, datetime(2030, 1, 1, tzinfo=UTC)), Horizon(as_of, 90)))
    to_as_of = calibrate(facts, CalibrationSettings(Window(start, as_of), Horizon(as_of, 90)))
    assert far.drift.first.end == to_as_of.drift.first.end == datetime(2026, 12, 1, 12, tzinfo=UTC)  # 61 days / 2
    assert far.drift.second.scores == to_as_of.drift.second.scores and far.drift.second.scores


def test_rejections_by_reason_text_and_by_grade(report: CalibrationReport) -> None:
    found = report.rejections
    assert dict(found.by_reason) == {"no fit": 2, "budget": 1, "none": 1}
    assert list(found.by_reason) == ["no fit", "budget", "none"]
    assert {grade: dict(reasons) for grade, reasons in found.by_grade.items()} == {
        "B": {"budget": 1}, "C": {"no fit": 2}, "none": {"none": 1}
    }  # fmt: skip


def test_sufficiency_sizes_what_each_outcome_would_need(report: CalibrationReport) -> None:
    standings = {name: figures.sufficiency for name, figures in report.outcomes.items()}
    found = {name: (standing.enough, standing.needed, standing.more) for name, standing in standings.items()}
    # accepted 5 of 8: max(ceil(10 / (5/8)), ceil(10 / (3/8))) = 27; deal 4 of 8: 20; won 2 of 7: 35.
    assert found == {"accepted": (False, 27, 19), "deal": (False, 20, 12), "won": (False, 35, 28)}


def test_the_text_says_plainly_that_the_outcomes_are_too_few(report: CalibrationReport) -> None:
    lines = calibration_table(report).splitlines()
    assert (
        "  won: too few outcomes to conclude: 2 positive(s) and 5 negative(s); at the observed rate of 28.6 % about "
        "35 known outcomes are needed (28 more)"
    ) in lines
    assert (
        "  accepted  55.6 % (n=9)      95 % CI 26.7–81.1 %     pending 1     AUC 0.933 (5 positive, 3 negative)"
    ) in lines


def test_the_json_object_carries_every_figure_with_its_counts(report: CalibrationReport) -> None:
    document = calibration_document(report)
    assert (document["from"], document["to"], document["as_of"]) == (None, None, "2027-06-01T00:00:00Z")
    assert document["outcomes"]["won"]["auc"] == {"value": 0.9, "positives": 2, "negatives": 5}
    assert document["outcomes"]["accepted"]["rate"] == 0.5556
    assert document["calibration"]["accepted"][0] == {
        "band": "[30, 40)", "mean_score": 35.0, "known": 1, "positives": 0, "rate": 0.0,
        "interval": [0.0, 0.7935], "overall": 0.625, "index": 0.0, "verdict": "within",
    }  # fmt: skip
    assert document["drift"]["ks"] == 0.625
    assert document["rejections"]["by_reason"]["no fit"] == {"count": 2, "share": 0.5}
    assert document["sufficiency"]["deal"]["needed"] == 20


def test_scores_of_several_model_versions_are_named_and_warned_about() -> None:
    facts = parse_facts(FACTS.read_text(encoding="utf-8"))
    versioned = [replace(fact, model_at_mql="m-2026-10" if n % 2 else "m-2026-11") for n, fact in enumerate(facts)]
    mixed = calibrate(versioned, CalibrationSettings(Window(), Horizon(AS_OF, 90)))
    assert mixed.models == ("m-2026-10", "m-2026-11")
    warning = (
        "  warning: the scores at MQL come from 2 model versions (m-2026-10, m-2026-11): bands, lift and AUC pool "
        "their scales; --model-version NAME reads one"
    )
    assert warning in calibration_table(mixed).splitlines()
    settings = CalibrationSettings(Window(), Horizon(AS_OF, 90))
    one = calibrate([replace(fact, model_at_mql="m-2026-11") for fact in facts], settings)
    assert one.models == ("m-2026-11",) and "warning: the scores" not in calibration_table(one)


def test_rejection_reasons_are_keyed_as_the_kpi_report_keys_them() -> None:
    mql, rejected = datetime(2026, 11, 2, tzinfo=UTC), datetime(2026, 11, 3, tzinfo=UTC)
    reasons = [" no fit ", "no fit", None, "no fit"]
    facts = [LeadCycle(contact=str(n), cycle=1, mql_at=mql, rejected_at=rejected, rejection_reason=reason)
             for n, reason in enumerate(reasons)]  # fmt: skip
    found = calibrate(facts, CalibrationSettings(Window(), Horizon(AS_OF, 90))).rejections.by_reason
    assert dict(found) == rejection_reasons(facts, AS_OF) == {" no fit ": 1, "no fit": 2, "none": 1}

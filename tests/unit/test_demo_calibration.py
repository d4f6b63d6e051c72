"""The demo's ground-truth check of the calibration: the real buyers' grades at MQL against the tire-kickers'."""

from __future__ import annotations

from fractions import Fraction

from app.demo.calibration import ground_truth, verdict_line
from app.rules.kpis import LeadCycle

PERSONAS = {"1": "evaluator", "2": "champion", "3": "researcher", "4": "tire-kicker", "5": "student",
            "6": "existing-customer", "7": "competitor"}  # fmt: skip


def cycles(*graded: tuple[str, str | None]) -> list[LeadCycle]:
    return [LeadCycle(contact=contact, cycle=1, grade_at_mql=grade) for contact, grade in graded]


def test_real_buyers_with_better_grades_rank_above_the_tire_kickers() -> None:
    truth = ground_truth(
        cycles(("1", "A1"), ("2", "A2"), ("3", "B1"), ("4", "B2"), ("5", "B3"), ("6", "A1"), ("7", None)), PERSONAS
    )
    # ranked best first among the two groups: A1 1, A2 2, B1 3, B2 4, B3 5; the customer and the ungraded are out
    assert (truth.buyers.mqls, truth.kickers.mqls) == (3, 2)
    assert (truth.buyers.mean_rank, truth.kickers.mean_rank) == (2, Fraction(9, 2))
    assert truth.above == 1 and truth.ranks_above is True
    assert verdict_line(truth) == "real buyers' grades rank above tire-kickers': yes (fit A 66.7 % vs 0.0 %)"


def test_tied_grades_share_their_rank_and_do_not_rank_above() -> None:
    truth = ground_truth(cycles(("1", "A1"), ("2", "B2"), ("4", "A1"), ("7", "B2")), PERSONAS)
    assert truth.buyers.mean_rank == truth.kickers.mean_rank == Fraction(5, 2)
    assert truth.above == Fraction(1, 2) and truth.ranks_above is False
    assert verdict_line(truth).endswith(": no (fit A 50.0 % vs 50.0 %)")


def test_worse_grades_for_the_real_buyers_say_no() -> None:
    truth = ground_truth(cycles(("1", "B4"), ("4", "A3"), ("5", "B1")), PERSONAS)
    assert truth.ranks_above is False and truth.above == 0
    assert verdict_line(truth) == "real buyers' grades rank above tire-kickers': no (fit A 0.0 % vs 50.0 %)"


def test_without_a_tire_kicker_at_mql_it_cannot_tell() -> None:
    truth = ground_truth(cycles(("1", "A1"), ("6", "B1")), PERSONAS)
    assert truth.ranks_above is None and truth.above is None
    assert verdict_line(truth) == (
        "real buyers' grades rank above tire-kickers': cannot tell (no tire-kicker reached MQL with a grade)"
    )

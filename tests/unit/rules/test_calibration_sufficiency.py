"""Sufficiency (app/rules/calibration/sufficiency.py): when the outcomes are too few, and how many would be needed."""

from __future__ import annotations

from fractions import Fraction

import pytest

from app.rules.calibration.ranking import Auc
from app.rules.calibration.report import OutcomeFigures
from app.rules.calibration.sufficiency import (
    MAX_WIDTH,
    interval_width,
    needed_for_width,
    outcome_sufficiency,
    wide_groups,
)
from app.rules.calibration.table import outcome_verdict, wide_lines
from app.rules.kpis.figures import Ratio, round_half_up


@pytest.mark.parametrize(
    ("positives", "negatives", "enough", "needed", "more"),
    [
        (10, 10, True, 20, 0),
        (3, 12, False, 50, 35),  # rate 1/5: 10 positives need 50 outcomes
        (12, 3, False, 50, 35),
        (40, 9, False, 55, 6),  # rate 40/49: 10 negatives need ceil(10 · 49 / 9) = 55
        (0, 30, False, None, None),  # no positive: no rate to size with
        (0, 0, False, None, None),
    ],
)
def test_an_outcome_needs_ten_of_each_and_is_sized_at_its_rate(
    positives: int, negatives: int, enough: bool, needed: int | None, more: int | None
) -> None:
    standing = outcome_sufficiency(positives, negatives)
    assert (standing.enough, standing.needed, standing.more) == (enough, needed, more)


def test_the_outcomes_needed_for_a_narrow_interval_are_the_least_that_suffice() -> None:
    # At a rate of 0 the Wilson interval is [0, z² / (n + z²)]: at most 0.2 from n = 4 z² = 15.4, so 16.
    assert needed_for_width(Fraction(0)) == 16
    least = half()
    assert width_at_half(least) <= MAX_WIDTH < width_at_half(least - 1)
    assert 90 <= least <= 97  # the normal approximation's 97, a little less with Wilson's


def width_at_half(n: int) -> Fraction:
    found = interval_width(Ratio(int(round_half_up(Fraction(n, 2), 0)), n))
    assert found is not None
    return found


def test_groups_too_uncertain_are_listed_with_what_they_need() -> None:
    found = wide_groups([("A", Ratio(50, 100)), ("B", Ratio(1, 4)), ("C", Ratio(0, 0))])
    assert [(group.key, group.needed) for group in found] == [("B", needed_for_width(Fraction(1, 4))), ("C", half())]
    assert found[1].width is None
    assert wide_lines("grades", found) == [
        f"    grades too uncertain to compare: B (n=4, needs about {found[0].needed}), C (n=0, needs about {half()})"
    ]


def half() -> int:
    return needed_for_width(Fraction(1, 2))


def figures(positives: int, negatives: int) -> OutcomeFigures:
    ratio = Ratio(positives, positives + negatives)
    standing = outcome_sufficiency(positives, negatives)
    return OutcomeFigures(ratio, 0, ratio, Auc(positives, negatives, None), (), standing, (), ())


def test_the_verdict_says_plainly_whether_one_can_conclude() -> None:
    assert outcome_verdict(figures(12, 30)) == "enough to conclude: 12 positive(s) and 30 negative(s)"
    assert outcome_verdict(figures(3, 12)) == (
        "too few outcomes to conclude: 3 positive(s) and 12 negative(s); at the observed rate of 20.0 % about 50 "
        "known outcomes are needed (35 more)"
    )
    assert outcome_verdict(figures(0, 7)) == (
        "too few outcomes to conclude: 0 positive(s) and 7 negative(s); with no positive yet the number needed "
        "cannot be estimated: at least 10 of each are needed"
    )

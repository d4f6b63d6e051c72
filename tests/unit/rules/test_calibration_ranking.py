"""AUC and lift by decile (app/rules/calibration/ranking.py): hand-computed tie cases and their properties."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.rules.calibration.ranking import Scored, auc, decile_of, lift_by_decile, mid_ranks
from app.rules.kpis.figures import Ratio


def scored(*pairs: tuple[int, bool]) -> list[Scored]:
    return [(Fraction(score), positive) for score, positive in pairs]


def test_mid_ranks_give_tied_scores_the_mean_of_their_positions() -> None:
    assert mid_ranks([Fraction(5), Fraction(1), Fraction(5), Fraction(3)]) == [Fraction(7, 2), 1, Fraction(7, 2), 2]


@pytest.mark.parametrize(
    ("pairs", "expected"),
    [
        (scored((1, True), (1, False)), Fraction(1, 2)),  # one tied pair counts half
        (scored((2, True), (1, False), (1, True), (2, False)), Fraction(1, 2)),  # 1 + ½ + ½ + 0 of 4 pairs
        (scored((3, True), (2, True), (2, False), (1, False)), Fraction(7, 8)),  # 1 + 1 + ½ + 1 of 4
        (scored((1, True), (2, False), (3, False)), Fraction(0)),
        (scored((5, True), (5, True), (4, False)), Fraction(1)),
    ],
)
def test_auc_counts_the_pairs_a_positive_wins_and_half_the_ties(pairs: list[Scored], expected: Fraction) -> None:
    assert auc(pairs).value == expected


def test_auc_without_a_positive_or_a_negative_is_none() -> None:
    assert auc(scored((1, False), (2, False))).value is None
    assert auc(scored((1, True))).positives == 1
    assert auc([]).value is None


def test_twenty_distinct_scores_fill_each_decile_with_two() -> None:
    pairs = scored(*((score, score % 2 == 0) for score in range(20)))
    deciles = lift_by_decile(pairs)
    assert [d.decile for d in deciles] == list(range(1, 11))
    assert [(d.highest, d.lowest) for d in deciles][:2] == [(19, 18), (17, 16)]
    assert all(d.ratio == Ratio(1, 2) and d.lift == 1 for d in deciles)


def test_tied_scores_share_the_decile_of_the_middle_of_their_positions() -> None:
    # Four ties take positions 1–4 of 4: their middle lies in the sixth tenth.
    assert decile_of(5, 4) == 6  # twice the mid-rank 5/2
    (only,) = lift_by_decile(scored((7, True), (7, False), (7, False), (7, False)))
    assert (only.decile, only.ratio, only.lift, only.captured) == (6, Ratio(1, 4), 1, 1)


def test_lift_is_the_deciles_rate_over_the_overall_rate() -> None:
    # From the top: 9 and 8 (positive), 7 … 0 (negative): overall 2/10; deciles 1 and 2 hold one positive each.
    deciles = lift_by_decile(scored(*((score, score >= 8) for score in range(10))))
    assert [(d.decile, d.lift) for d in deciles][:3] == [(1, 5), (2, 5), (3, 0)]
    assert [d.captured for d in deciles][:3] == [Fraction(1, 2), 1, 1]


def test_without_positives_lift_and_captured_are_none() -> None:
    (decile,) = lift_by_decile(scored((3, False)))  # one cycle takes every position: its middle is in decile 6
    assert (decile.decile, decile.lift, decile.captured) == (6, None, None)


# Scores as facts hold them: ints and floats, mixed (Python compares them exactly); few values, so many ties.
SCORE = st.one_of(st.integers(-50, 150), st.sampled_from([0.5, 12.25, 99.9, 40.0, -3.5]))
PAIRS = st.lists(st.tuples(SCORE, st.booleans()), max_size=60)


@given(PAIRS)
def test_auc_lies_between_0_and_1(pairs: list[Scored]) -> None:
    value = auc(pairs).value
    assert value is None or 0 <= value <= 1


@given(PAIRS)
def test_reversing_the_scores_turns_the_auc_into_its_complement(pairs: list[Scored]) -> None:
    value = auc(pairs).value
    reversed_value = auc([(-score, positive) for score, positive in pairs]).value
    assert reversed_value == (None if value is None else 1 - value)


@given(PAIRS)
def test_the_lifts_weighted_by_decile_size_average_to_1(pairs: list[Scored]) -> None:
    deciles = lift_by_decile(pairs)
    assert sum(d.ratio.whole for d in deciles) == len(pairs)
    if any(positive for _, positive in pairs):
        assert sum((d.lift or 0) * d.ratio.whole for d in deciles) / len(pairs) == 1
        assert deciles[-1].captured == 1
    assert all(1 <= d.decile <= 10 for d in deciles)
    assert [d.decile for d in deciles] == sorted({d.decile for d in deciles})

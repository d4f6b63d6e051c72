"""Score drift (app/rules/calibration/drift.py): the KS statistic, mean, median and band shares by hand."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.rules.calibration.bands import WidthBands
from app.rules.calibration.drift import ScoreSample, ks_critical, ks_statistic, score_drift
from app.rules.kpis.figures import Ratio


def sample(*scores: int) -> ScoreSample:
    return ScoreSample(None, None, tuple(sorted(Fraction(score) for score in scores)))


@pytest.mark.parametrize(
    ("first", "second", "expected"),
    [
        ((1, 2, 3), (2, 3, 4), Fraction(1, 3)),  # at 1, 2 and 3 the gap is one third
        ((1, 2), (1, 2), Fraction(0)),
        ((1, 2), (3, 4, 5), Fraction(1)),
        ((1, 1, 5, 5), (1, 5), Fraction(0)),  # the same distribution, differently sized
        ((10, 20, 30, 40), (20,), Fraction(1, 2)),  # at 10: 1/4 against 0; at 20: 2/4 against 1; at 30: 3/4
    ],
)
def test_ks_is_the_largest_gap_between_the_distribution_functions(
    first: tuple[int, ...], second: tuple[int, ...], expected: Fraction
) -> None:
    assert ks_statistic([Fraction(x) for x in first], [Fraction(x) for x in second]) == expected


def test_ks_of_an_empty_sample_is_none() -> None:
    assert ks_statistic([], [Fraction(1)]) is None
    assert ks_critical(0, 3) is None


def test_a_shift_beyond_the_critical_value_is_reported() -> None:
    drift = score_drift(sample(*range(20)), sample(*range(40, 60)), WidthBands(10))
    assert drift.ks == 1
    assert drift.critical == pytest.approx(1.3581 * (40 / 400) ** 0.5)
    assert drift.shifted is True
    assert score_drift(sample(1, 2, 3), sample(2, 3, 4), WidthBands(10)).shifted is False


def test_mean_and_nearest_rank_median() -> None:
    assert (sample(1, 2, 3, 10).mean, sample(1, 2, 3, 10).median) == (4, 2)
    assert (sample(7).median, sample().mean, sample().median) == (7, None, None)


def test_band_shares_cover_the_bands_of_either_period() -> None:
    drift = score_drift(sample(5, 15, 15, 25), sample(15, 35), WidthBands(10))
    assert [(s.band.label, s.first, s.second) for s in drift.shares] == [
        ("[0, 10)", Ratio(1, 4), Ratio(0, 2)),
        ("[10, 20)", Ratio(2, 4), Ratio(1, 2)),
        ("[20, 30)", Ratio(1, 4), Ratio(0, 2)),
        ("[30, 40)", Ratio(0, 4), Ratio(1, 2)),
    ]


SCORES = st.lists(st.one_of(st.integers(-20, 120), st.sampled_from([0.5, 40.0, 77.75])), min_size=1, max_size=40)


@given(SCORES, SCORES)
def test_ks_is_symmetric_and_between_0_and_1(first: list[float], second: list[float]) -> None:
    found = ks_statistic(first, second)
    assert found is not None and 0 <= found <= 1
    assert ks_statistic(second, first) == found
    assert ks_statistic(first, first + first) == 0

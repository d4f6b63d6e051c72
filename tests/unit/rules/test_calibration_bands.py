"""Score bands (app/rules/calibration/bands.py): fixed-width bands and quantile bands cut at scores."""

from __future__ import annotations

from fractions import Fraction

import pytest

from app.rules.calibration.bands import (
    Band,
    CutBands,
    WidthBands,
    mean,
    number_text,
    quantile_bands,
    score_of,
    sorted_bands,
)
from app.rules.kpis import LeadCycle


@pytest.mark.parametrize(
    ("width", "score", "label"),
    [(10, 40, "[40, 50)"), (10, Fraction(99.5), "[90, 100)"), (10, -5, "[-10, 0)"), (25, 49, "[25, 50)"),
     (10, 0, "[0, 10)")],
)  # fmt: skip
def test_a_width_band_starts_at_a_multiple_of_the_width(width: int, score: Fraction | int, label: str) -> None:
    assert WidthBands(width).band_of(Fraction(score)).label == label


def test_quantile_bands_hold_about_n_over_q_scores_each() -> None:
    scheme = quantile_bands([Fraction(score) for score in range(1, 11)], 5)
    assert scheme.cuts == (3, 5, 7, 9)
    labels = [scheme.band_of(Fraction(score)).label for score in range(1, 11)]
    assert labels == ["< 3", "< 3", "[3, 5)", "[3, 5)", "[5, 7)", "[5, 7)", "[7, 9)", "[7, 9)", "≥ 9", "≥ 9"]


def test_quantile_bands_never_split_tied_scores() -> None:
    scheme = quantile_bands([Fraction(score) for score in (10, 10, 10, 10, 20, 30)], 3)
    assert scheme.cuts == (20,)  # the cut after rank 2 falls inside the tie at 10: it is not taken
    assert {scheme.band_of(Fraction(10)).label, scheme.band_of(Fraction(30)).label} == {"< 20", "≥ 20"}


def test_quantile_bands_of_no_score_or_one_score_have_no_cut() -> None:
    assert quantile_bands([], 4) == CutBands(())
    assert quantile_bands([Fraction(7)] * 5, 4).band_of(Fraction(7)).label == "all"


def test_bands_sort_from_the_lowest_scores_and_numbers_print_plainly() -> None:
    bands = [Band(Fraction(20), None), Band(None, Fraction(10)), Band(Fraction(10), Fraction(20))]
    assert [band.label for band in sorted_bands(bands)] == ["< 10", "[10, 20)", "≥ 20"]
    numbers = [Fraction(1, 3), Fraction(5, 2), Fraction(-4)]
    assert [number_text(value) for value in numbers] == ["0.3333", "2.5", "-4"]


@pytest.mark.parametrize("score", [float("nan"), float("inf"), float("-inf"), None])
def test_a_score_that_is_not_a_finite_number_is_no_score(score: float | None) -> None:
    assert score_of(LeadCycle(score_at_mql=score)) is None
    assert score_of(LeadCycle(score_at_mql=42.5)) == 42.5


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([60, 61, 64], Fraction(185, 3)),
        ([1, 2.5, 3], Fraction(13, 6)),
        ([0.1, 1], (Fraction(0.1) + 1) / 2),  # the float's exact value, not 0.55
        ([-10, 10, 0.5], Fraction(1, 6)),
        ([], None),
    ],
)
def test_the_mean_of_scores_is_exact_whether_they_are_whole_or_not(
    values: list[float], expected: Fraction | None
) -> None:
    assert mean(values) == expected

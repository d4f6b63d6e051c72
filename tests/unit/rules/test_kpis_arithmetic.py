"""Exact arithmetic of the KPI report: rates rounded half up, durations to the second, nearest-rank percentiles."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.rules.kpis.figures import Durations, Ratio, whole_seconds

START = datetime(2026, 11, 3, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("part", "whole", "rate"),
    [
        (57, 800, 0.0713),  # 0.07125 exactly: half up, where a float would give 0.0712
        (1, 8, 0.125),  # exactly representable: unchanged
        (2, 3, 0.6667),
        (1, 3, 0.3333),
        (1, 20_000, 0.0001),  # 0.00005: half up
        (1, 20_001, 0.0),
        (0, 5, 0.0),
        (5, 5, 1.0),
        (3, 2, 1.5),  # a count the contract does not bound by its denominator
    ],
)
def test_a_rate_is_the_exact_fraction_rounded_half_up_to_four_decimals(part: int, whole: int, rate: float) -> None:
    assert Ratio(part, whole).value == rate


def test_a_rate_over_nothing_is_null() -> None:
    assert Ratio(0, 0).value is None


@pytest.mark.parametrize(
    ("difference", "seconds"),
    [
        (timedelta(0), 0),
        (timedelta(seconds=59, microseconds=499_999), 59),
        (timedelta(seconds=59, microseconds=500_000), 60),  # half up
        (timedelta(microseconds=500_000), 1),
        (timedelta(days=2, seconds=3), 172_803),
    ],
)
def test_a_duration_is_the_exact_difference_rounded_half_up_to_whole_seconds(
    difference: timedelta, seconds: int
) -> None:
    assert whole_seconds(START, START + difference) == seconds


@pytest.mark.parametrize("difference", [timedelta(microseconds=-1), timedelta(seconds=-0.4), timedelta(days=-1)])
def test_a_negative_duration_is_left_out_even_when_it_would_round_to_zero(difference: timedelta) -> None:
    assert whole_seconds(START, START + difference) is None


@pytest.mark.parametrize(
    ("values", "p50", "p90", "p95"),
    [
        ([7], 7, 7, 7),
        ([9, 3], 3, 9, 9),  # ranks 1, 2, 2
        (list(range(1, 11)), 5, 9, 10),  # ranks 5, 9, 10 (9.5 → 10)
        (list(range(1, 21)), 10, 18, 19),  # ranks 10, 18, 19
        (list(range(1, 22)), 11, 19, 20),  # ranks 11 (10.5), 19 (18.9), 20 (19.95)
    ],
)
def test_percentiles_are_by_nearest_rank_over_the_sorted_values(
    values: list[int], p50: int, p90: int, p95: int
) -> None:
    durations = Durations.of(reversed(values))
    assert (durations.percentile(50), durations.percentile(90), durations.percentile(95)) == (p50, p90, p95)
    assert durations.count == len(values)


def test_percentiles_of_no_values_are_null() -> None:
    assert Durations.of([]).percentile(50) is None

"""The search for the lowest fitting threshold (docs/calibration.md, Capacity-aware threshold), on a synthetic
volume function: the weeks counted, the percentile read, the search's answer and its two edges (no threshold fits,
every threshold fits), two thresholds a backtest, and a volume that is not monotone said aloud."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from fractions import Fraction

import pytest

from app.rules.calibration.backtest import BacktestReport, BacktestWindow, ModelFigures
from app.rules.calibration.sweep import (
    Probe,
    Scale,
    lowest_fitting,
    span_weeks,
    threshold_grid,
    weekly_volume,
    window_weeks,
)

WEEKS = ("2026-W37", "2026-W38", "2026-W39", "2026-W40", "2026-W41")
GRID = threshold_grid(0, 100, 5)
WINDOW = BacktestWindow(datetime(2026, 9, 7, tzinfo=UTC), datetime(2026, 10, 12, tzinfo=UTC))
P80 = Scale(WEEKS, Fraction(5), 80)


def synthetic(volume: Callable[[float], list[int]], calls: list[float | None]) -> Probe:
    """A backtest of two thresholds (None: the current model, 10 MQLs a week), `volume(t)` MQLs in the five weeks."""

    def figures(threshold: float | None) -> ModelFigures:
        calls.append(threshold)
        weeks = [10] * 5 if threshold is None else volume(threshold)
        return ModelFigures(f"t{threshold}", Counter(dict(zip(WEEKS, weeks, strict=True))))

    def backtest(first: float | None, second: float | None) -> BacktestReport:
        return BacktestReport(WINDOW, WINDOW.end, figures(first), figures(second), contacts=7)

    return backtest


def falling(threshold: float) -> list[int]:
    """Fewer MQLs as the threshold rises: 100 − t in the busiest week, less in the others (80th percentile:
    the second busiest, (100 − t) // 2)."""
    top = max(0, 100 - int(threshold))
    return [top // 4, top // 2, top, top // 3, 0]


def test_the_weeks_of_a_window_are_every_iso_week_it_touches_and_its_span_is_exact() -> None:
    tuesday, monday = datetime(2026, 9, 1, 8, tzinfo=UTC), datetime(2026, 10, 12, tzinfo=UTC)
    assert window_weeks(tuesday, monday) == ("2026-W36", *WEEKS)  # the cut first week included; W42 not touched
    assert window_weeks(tuesday, datetime(2026, 9, 7, 0, 1, tzinfo=UTC)) == ("2026-W36", "2026-W37")
    assert span_weeks(WINDOW.start, WINDOW.end) == 5  # type: ignore[arg-type]
    assert span_weeks(tuesday, tuesday + timedelta(days=3, hours=12)) == Fraction(1, 2)


def test_a_week_without_an_mql_counts_zero_and_the_percentile_is_the_nearest_rank() -> None:
    volume = weekly_volume(20, Counter({"2026-W37": 4, "2026-W39": 9, "2026-W40": 1, "2030-W01": 99}), WEEKS, 80, 5)
    assert volume.weeks == (("2026-W37", 4), ("2026-W38", 0), ("2026-W39", 9), ("2026-W40", 1), ("2026-W41", 0))
    assert (volume.mean, volume.peak, volume.at_percentile) == (Fraction(14, 5), 9, 4)  # v[ceil(0.8·5)] = v[4]
    assert weekly_volume(20, Counter({"2026-W39": 9}), WEEKS, 100, 5).at_percentile == 9
    assert weekly_volume(20, Counter({"2026-W39": 9}), WEEKS, 1, 5).at_percentile == 0
    assert weekly_volume(20, Counter({"2026-W39": 9}), WEEKS, 1, Fraction(9, 2)).mean == 2  # 9 over 4.5 weeks


def test_the_grid_runs_from_zero_to_the_limit_by_the_step() -> None:
    assert GRID[:3] == (0, 5, 10) and GRID[-1] == 100 and len(GRID) == 21
    assert threshold_grid(0, 100, 30) == (0, 30, 60, 90, 100)


@pytest.mark.parametrize(("capacity", "chosen"), [(30, 40), (40, 20), (41, 20), (39, 25), (1, 100), (49, 5)])
def test_the_search_finds_the_lowest_threshold_that_fits(capacity: int, chosen: float) -> None:
    calls: list[float | None] = []
    sweep = lowest_fitting(GRID, capacity, P80, synthetic(falling, calls))
    assert sweep.chosen is not None and sweep.chosen.threshold == chosen and sweep.outcome == "fits"
    below = next(t for t in sweep.tried if t.threshold == chosen - 5)  # the search tried the one below: over
    assert below.volume.at_percentile > capacity >= sweep.chosen.volume.at_percentile
    assert calls[:2] == [None, 100]  # the current model and the top first
    assert len(calls) <= 8  # four backtests for 21 thresholds
    tried = [call for call in calls if call is not None]
    assert len(tried) == len(set(tried)) == len(sweep.tried)  # no threshold backtested twice
    assert sweep.current.volume.at_percentile == 10 and sweep.current.volume.threshold is None
    assert not sweep.not_monotone


def test_when_no_threshold_fits_it_says_so_after_one_backtest() -> None:
    calls: list[float | None] = []
    sweep = lowest_fitting(GRID, 3, P80, synthetic(lambda t: [5, 5, 5, 5, 5], calls))
    assert (sweep.chosen, sweep.outcome, calls) == (None, "none-fits", [None, 100])


def test_when_every_threshold_fits_the_lowest_is_chosen() -> None:
    sweep = lowest_fitting(GRID, 1000, P80, synthetic(falling, []))
    assert sweep.chosen is not None and (sweep.chosen.threshold, sweep.outcome) == (0, "every-fits")


def test_a_volume_that_rises_with_the_threshold_is_reported() -> None:
    def bumpy(threshold: float) -> list[int]:
        return [60] * 5 if threshold == 50 else falling(threshold)  # more MQLs at 50 than at 40

    sweep = lowest_fitting(GRID, 30, P80, synthetic(bumpy, []))
    assert [t.threshold for t in sweep.tried] == [30, 35, 40, 50, 65, 100]
    assert [(low.threshold, high.threshold) for low, high in sweep.not_monotone] == [(40, 50)]
    assert sweep.chosen is not None and sweep.chosen.threshold == 40


@pytest.mark.parametrize("boundary", range(22))
def test_every_boundary_of_21_thresholds_is_found_in_at_most_four_backtests(boundary: int) -> None:
    calls: list[float | None] = []
    sweep = lowest_fitting(GRID, 1, P80, synthetic(lambda t: [9] * 5 if t < 5 * boundary else [1] * 5, calls))
    assert (None if sweep.chosen is None else sweep.chosen.threshold) == (None if boundary == 21 else 5 * boundary)
    assert len(calls) <= 8  # two models a backtest

"""The capacity-aware MQL threshold: the lowest threshold whose backtested weekly MQL volume fits the capacity
(docs/calibration.md, Capacity-aware threshold).

A threshold's weekly volume is its backtest's MQL entries in each **ISO week** (Monday 00:00 UTC to the next) the
window touches, a week without an MQL counting 0; a week the window cuts counts only the MQLs inside the window, so
it is never over-counted — and a burst there (a lower threshold qualifying a backlog at once) still shows. It
**fits** when the nearest-rank `percentile` of those weeks (100 by default: every week) is at most the weekly
capacity. Raising the threshold never qualifies more contacts at a moment, so the volume should not rise with it;
the search assumes so and checks it over every threshold it tried, saying where it did not hold. Each backtest
replays two models, so each probe of the search tries two thresholds: the current model and the grid's top first,
then two thresholds splitting the bracket in thirds.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from fractions import Fraction
from itertools import pairwise

from app.rules.calibration.backtest import BacktestReport, ModelFigures, iso_week
from app.rules.values import as_utc

DEFAULT_PERCENTILE = 100
DEFAULT_STEP = 5


@dataclass(frozen=True, slots=True)
class WeeklyVolume:
    """The MQLs of each week of the window under one threshold, and what the sweep reads of them."""

    threshold: float | None  # None: the current model as it is
    weeks: tuple[tuple[str, int], ...]
    percentile: int  # the percentile asked for
    span: Fraction  # the window's length in weeks

    @property
    def mean(self) -> Fraction:
        """The MQLs of the window over its length in weeks."""
        return sum((Fraction(n) for _, n in self.weeks), Fraction(0)) / self.span

    @property
    def peak(self) -> int:
        """The most MQLs of one week."""
        return max(n for _, n in self.weeks)

    @property
    def at_percentile(self) -> int:
        """The nearest-rank percentile of the weeks' MQLs: `v[ceil(p/100 · n)]`, the values sorted ascending."""
        ordered = sorted(n for _, n in self.weeks)
        return ordered[max(1, math.ceil(self.percentile * len(ordered) / 100)) - 1]


@dataclass(frozen=True, slots=True)
class Tried:
    """A threshold the search backtested: its volume and its figures (MQLs, outcomes) under it."""

    volume: WeeklyVolume
    figures: ModelFigures

    @property
    def threshold(self) -> float:
        """The threshold tried."""
        assert self.volume.threshold is not None
        return self.volume.threshold


@dataclass(frozen=True)
class Sweep:
    """What the search found: the chosen threshold (None: none fits), every one tried, the current model's figures,
    and the pairs of tried thresholds where a higher one had more MQLs at the percentile."""

    capacity: int
    chosen: Tried | None
    tried: tuple[Tried, ...]
    current: Tried
    report: BacktestReport  # the last backtest: its contacts, window and `todays_values`

    @property
    def outcome(self) -> str:
        """`fits` (the lowest fitting threshold lies inside the grid), `every-fits` or `none-fits`."""
        if self.chosen is None:
            return "none-fits"
        return "every-fits" if self.chosen.threshold == min(t.threshold for t in self.tried) else "fits"

    @property
    def not_monotone(self) -> list[tuple[Tried, Tried]]:
        """Pairs of neighbouring tried thresholds where the higher one has more MQLs at the percentile."""
        ordered = sorted(self.tried, key=lambda t: t.threshold)
        return [(low, high) for low, high in pairwise(ordered) if high.volume.at_percentile > low.volume.at_percentile]


def window_weeks(start: datetime, end: datetime) -> tuple[str, ...]:
    """The ISO weeks (Monday 00:00 UTC to the next) that `[start, end)` touches, in order."""
    first, last = as_utc(start), as_utc(end)
    monday = (first - timedelta(days=first.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)
    weeks: list[str] = []
    while monday < last:
        weeks.append(iso_week(monday))
        monday += timedelta(days=7)
    return tuple(weeks)


def span_weeks(start: datetime, end: datetime) -> Fraction:
    """The length of `[start, end)` in weeks, exactly (to the second)."""
    return Fraction(int((as_utc(end) - as_utc(start)).total_seconds()), 7 * 86_400)


def weekly_volume(
    threshold: float | None, mql_weeks: Counter[str], weeks: Sequence[str], percentile: int, span: Fraction
) -> WeeklyVolume:
    """The MQLs of each of `weeks` (0 for a week without one)."""
    return WeeklyVolume(threshold, tuple((week, mql_weeks[week]) for week in weeks), percentile, span)


def threshold_grid(low: float, high: float, step: float) -> tuple[float, ...]:
    """The thresholds `low, low + step, …` up to `high`, `high` included."""
    count = math.floor((high - low) / step + 1e-9)
    grid = [low + step * k for k in range(count + 1)]
    return tuple(grid if grid[-1] == high else [*grid, high])


Probe = Callable[[float | None, float | None], BacktestReport]
"""Backtest two models: the one with the first threshold as `current`, the second as `candidate` (None: the current
model as it is)."""


@dataclass(frozen=True)
class Scale:
    """How the weeks are read: which weeks, the window's length in weeks, the percentile that must fit."""

    weeks: tuple[str, ...]
    span: Fraction
    percentile: int


def lowest_fitting(grid: Sequence[float], capacity: int, scale: Scale, backtest: Probe) -> Sweep:
    """Search `grid` (ascending) for the lowest threshold whose volume fits `capacity`, two thresholds a backtest."""
    search = _Search(grid, capacity, scale, backtest)
    reference = search.probe(None, len(grid) - 1)
    chosen: int | None = None
    if search.fits(len(grid) - 1):
        low, high = -1, len(grid) - 1  # `high` fits; `low` does not (-1: below the grid)
        while high - low > 1:
            low, high = search.narrow(low, high)
        chosen = high
    found = None if chosen is None else search.tried[grid[chosen]]
    tried = tuple(sorted(search.tried.values(), key=lambda t: t.threshold))
    return Sweep(capacity, found, tried, reference, search.reports[-1])


class _Search:
    """The thresholds tried so far and their volumes."""

    def __init__(self, grid: Sequence[float], capacity: int, scale: Scale, backtest: Probe) -> None:
        self.grid, self.capacity, self.scale, self.backtest = grid, capacity, scale, backtest
        self.tried: dict[float, Tried] = {}
        self.reports: list[BacktestReport] = []

    def probe(self, first: int | None, second: int | None) -> Tried:
        """Backtest the thresholds at two indexes of the grid (None: the current model); return the first's."""
        thresholds = [None if index is None else self.grid[index] for index in (first, second)]
        report = self.backtest(*thresholds)
        self.reports.append(report)
        found = [self._record(t, figures) for t, figures in zip(thresholds, (report.current, report.candidate),
                                                                  strict=True)]  # fmt: skip
        return found[0]

    def _record(self, threshold: float | None, figures: ModelFigures) -> Tried:
        scale = self.scale
        tried = Tried(weekly_volume(threshold, figures.mql_weeks, scale.weeks, scale.percentile, scale.span), figures)
        if threshold is not None:
            self.tried[threshold] = tried
        return tried

    def fits(self, index: int) -> bool:
        """Whether the tried threshold at `index` fits the capacity."""
        return self.tried[self.grid[index]].volume.at_percentile <= self.capacity

    def narrow(self, low: int, high: int) -> tuple[int, int]:
        """Try one or two thresholds strictly between `low` and `high`; return the narrower bracket."""
        first = low + max(1, (high - low) // 3)
        second = low + max(2, 2 * (high - low) // 3)
        if second >= high:
            self.probe(first, None)
            return (low, first) if self.fits(first) else (first, high)
        self.probe(first, second)
        if self.fits(first):
            return low, first
        return (first, second) if self.fits(second) else (second, high)

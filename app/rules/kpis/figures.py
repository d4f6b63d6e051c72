"""The exact arithmetic of the KPI report (docs/kpis.md, "Exact arithmetic"): rates, durations, percentiles.

Nothing here goes through a float before rounding: a rate is a `Fraction` rounded half up to 4 decimals, a
duration is the exact difference in microseconds rounded half up to a whole second, and a percentile's rank is
`ceil(X · n / 100)` in integers.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction

PERCENTILES = (50, 90, 95)
MICROSECONDS = 1_000_000


def round_half_up(value: Fraction, decimals: int = 4) -> Fraction:
    """Return `floor(value · 10^decimals + 1/2) / 10^decimals`, exactly."""
    scale = 10**decimals
    return Fraction(math.floor(value * scale + Fraction(1, 2)), scale)


def percent_figure(share: Fraction) -> str:
    """Return a share as a percentage with one decimal, rounded half up on the exact value (`0.0625` → `6.3`):
    the one way the table and the dashboard print a rate."""
    return f"{float(round_half_up(share * 100, 1)):.1f}"


@dataclass(frozen=True)
class Ratio:
    """A rate as its count and denominator: `part / whole`, null when `whole` is 0."""

    part: int
    whole: int

    @property
    def value(self) -> float | None:
        """Return the rate rounded half up to 4 decimals, or None when the denominator is 0."""
        return None if self.whole == 0 else float(round_half_up(Fraction(self.part, self.whole)))


def whole_seconds(start: datetime, end: datetime) -> int | None:
    """Return `end - start` in whole seconds (exact difference rounded half up), or None when it is negative."""
    difference = end - start
    microseconds = (difference.days * 86_400 + difference.seconds) * MICROSECONDS + difference.microseconds
    if microseconds < 0:
        return None
    return (microseconds + MICROSECONDS // 2) // MICROSECONDS


@dataclass(frozen=True)
class Durations:
    """Durations in whole seconds, sorted ascending."""

    seconds: tuple[int, ...]

    @classmethod
    def of(cls, values: Iterable[int]) -> Durations:
        """Return the durations of `values`, sorted."""
        return cls(tuple(sorted(values)))

    @property
    def count(self) -> int:
        """Return how many durations there are."""
        return len(self.seconds)

    def percentile(self, x: int) -> int | None:
        """Return the nearest-rank X-th percentile `v[ceil(X · n / 100)]`, or None when there are no values."""
        if not self.seconds:
            return None
        rank = -(-x * self.count // 100)
        return self.seconds[rank - 1]


@dataclass(frozen=True)
class WindowFigures:
    """The funnel, rates and times of one window (the report's or a period's)."""

    window_from: datetime
    window_to: datetime
    funnel: Mapping[str, int]
    rates: Mapping[str, Ratio]
    times: Mapping[str, Durations]


@dataclass(frozen=True)
class Conversion:
    """One step of the funnel: the members of C that reached `from_step`, and those of them that reached `to_step`."""

    from_step: str
    to_step: str
    ratio: Ratio


@dataclass(frozen=True)
class GradeFigures:
    """The members of C with one grade at MQL: counts and rates within the grade."""

    mqls: int
    accepted: int
    won: int
    sales_acceptance: Ratio
    closed_won: Ratio


@dataclass(frozen=True)
class KpiReport:
    """Every figure of the report, with the denominators of its rates."""

    as_of: datetime
    window: WindowFigures
    conversion: tuple[Conversion, ...]
    by_grade: Mapping[str, GradeFigures]
    rejection_reasons: Mapping[str, int]
    periods: tuple[WindowFigures, ...] | None

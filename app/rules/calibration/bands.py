"""Score bands at MQL (docs/calibration.md, "Bands"): fixed-width bands, or quantile bands cut at scores.

A band is `[low, high)` of `score_at_mql`; a quantile band may be open on one side. Scores stay as the facts hold
them, int or float, which Python compares exactly, so every score falls in exactly one band and tied scores share
one; only means are computed, exactly, as fractions.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction

from app.rules.kpis.facts import LeadCycle

DEFAULT_WIDTH = 10
Score = float  # a score at MQL as the facts hold it: an int or a finite float


def score_of(cycle: LeadCycle) -> Score | None:
    """Return the cycle's score at MQL, or None without one (a NaN or an infinity is no score)."""
    score = cycle.score_at_mql
    return score if score is not None and math.isfinite(score) else None


@dataclass(frozen=True, order=True)
class Band:
    """The scores `low <= s < high`; None: unbounded on that side (quantile bands' ends)."""

    low: Score | None
    high: Score | None

    @property
    def label(self) -> str:
        """Return `[40, 50)`, `< 40` or `≥ 80`."""
        if self.low is None:
            return f"< {number_text(self.high)}" if self.high is not None else "all"
        if self.high is None:
            return f"≥ {number_text(self.low)}"
        return f"[{number_text(self.low)}, {number_text(self.high)})"

    def sort_key(self) -> tuple[int, Score]:
        """Return a key ordering bands from the lowest scores up (the open lower band first)."""
        return (0, 0) if self.low is None else (1, self.low)


def number_text(value: Score | Fraction | None) -> str:
    """Return a score as text: `40`, `42.5`, `-10` (a longer fraction to 4 decimals)."""
    if value is None:
        return "–"
    exact = Fraction(value)
    if exact.denominator == 1:
        return str(exact.numerator)
    return f"{float(exact):.4f}".rstrip("0").rstrip(".")


@dataclass(frozen=True)
class WidthBands:
    """Bands `width` points wide, from multiples of the width: `[40, 50)` for a width of 10."""

    width: int = DEFAULT_WIDTH

    def band_of(self, score: Score) -> Band:
        """Return the band holding the score."""
        low = math.floor(score // self.width) * self.width
        return Band(low, low + self.width)


@dataclass(frozen=True)
class CutBands:
    """Bands cut at ascending scores: `< e1`, `[e1, e2)`, …, `≥ ek` (quantile bands, the cuts from the cohort)."""

    cuts: tuple[Score, ...]

    def band_of(self, score: Score) -> Band:
        """Return the band holding the score."""
        low: Score | None = None
        for cut in self.cuts:
            if score < cut:
                return Band(low, cut)
            low = cut
        return Band(low, None)


BandScheme = WidthBands | CutBands


def quantile_bands(scores: Iterable[Score], quantiles: int) -> CutBands:
    """Return bands cut after the nearest-rank k/q quantiles of the scores: at `v[ceil(k · n / q) + 1]` for
    k = 1 … q-1 (v ascending, 1-based), so the band below a cut holds the lowest `ceil(k · n / q)` scores; a tie at
    a cut goes to the band above, each cut is taken once, and none at the lowest score."""
    ordered = sorted(scores)
    n = len(ordered)
    ranks = (-(-k * n // quantiles) for k in range(1, quantiles))
    cuts = {ordered[rank] for rank in ranks if rank < n}
    return CutBands(tuple(sorted(cut for cut in cuts if cut > ordered[0])))


def sorted_bands(bands: Iterable[Band]) -> list[Band]:
    """Return the distinct bands, lowest scores first."""
    return sorted(set(bands), key=Band.sort_key)


def mean(values: Sequence[Score]) -> Fraction | None:
    """Return the exact mean, or None of nothing (whole scores summed as integers, the others as fractions: the
    same sum, without a fraction per whole score)."""
    if not values:
        return None
    whole = sum(value for value in values if type(value) is int)
    rest = sum((Fraction(value) for value in values if type(value) is not int), Fraction(0))
    return (rest + whole) / len(values)

"""Score bands at MQL (docs/calibration.md, "Bands"): fixed-width bands, or quantile bands cut at scores.

A band is `[low, high)` of `score_at_mql`; a quantile band may be open on one side. Scores are compared exactly
(a float score as the exact value it holds), so every score falls in exactly one band and tied scores share one.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction

DEFAULT_WIDTH = 10


@dataclass(frozen=True, order=True)
class Band:
    """The scores `low <= s < high`; None: unbounded on that side (quantile bands' ends)."""

    low: Fraction | None
    high: Fraction | None

    @property
    def label(self) -> str:
        """Return `[40, 50)`, `< 40` or `≥ 80`."""
        if self.low is None:
            return f"< {number_text(self.high)}" if self.high is not None else "all"
        if self.high is None:
            return f"≥ {number_text(self.low)}"
        return f"[{number_text(self.low)}, {number_text(self.high)})"

    def sort_key(self) -> tuple[int, Fraction]:
        """Return a key ordering bands from the lowest scores up (the open lower band first)."""
        return (0, Fraction(0)) if self.low is None else (1, self.low)


def number_text(value: Fraction | None) -> str:
    """Return a score as text: `40`, `42.5`, `-10` (a repeating fraction to 4 decimals)."""
    if value is None:
        return "–"
    if value.denominator == 1:
        return str(value.numerator)
    return f"{float(value):.4f}".rstrip("0").rstrip(".")


def score_value(score: float) -> Fraction:
    """Return a score as its exact value."""
    return Fraction(score)


@dataclass(frozen=True)
class WidthBands:
    """Bands `width` points wide, from multiples of the width: `[40, 50)` for a width of 10."""

    width: int = DEFAULT_WIDTH

    def band_of(self, score: Fraction) -> Band:
        """Return the band holding the score."""
        low = math.floor(score / self.width) * self.width
        return Band(Fraction(low), Fraction(low + self.width))


@dataclass(frozen=True)
class CutBands:
    """Bands cut at ascending scores: `< e1`, `[e1, e2)`, …, `≥ ek` (quantile bands, the cuts from the cohort)."""

    cuts: tuple[Fraction, ...]

    def band_of(self, score: Fraction) -> Band:
        """Return the band holding the score."""
        low: Fraction | None = None
        for cut in self.cuts:
            if score < cut:
                return Band(low, cut)
            low = cut
        return Band(low, None)


BandScheme = WidthBands | CutBands


def quantile_bands(scores: Iterable[Fraction], quantiles: int) -> CutBands:
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


def mean(values: Sequence[Fraction]) -> Fraction | None:
    """Return the exact mean, or None of nothing."""
    return sum(values, Fraction(0)) / len(values) if values else None

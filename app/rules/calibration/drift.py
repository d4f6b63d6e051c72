"""Score drift between two periods (docs/calibration.md, "Drift"): how the scores at MQL moved.

Each period is a sample of `score_at_mql`; the figures are the mean, the nearest-rank median, the two-sample
Kolmogorov–Smirnov statistic (the largest gap between the two empirical distribution functions) and each band's
share in either period.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction

from app.rules.calibration.bands import Band, BandScheme, Score, mean, sorted_bands
from app.rules.kpis.figures import Ratio

KS_ALPHA_05 = 1.3581  # c(α) of the two-sample KS test at α = 0.05: D is significant above c · sqrt((n + m) / (n · m))


@dataclass(frozen=True)
class ScoreSample:
    """The scores at MQL of one period `[start, end)` (None: the period is open on that side), ascending."""

    start: datetime | None
    end: datetime | None
    scores: tuple[Score, ...]

    @property
    def mean(self) -> Fraction | None:
        """Return the exact mean score, or None of no score."""
        return mean(self.scores)

    @property
    def median(self) -> Score | None:
        """Return the nearest-rank median `v[ceil(n / 2)]`, or None of no score."""
        return self.scores[(len(self.scores) + 1) // 2 - 1] if self.scores else None


@dataclass(frozen=True)
class BandShare:
    """One band's share of the scores in each period."""

    band: Band
    first: Ratio
    second: Ratio


@dataclass(frozen=True)
class Drift:
    """The two periods compared, their KS statistic and its 5 % critical value, and the bands' shares."""

    first: ScoreSample
    second: ScoreSample
    ks: Fraction | None  # None when a period has no score
    critical: float | None
    shares: tuple[BandShare, ...]

    @property
    def shifted(self) -> bool | None:
        """Return whether D exceeds the 5 % critical value (the distributions differ), or None without a D."""
        return None if self.ks is None or self.critical is None else float(self.ks) > self.critical


def ks_statistic(first: Sequence[Score], second: Sequence[Score]) -> Fraction | None:
    """Return `D = max over x of |F₁(x) − F₂(x)|`, F the share of a sample `<= x`, over every score of either."""
    if not first or not second:
        return None
    a, b = sorted(first), sorted(second)
    n, m = len(a), len(b)
    i = j = largest = 0  # the largest |i · m − j · n|: the gap times n · m, in integers
    while i < n or j < m:
        x = a[i] if j == m or (i < n and a[i] <= b[j]) else b[j]
        while i < n and a[i] == x:
            i += 1
        while j < m and b[j] == x:
            j += 1
        largest = max(largest, abs(i * m - j * n))
    return Fraction(largest, n * m)


def ks_critical(n: int, m: int) -> float | None:
    """Return the 5 % critical value of D for samples of n and m, `1.3581 · sqrt((n + m) / (n · m))`."""
    return None if n == 0 or m == 0 else KS_ALPHA_05 * math.sqrt((n + m) / (n * m))


def score_drift(first: ScoreSample, second: ScoreSample, scheme: BandScheme) -> Drift:
    """Return the drift from the first period to the second."""
    counts = [Counter(scheme.band_of(score) for score in sample.scores) for sample in (first, second)]
    shares = tuple(
        BandShare(band, Ratio(counts[0][band], len(first.scores)), Ratio(counts[1][band], len(second.scores)))
        for band in sorted_bands([*counts[0], *counts[1]])
    )
    ks = ks_statistic(first.scores, second.scores)
    return Drift(first, second, ks, ks_critical(len(first.scores), len(second.scores)), shares)

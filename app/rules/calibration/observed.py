"""The calibration table (docs/calibration.md, "Calibration table"): each band's observed rate against the overall
rate of the same cycles.

A score is points, not a probability, so no band has a predicted probability to compare with. What the table
compares instead: the observed rate of each band (with its Wilson interval) against the rate of all the scored
cycles with a known outcome. A score that ranks well has bands below the overall rate at the bottom and above it at
the top; `index` is the band's rate over the overall rate.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

from app.rules.calibration.conversion import GroupFigures
from app.rules.calibration.outcomes import Outcome
from app.rules.kpis.figures import Ratio
from app.rules.kpis.intervals import wilson

Verdict = Literal["above", "below", "within", "unknown"]


@dataclass(frozen=True)
class CalibrationRow:
    """One band: its mean score, observed rate, the overall rate, the index and where the overall rate falls."""

    band: str
    mean_score: Fraction | None
    observed: Ratio
    overall: Ratio
    index: Fraction | None  # observed rate / overall rate; None without either
    verdict: Verdict  # above: the interval lies above the overall rate; below: under it; within: it holds it


def verdict(observed: Ratio, overall: Ratio) -> Verdict:
    """Return where the band's Wilson 95 % interval lies against the overall rate."""
    found = wilson(observed)
    if found is None or overall.whole == 0:
        return "unknown"
    rate = Fraction(overall.part, overall.whole)
    low, high = (Fraction(repr(bound)) for bound in found)
    if low > rate:
        return "above"
    return "below" if high < rate else "within"


def calibration_rows(bands: Sequence[GroupFigures], outcome: Outcome) -> list[CalibrationRow]:
    """Return the outcome's calibration table over the bands (the overall rate: all the bands' known outcomes)."""
    ratios = [band.rates[outcome].ratio for band in bands]
    overall = Ratio(sum(ratio.part for ratio in ratios), sum(ratio.whole for ratio in ratios))
    rows = []
    for band, ratio in zip(bands, ratios, strict=True):
        index = (
            None
            if ratio.whole == 0 or overall.part == 0
            else Fraction(ratio.part * overall.whole, ratio.whole * overall.part)
        )
        rows.append(CalibrationRow(band.key, band.mean_score, ratio, overall, index, verdict(ratio, overall)))
    return rows

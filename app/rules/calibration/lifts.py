"""Per-rule lift (docs/calibration.md, Suggestions): the outcome's rate among the decision-time rows that had a fit
rule matched or an event type counted, against the rate among those that had not. Pure, exact fractions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from app.rules.calibration.features import Feature, FeatureRow, present
from app.rules.calibration.sufficiency import MIN_EACH
from app.rules.kpis.figures import Ratio


@dataclass(frozen=True)
class Lift:
    """A rule's rates with and without it; `lift` = the rate with it / the overall rate (None without a positive
    overall or without a row having it); `small`: either side has fewer than MIN_EACH rows."""

    feature: Feature
    having: Ratio
    lacking: Ratio
    lift: Fraction | None

    @property
    def small(self) -> bool:
        """Return whether either side is too small to read its rate (fewer than MIN_EACH known outcomes)."""
        return self.having.whole < MIN_EACH or self.lacking.whole < MIN_EACH


def rule_lifts(features: Sequence[Feature], rows: Sequence[FeatureRow]) -> list[Lift]:
    """Return each feature's lift over the rows, in feature order."""
    positives = sum(1 for row in rows if row.positive)
    return [_lift(feature, index, rows, positives) for index, feature in enumerate(features)]


def _lift(feature: Feature, index: int, rows: Sequence[FeatureRow], positives: int) -> Lift:
    has = present(rows, index)
    having = Ratio(sum(1 for row, h in zip(rows, has, strict=True) if h and row.positive), sum(has))
    lacking = Ratio(positives - having.part, len(rows) - having.whole)
    lift = None
    if positives and having.whole:
        lift = Fraction(having.part, having.whole) / Fraction(positives, len(rows))
    return Lift(feature, having, lacking, lift)

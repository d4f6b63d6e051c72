"""Rejection reasons (docs/calibration.md, "Rejections"): the cohort's reached rejections by reason, and by grade at
MQL and reason — each reason keyed as the KPI report keys it, so the two reports count the same rejections alike."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from app.rules.calibration.outcomes import Horizon
from app.rules.kpis.facts import LeadCycle
from app.rules.kpis.report import NONE, reason_key


@dataclass(frozen=True)
class Rejections:
    """Counts of rejections by reason (most frequent first, ties by reason) and by grade, then reason."""

    by_reason: Mapping[str, int]
    by_grade: Mapping[str, Mapping[str, int]]

    @property
    def total(self) -> int:
        """Return how many rejections there are."""
        return sum(self.by_reason.values())


def pareto(counts: Counter[str]) -> dict[str, int]:
    """Return the counts most frequent first, ties by key."""
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def rejections(cycles: Iterable[LeadCycle], horizon: Horizon) -> Rejections:
    """Return the rejections of the cycles that reached `rejected_at`."""
    rejected = [cycle for cycle in cycles if horizon.reached(cycle.rejected_at)]
    by_reason = Counter(reason_key(cycle.rejection_reason) for cycle in rejected)
    grades: dict[str, Counter[str]] = {}
    for cycle in rejected:
        grades.setdefault(cycle.grade_at_mql or NONE, Counter())[reason_key(cycle.rejection_reason)] += 1
    return Rejections(pareto(by_reason), {grade: pareto(grades[grade]) for grade in sorted(grades)})

"""The facts a window's report can count, found without scanning them all. Pure.

Every figure of a report over `[from, to)` (and its periods, which lie inside it) counts only members of L (the
`created_at` cohort) or C (the `mql_at` cohort) of that window, so the report of the facts this index returns for
the window equals the report of all the facts. Both fields are kept sorted; a window is two binary searches.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime

from app.rules.kpis.facts import LeadCycle, in_utc
from app.rules.kpis.figures import KpiReport
from app.rules.kpis.periods import Period, periods
from app.rules.kpis.report import compute_kpis


class FactIndex:
    """Lead-cycle facts sorted by `created_at` and by `mql_at`."""

    def __init__(self, facts: Iterable[LeadCycle]) -> None:
        self.facts = tuple(facts)
        self._sorted = (_by(self.facts, "created_at"), _by(self.facts, "mql_at"))

    def within(self, window_from: datetime, window_to: datetime) -> list[LeadCycle]:
        """Return the facts whose `created_at` or `mql_at` lies in `[window_from, window_to)`, each once."""
        (created_keys, created), (mql_keys, qualified) = self._sorted
        found = created[bisect.bisect_left(created_keys, window_from) : bisect.bisect_left(created_keys, window_to)]
        found += [  # the MQLs of the window created outside it (those created inside it are found already)
            fact
            for fact in qualified[bisect.bisect_left(mql_keys, window_from) : bisect.bisect_left(mql_keys, window_to)]
            if fact.created_at is None or not window_from <= fact.created_at < window_to
        ]
        return found


def _by(facts: Iterable[LeadCycle], field: str) -> tuple[list[datetime], list[LeadCycle]]:
    """Return the facts with `field` set, sorted by it, and their values of it."""
    pairs: list[tuple[datetime, LeadCycle]] = []
    for fact in facts:
        moment: datetime | None = getattr(fact, field)
        if moment is not None:
            pairs.append((moment, fact))
    pairs.sort(key=lambda pair: pair[0])
    return [moment for moment, _ in pairs], [fact for _, fact in pairs]


def indexed_kpis(
    index: FactIndex, window_from: datetime, window_to: datetime, as_of: datetime, by: Period | None = None
) -> KpiReport:
    """Return `compute_kpis` of all the facts, computed from each window's and period's own facts only."""
    report = compute_kpis(index.within(window_from, window_to), window_from, window_to, as_of)
    if by is None:
        return report
    cuts = periods(in_utc(window_from), in_utc(window_to), by)
    return replace(report, periods=tuple(
        compute_kpis(index.within(start, end), start, end, as_of).window for start, end in cuts
    ))  # fmt: skip

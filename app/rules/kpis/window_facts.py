"""The facts a window's report can count, found without scanning them all. Pure.

Every figure of a report over `[from, to)` (and its periods, which lie inside it) counts only members of L (the
`created_at` cohort) or C (the `mql_at` cohort) of that window, so the report of the facts this index returns for
the window equals the report of all the facts. Both fields are kept sorted; a window is two binary searches.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from datetime import datetime

from app.rules.kpis.facts import LeadCycle


class FactIndex:
    """Lead-cycle facts sorted by `created_at` and by `mql_at`."""

    def __init__(self, facts: Iterable[LeadCycle]) -> None:
        self.facts = tuple(facts)
        self._sorted = (_by(self.facts, "created_at"), _by(self.facts, "mql_at"))

    def within(self, window_from: datetime, window_to: datetime) -> list[LeadCycle]:
        """Return the facts whose `created_at` or `mql_at` lies in `[window_from, window_to)`, each once."""
        found: dict[int, LeadCycle] = {}
        for keys, ordered in self._sorted:
            first, last = bisect.bisect_left(keys, window_from), bisect.bisect_left(keys, window_to)
            for fact in ordered[first:last]:
                found[id(fact)] = fact
        return list(found.values())


def _by(facts: Iterable[LeadCycle], field: str) -> tuple[list[datetime], list[LeadCycle]]:
    """Return the facts with `field` set, sorted by it, and their values of it."""
    pairs: list[tuple[datetime, LeadCycle]] = []
    for fact in facts:
        moment: datetime | None = getattr(fact, field)
        if moment is not None:
            pairs.append((moment, fact))
    pairs.sort(key=lambda pair: pair[0])
    return [moment for moment, _ in pairs], [fact for _, fact in pairs]

"""The dashboard's figures beyond the report (docs/dashboard.md): KPI tiles against the previous period, weekly
trends, response times by owner, rejection reasons as a Pareto, breaches this week. Pure, over the report's own
definitions (app/rules/kpis/report.py): nothing here counts differently from `leadflow kpis`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from app.rules.kpis.document import times_document
from app.rules.kpis.facts import LeadCycle
from app.rules.kpis.figures import Durations, KpiReport, Ratio
from app.rules.kpis.periods import week_start
from app.rules.kpis.report import NONE, TIMES, durations, members

# The tiles, in order: rate key → its label.
TILES = {
    "mql_to_sql": "MQL → SQL",
    "sales_acceptance": "Sales acceptance",
    "worked": "Worked",
    "closed_won": "Closed-won",
    "win": "Win",
    "sla_met": "SLA met",
}
OWNER_TIMES = ("time_to_lead", "time_to_response")


@dataclass(frozen=True)
class Tile:
    """One KPI: its rate now with its n, the rate of the previous period, and the change in percentage points."""

    key: str
    label: str
    ratio: Ratio
    previous: Ratio
    trend: tuple[float | None, ...]

    @property
    def change(self) -> float | None:
        """Return the change against the previous period in percentage points, or None when either has no rate."""
        now, before = self.ratio.value, self.previous.value
        return None if now is None or before is None else round((now - before) * 100, 1)


@dataclass(frozen=True)
class ParetoRow:
    """A rejection reason: its count, its share of all rejections and the cumulative share up to it."""

    reason: str
    count: int
    share: float
    cumulative: float


def previous_window(window_from: datetime, window_to: datetime) -> tuple[datetime, datetime]:
    """Return the period of equal length that ends where the window starts."""
    return window_from - (window_to - window_from), window_from


def tiles(current: KpiReport, previous: KpiReport) -> list[Tile]:
    """Return the KPI tiles: each rate now, before, and its weekly trend (from `current`'s periods)."""
    periods = current.periods or ()
    return [
        Tile(key, label, current.window.rates[key], previous.window.rates[key],
             tuple(period.rates[key].value for period in periods))
        for key, label in TILES.items()
    ]  # fmt: skip


def pareto(reasons: Mapping[str, int]) -> list[ParetoRow]:
    """Return the reasons by count, largest first (ties by reason), with their share and the cumulative share."""
    total = sum(reasons.values())
    rows: list[ParetoRow] = []
    running = 0
    for reason, count in sorted(reasons.items(), key=lambda item: (-item[1], item[0])):
        running += count
        rows.append(ParetoRow(reason, count, count / total, running / total))
    return rows


def times_by_owner(
    facts: Iterable[LeadCycle], window_from: datetime, window_to: datetime, as_of: datetime
) -> dict[str, dict[str, Durations]]:
    """Return time-to-lead and time-to-response of the MQL cohort per owner (`none`: not handed over), by owner."""
    owners: dict[str, list[LeadCycle]] = {}
    for fact in members(facts, "mql_at", window_from, window_to, as_of):
        owners.setdefault(fact.owner or NONE, []).append(fact)
    return {
        owner: {key: durations(cohort, *TIMES[key], as_of) for key in OWNER_TIMES}
        for owner, cohort in sorted(owners.items())
    }


percentiles = times_document  # the count and the P50/P90/P95 of durations, as the report's JSON writes them


def breaches_this_week(facts: Iterable[LeadCycle], now: datetime) -> list[LeadCycle]:
    """Return the handovers whose response was due this week (up to now) and not touched by then, by due time."""
    monday = week_start(now)
    found = [
        fact
        for fact in facts
        if fact.due_at is not None
        and monday <= fact.due_at <= now
        and (fact.first_touch_at is None or fact.first_touch_at > fact.due_at)
    ]
    return sorted(found, key=lambda fact: (fact.due_at, fact.contact or ""))

"""Time-to-response in business hours: from a handover's SLA clock start to its first touch, counted in the
working time of its SLA target's calendar (app/rules/calendar.py). Pure.

The KPI contract (docs/kpis.md) measures wall-clock time; this is the dashboard's added view. It takes the first
handover of each lead cycle of the MQL cohort that has a clock and a touch; the clock starts when its current
owner got it (`sla_clock_at`, moved by a reassignment), as the SLA counts it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from app.rules.calendar import Calendar, business_minutes_between
from app.rules.kpis.facts import LeadCycle
from app.rules.kpis.figures import Durations


@dataclass(frozen=True)
class TouchClock:
    """A handover's SLA clock: its lead cycle, when it was assigned, its clock start, first touch and calendar."""

    contact: str
    cycle: int
    owner: str | None
    assigned_at: datetime
    clock_at: datetime
    first_touch_at: datetime | None
    calendar: Calendar | None


def business_response(cohort: Iterable[LeadCycle], clocks: Iterable[TouchClock]) -> dict[str, Durations]:
    """Return the business-hours response times (whole seconds) of the cohort's cycles, overall (`all`) and by
    owner (the first handover's owner; `none` without one)."""
    wanted = {(fact.contact, fact.cycle) for fact in cohort}
    first: dict[tuple[str, int], TouchClock] = {}
    for clock in clocks:
        key = (clock.contact, clock.cycle)
        if key in wanted and (key not in first or clock.assigned_at < first[key].assigned_at):
            first[key] = clock
    found: dict[str, list[int]] = {"all": []}
    for clock in first.values():
        if clock.first_touch_at is None or clock.calendar is None or clock.first_touch_at < clock.clock_at:
            continue
        minutes = business_minutes_between(clock.calendar, clock.clock_at, clock.first_touch_at)
        seconds = int(minutes * 60 + 0.5)
        found["all"].append(seconds)
        found.setdefault(clock.owner or "none", []).append(seconds)
    return {owner: Durations.of(values) for owner, values in found.items()}

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


class BusinessResponses:
    """The first handover of each lead cycle with its business-hours response, computed once per handover."""

    def __init__(self, clocks: Iterable[TouchClock]) -> None:
        self._first: dict[tuple[str, int], TouchClock] = {}
        for clock in clocks:
            key = (clock.contact, clock.cycle)
            if key not in self._first or clock.assigned_at < self._first[key].assigned_at:
                self._first[key] = clock
        self._seconds: dict[tuple[str, int], int | None] = {}

    def of(self, cohort: Iterable[LeadCycle], as_of: datetime) -> dict[str, Durations]:
        """Return the cohort's business-hours response times (whole seconds) of touches reached by `as_of`, overall
        (`all`) and by owner (the first handover's owner; `none` without one)."""
        found: dict[str, list[int]] = {"all": []}
        for fact in cohort:
            key = (fact.contact or "", fact.cycle or 0)
            clock = self._first.get(key)
            if clock is None or clock.first_touch_at is None or clock.first_touch_at > as_of:
                continue
            seconds = self._seconds[key] if key in self._seconds else self._seconds.setdefault(key, _seconds(clock))
            if seconds is not None:
                found["all"].append(seconds)
                found.setdefault(clock.owner or "none", []).append(seconds)
        return {owner: Durations.of(values) for owner, values in found.items()}


def business_response(
    cohort: Iterable[LeadCycle], clocks: Iterable[TouchClock], as_of: datetime
) -> dict[str, Durations]:
    """Return the business-hours response times of the cohort's cycles (see `BusinessResponses.of`)."""
    return BusinessResponses(clocks).of(cohort, as_of)


def _seconds(clock: TouchClock) -> int | None:
    """Return the working seconds from the clock's start to its first touch, or None when they cannot be counted."""
    if clock.first_touch_at is None or clock.calendar is None or clock.first_touch_at < clock.clock_at:
        return None
    return int(business_minutes_between(clock.calendar, clock.clock_at, clock.first_touch_at) * 60 + 0.5)

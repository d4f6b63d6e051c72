"""The SLA clock of one handover: its points in time from the assignment, and its status at a moment."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from app.rules.calendar import Calendar, add_business_time
from app.rules.sla.policy import SlaConfig, Target
from app.rules.values import as_utc


class SlaStatus(StrEnum):
    """Where a handover stands: open (on_track, at_risk, breached) or closed by its first touch (met, missed)."""

    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    BREACHED = "breached"
    MET = "met"
    MISSED = "missed"


@dataclass(frozen=True, slots=True)
class SlaPoints:
    """A handover's clock as aware UTC instants: reminders, due (100 %), escalation and reassignment."""

    assigned_at: datetime
    due_at: datetime
    reminders: tuple[datetime, ...] = ()
    escalation_at: datetime | None = None
    reassignment_at: datetime | None = None

    @property
    def at_risk_from(self) -> datetime:
        """The first reminder point; the due time when there are no reminders."""
        return self.reminders[0] if self.reminders else self.due_at


def point_at(calendar: Calendar, assigned_at: datetime, target: Target, percent: float) -> datetime:
    """Return the instant `percent` of the target's business time after the assignment."""
    return add_business_time(calendar, assigned_at, target.response * (percent / 100))


def sla_points(config: SlaConfig, target: Target, assigned_at: datetime) -> SlaPoints:
    """Return the clock of a handover assigned at `assigned_at` under `target` (its calendar counts)."""
    calendar = target.calendar
    reassignment = config.reassignment
    return SlaPoints(
        assigned_at=as_utc(assigned_at),
        due_at=point_at(calendar, assigned_at, target, 100),
        reminders=tuple(point_at(calendar, assigned_at, target, percent) for percent in config.reminders),
        escalation_at=point_at(calendar, assigned_at, target, config.escalation.percent),
        reassignment_at=point_at(calendar, assigned_at, target, reassignment.percent) if reassignment else None,
    )


def at_risk_points(config: SlaConfig, target: Target | None, clock_at: datetime, due_at: datetime) -> SlaPoints:
    """Return the points `sla_status` needs of a started clock (its due time as stored, its first reminder),
    computing one business-time point instead of all of them."""
    if target is None or not config.reminders:
        return SlaPoints(as_utc(clock_at), as_utc(due_at))
    first = point_at(target.calendar, clock_at, target, config.reminders[0])
    return SlaPoints(as_utc(clock_at), as_utc(due_at), (first,))


def sla_status(points: SlaPoints, first_touch_at: datetime | None, now: datetime) -> SlaStatus:
    """Classify a handover: met or missed once touched (a touch at the due time is in time), else by `now`."""
    if first_touch_at is not None:
        return SlaStatus.MET if as_utc(first_touch_at) <= points.due_at else SlaStatus.MISSED
    moment = as_utc(now)
    if moment > points.due_at:
        return SlaStatus.BREACHED
    return SlaStatus.AT_RISK if moment >= points.at_risk_from else SlaStatus.ON_TRACK

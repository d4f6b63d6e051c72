"""How many leads a week sales can work within the SLA (docs/calibration.md, Capacity-aware threshold).

From routing.yaml: its top-level `weekly_capacity`, else the sum over the routed owners — the members of the pools
the territories name (with the `territories` strategy) and the fallback owner (with `fallback`), each counted once —
of a pool's `weekly_capacity`, else each member's own `weekly_capacity`, else its cap (the owner's, else the
pool's) times how many response targets fit in a business week: `cap × week hours / target hours`, rounded down.
That derivation is an **upper bound**: it assumes every lead is answered within the target, which frees its slot at
once. Absences are not counted. A routed owner with neither, a team pool without `weekly_capacity` (its members are
known only to HubSpot), or a derivation without a response target leaves the capacity unknown, and says what to add.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

from app.rules.calendar import WorkingCalendar
from app.rules.handover.calendar import BusinessCalendar
from app.rules.handover.config import HandoverConfig
from app.rules.handover.routing_config import Pool, RoutingConfig
from app.rules.sla.policy import SlaConfig

ASSUMPTION = (
    "cap × response targets per business week is an upper bound: it assumes every lead is answered within its "
    "target, which frees the slot at once; absences are not counted"
)


@dataclass(frozen=True, slots=True)
class ResponseTarget:
    """The business hours sales have for a first touch of the stage's leads, and the business hours of a week."""

    hours: float
    week_hours: float
    source: str  # `sla.yaml target 'mql'`, `handover.yaml stage 'mql' response_hours`

    @property
    def per_week(self) -> float:
        """How many response targets fit in a business week."""
        return self.week_hours / self.hours


@dataclass(frozen=True, slots=True)
class CapacityShare:
    """One line of the derivation: whose capacity, how many leads a week (None: unknown), and how it was found."""

    who: str
    weekly: int | None
    how: str


@dataclass(frozen=True, slots=True)
class WeeklyCapacity:
    """The leads a week sales can work within the SLA (None: unknown), with its derivation."""

    weekly: int | None
    shares: tuple[CapacityShare, ...]
    upper_bound: bool  # some share was derived from a cap
    missing: str | None = None  # what to configure when the capacity is unknown

    @property
    def assumptions(self) -> tuple[str, ...]:
        """What the figure assumes, said with it."""
        return (ASSUMPTION,) if self.upper_bound else ()


def response_target(stage: str, sla: SlaConfig | None, handover: HandoverConfig | None) -> ResponseTarget | None:
    """The stage's response target: sla.yaml's for the stage (without a grade, else its shortest), else
    handover.yaml's `response_hours` in its calendar; None without either."""
    if sla is not None:
        targets = [t for t in sla.targets if t.stage == stage]
        chosen = next((t for t in targets if t.grade is None), None) or min(
            targets, key=lambda t: t.response, default=None
        )
        if chosen is not None:
            hours = chosen.response.total_seconds() / 3600
            return ResponseTarget(hours, week_hours(chosen.calendar), f"sla.yaml target {chosen.id!r}")
    rules = handover.stages.get(stage) if handover is not None else None
    if handover is None or rules is None or not rules.response_hours:
        return None
    source = f"handover.yaml stage {stage!r} response_hours"
    return ResponseTarget(rules.response_hours, week_hours(handover.calendar), source)


def week_hours(calendar: WorkingCalendar | BusinessCalendar) -> float:
    """The working hours of a regular week of the calendar (no holiday in it)."""
    if isinstance(calendar, BusinessCalendar):
        return len(calendar.workdays) * (calendar.closes - calendar.opens) / 60
    return sum(closes - opens for day in calendar.week for opens, closes in day) / 60


def weekly_capacity(routing: RoutingConfig | None, target: ResponseTarget | None) -> WeeklyCapacity:
    """The capacity routing.yaml gives or implies (see the module's docstring)."""
    if routing is None:
        return WeeklyCapacity(None, (), False, "no routing.yaml: add one with a 'weekly_capacity'")
    if routing.weekly_capacity is not None:
        share = CapacityShare("sales team", routing.weekly_capacity, "routing.yaml weekly_capacity")
        return WeeklyCapacity(routing.weekly_capacity, (share,), False)
    shares = tuple(_routed_shares(routing, target))
    unknown = [share.who for share in shares if share.weekly is None]
    upper_bound = any("× " in share.how for share in shares)
    if not shares:
        return WeeklyCapacity(None, (), False, "routing.yaml routes to nobody: give it a 'weekly_capacity'")
    if unknown:
        missing = f"capacity unknown for {', '.join(unknown)}: give a 'weekly_capacity' in routing.yaml"
        return WeeklyCapacity(None, shares, upper_bound, missing)
    return WeeklyCapacity(sum(share.weekly or 0 for share in shares), shares, upper_bound)


def _routed_shares(routing: RoutingConfig, target: ResponseTarget | None) -> Iterator[CapacityShare]:
    counted: set[str] = set()
    if "territories" in routing.strategies:
        pool_ids = dict.fromkeys(territory.pool for territory in routing.territories)
        for pool_id in pool_ids:
            yield from _pool_shares(routing, routing.pools[pool_id], target, counted)
    fallback = routing.fallback
    if "fallback" in routing.strategies and fallback is not None and fallback.casefold() not in counted:
        yield _owner_share(routing, fallback, None, target, "fallback owner")


def _pool_shares(
    routing: RoutingConfig, pool: Pool, target: ResponseTarget | None, counted: set[str]
) -> Iterator[CapacityShare]:
    members = [m.email for m in pool.members if m.email.casefold() not in counted]
    counted.update(m.email.casefold() for m in pool.members)
    if pool.weekly_capacity is not None:
        yield CapacityShare(f"pool {pool.id}", pool.weekly_capacity, "its weekly_capacity")
    elif pool.team is not None:
        yield CapacityShare(f"pool {pool.id}", None, f"team {pool.team!r}: its members are known only to HubSpot")
    else:
        for email in members:
            yield _owner_share(routing, email, pool, target, f"pool {pool.id}")


def _owner_share(
    routing: RoutingConfig, email: str, pool: Pool | None, target: ResponseTarget | None, where: str
) -> CapacityShare:
    rules = routing.owner_rules(email)
    who = f"{email} ({where})"
    if rules.weekly_capacity is not None:
        return CapacityShare(who, rules.weekly_capacity, "its weekly_capacity")
    cap = rules.cap if rules.cap is not None else pool.cap if pool is not None else None
    if cap is None:
        return CapacityShare(who, None, "no cap and no weekly_capacity")
    if target is None:
        return CapacityShare(who, None, f"cap {cap}, but no response target for the stage (sla.yaml, handover.yaml)")
    weekly = math.floor(cap * target.per_week)
    how = f"cap {cap} × {target.week_hours:g} h a week / {target.hours:g} h ({target.source})"
    return CapacityShare(who, weekly, how)

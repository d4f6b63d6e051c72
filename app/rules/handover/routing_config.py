"""Loading config/routing.yaml: validate, compile the territory conditions once, freeze (see docs/routing.md)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from app.rules.config import (
    ConfigFile,
    compile_rule,
    declared_property_types,
    parse_config,
    reject_duplicates,
    time_zone,
)
from app.rules.errors import ConfigError
from app.rules.expressions import FIT_NAMES, Condition
from app.rules.handover.routing_schema import AbsenceSpec, OwnerSpec, PoolSpec, RoutingSpec, TerritorySpec


@dataclass(frozen=True, slots=True)
class Absence:
    """An out-of-office window, [start, end) in UTC; `until` says when it ends, as written."""

    start: datetime
    end: datetime
    until: str

    def covers(self, moment: datetime) -> bool:
        """Return whether the owner is away at `moment` (aware)."""
        return self.start <= moment < self.end


@dataclass(frozen=True, slots=True)
class OwnerRules:
    """What the configuration says about one owner (by email): cap, default weight, absences, weekly capacity."""

    cap: int | None = None
    weight: int | None = None
    absences: tuple[Absence, ...] = ()
    weekly_capacity: int | None = None  # leads a week within the SLA (docs/routing.md, Weekly capacity)

    def absence_at(self, moment: datetime) -> Absence | None:
        """Return the absence covering `moment`, if any."""
        return next((absence for absence in self.absences if absence.covers(moment)), None)


@dataclass(frozen=True, slots=True)
class PoolMember:
    email: str
    weight: int | None = None


@dataclass(frozen=True, slots=True)
class Pool:
    """Owners sharing leads by weighted round robin: listed `members`, or the active owners of `team`."""

    id: str
    members: tuple[PoolMember, ...] = ()
    team: str | None = None
    cap: int | None = None
    weekly_capacity: int | None = None  # leads a week the whole pool works within the SLA


@dataclass(frozen=True, slots=True)
class Territory:
    id: str
    label: str
    condition: Condition
    pool: str


@dataclass(frozen=True, slots=True)
class RoutingConfig:
    """The validated content of config/routing.yaml; owner emails are compared case-insensitively."""

    strategies: tuple[str, ...]
    pools: Mapping[str, Pool]
    territories: tuple[Territory, ...] = ()
    owners: Mapping[str, OwnerRules] = field(default_factory=dict)
    fallback: str | None = None
    property_types: Mapping[str, str] = field(default_factory=dict)
    weekly_capacity: int | None = None  # leads a week the whole sales team works within the SLA

    def owner_rules(self, email: str) -> OwnerRules:
        """Return the settings of the owner with this email (none configured: no cap, no absences)."""
        return self.owners.get(email.casefold(), OwnerRules())

    def referenced_properties(self) -> tuple[frozenset[str], frozenset[str]]:
        """Return the contact and company properties the territory rules read."""
        found: dict[str, set[str]] = {"contact": set(), "company": set()}
        for territory in self.territories:
            for object_name, name in territory.condition.property_references():
                found[object_name].add(name)
        return frozenset(found["contact"]), frozenset(found["company"])


def compile_routing(spec: RoutingSpec, file: str) -> RoutingConfig:
    """Check the pools, territories, strategies and owners; compile the territory conditions; freeze."""
    reject_duplicates(file, "pool", (pool.id for pool in spec.pools))
    reject_duplicates(file, "territory", (territory.id for territory in spec.territories))
    _reject_repeated(file, "strategy", spec.strategies)
    _reject_repeated(file, "owner", (email.casefold() for email in spec.owners))
    _check_strategies(file, spec)
    default_zone = time_zone(file, "timezone", spec.timezone)
    pools = {pool.id: _pool(file, pool) for pool in spec.pools}
    return RoutingConfig(
        strategies=tuple(spec.strategies),
        pools=pools,
        territories=tuple(_territory(file, territory, pools) for territory in spec.territories),
        owners={email.casefold(): _owner(file, email, owner, default_zone) for email, owner in spec.owners.items()},
        fallback=spec.fallback,
        property_types=declared_property_types(file, spec.properties),
        weekly_capacity=spec.weekly_capacity,
    )


def _check_strategies(file: str, spec: RoutingSpec) -> None:
    if "fallback" in spec.strategies and spec.fallback is None:
        raise ConfigError(file, None, "strategy 'fallback' needs a 'fallback' owner (an email)")
    if "territories" in spec.strategies and not spec.territories:
        raise ConfigError(file, None, "strategy 'territories' needs at least one entry in 'territories'")


def _reject_repeated(file: str, subject: str, names: Iterable[str]) -> None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise ConfigError(file, name, "is listed twice", subject=subject)
        seen.add(name)


def _pool(file: str, spec: PoolSpec) -> Pool:
    members = tuple(PoolMember(member.email, member.weight) for member in spec.owners or ())
    seen: set[str] = set()
    for member in members:
        if member.email.casefold() in seen:
            raise ConfigError(file, spec.id, f"owner {member.email} is listed twice", subject="pool")
        seen.add(member.email.casefold())
    return Pool(spec.id, members, spec.team, spec.cap, spec.weekly_capacity)


def _territory(file: str, spec: TerritorySpec, pools: Mapping[str, Pool]) -> Territory:
    if spec.pool not in pools:
        known = ", ".join(pools) or "none"
        raise ConfigError(file, spec.id, f"unknown pool {spec.pool!r} (pools: {known})", subject="territory")
    condition = compile_rule(file, "territory", spec.id, spec.when, FIT_NAMES)
    return Territory(spec.id, spec.label or spec.id, condition, spec.pool)


def _owner(file: str, email: str, spec: OwnerSpec, default_zone: ZoneInfo) -> OwnerRules:
    zone = default_zone if spec.timezone is None else time_zone(file, f"owners.{email}.timezone", spec.timezone)
    absences = tuple(_absence(file, email, number, entry, zone) for number, entry in enumerate(spec.out_of_office))
    return OwnerRules(spec.cap, spec.weight, absences, spec.weekly_capacity)


def _absence(file: str, email: str, number: int, spec: AbsenceSpec, zone: ZoneInfo) -> Absence:
    start = _instant(spec.start, zone, end=False)
    end = _instant(spec.end, zone, end=True)
    if end <= start:
        problem = f"out_of_office[{number}] ends ({spec.end}) before it starts ({spec.start})"
        raise ConfigError(file, email, problem, subject="owner")
    return Absence(start, end, _until(spec.end, zone))


def _instant(moment: date | datetime, zone: ZoneInfo, *, end: bool) -> datetime:
    """Return a window bound in UTC: a date starts at local midnight; an end date includes its whole day."""
    if isinstance(moment, datetime):
        return (moment if moment.tzinfo else moment.replace(tzinfo=zone)).astimezone(UTC)
    day = moment + timedelta(days=1) if end else moment
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def _until(moment: date | datetime, zone: ZoneInfo) -> str:
    if not isinstance(moment, datetime):
        return moment.isoformat()
    local = moment.astimezone(zone) if moment.tzinfo else moment
    return f"{local:%Y-%m-%d %H:%M} {zone.key}"


ROUTING = ConfigFile(
    "routing.yaml", RoutingSpec, compile_routing, ((("pools",), "pool"), (("territories",), "territory"))
)


def parse_routing(text: str, file: str = "<routing>") -> RoutingConfig:
    """Validate and compile the text of a routing file; `file` names it in errors."""
    return parse_config(ROUTING, text, file)

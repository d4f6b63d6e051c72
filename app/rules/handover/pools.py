"""Weighted round robin within a pool: who is in it, who is available now, whose slot the cursor points at.

The cursor of a pool counts the slots handed out. One cycle of slots is the smooth weighted order of the members
(weights 3:1 → a a b a), so over every full cycle each member holds exactly `weight` slots. An owner who is
unavailable (unknown, archived, out of office, at cap) is skipped, and the slot is consumed all the same: fairness
is kept going forward instead of being paid back later.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from app.rules.handover.routing_config import Pool, RoutingConfig
from app.rules.handover.types import Owner, RoutingState


@dataclass(frozen=True, slots=True)
class Roster:
    """The portal's owners, by id and by email (case-insensitive)."""

    by_id: Mapping[str, Owner]
    by_email: Mapping[str, Owner]

    @classmethod
    def of(cls, team: Mapping[str, Owner]) -> Roster:
        """Index the owners of a team mapping (its keys are not used)."""
        owners = list(team.values())
        # An email may belong to an archived owner and to the active one that replaced it: the active one wins.
        by_email = {owner.email.casefold(): owner for owner in sorted(owners, key=lambda owner: owner.active)}
        return cls({owner.id: owner for owner in owners}, by_email)


@dataclass(frozen=True, slots=True)
class Candidate:
    """A pool member as routing sees it: the configured email, the owner it resolves to, its weight and cap."""

    email: str
    owner: Owner | None
    weight: int
    cap: int | None

    @property
    def label(self) -> str:
        """Return the owner's name, or the configured email when it resolves to no one."""
        return display_name(self.owner) if self.owner else self.email


@dataclass(frozen=True, slots=True)
class Pick:
    """The slot a pool hands out: the candidate, the pool's next cursor, and who was skipped on the way."""

    candidate: Candidate | None
    cursor: int
    skipped: tuple[tuple[Candidate, str], ...]


def display_name(owner: Owner) -> str:
    """Return how reasons name an owner."""
    return owner.name or owner.email or owner.id


def candidates(config: RoutingConfig, pool: Pool, roster: Roster) -> tuple[Candidate, ...]:
    """Return the pool's members in cycle order: listed ones as configured, a team's by email."""
    listed: list[tuple[str, Owner | None, int | None]]
    if pool.team is None:
        listed = [
            (member.email, roster.by_email.get(member.email.casefold()), member.weight) for member in pool.members
        ]
    else:
        team = pool.team.casefold()
        members = [o for o in roster.by_id.values() if o.active and team in {t.casefold() for t in o.teams}]
        listed = [(owner.email, owner, None) for owner in sorted(members, key=lambda o: (o.email.casefold(), o.id))]
    return tuple(_candidate(config, pool, email, owner, weight) for email, owner, weight in listed)


def _candidate(config: RoutingConfig, pool: Pool, email: str, owner: Owner | None, weight: int | None) -> Candidate:
    rules = config.owner_rules(email)
    cap = rules.cap if rules.cap is not None else pool.cap
    return Candidate(email, owner, weight or rules.weight or 1, cap)


def pick(config: RoutingConfig, pool: Pool, members: tuple[Candidate, ...], state: RoutingState, now: datetime) -> Pick:
    """Walk the pool's slots from its cursor to the first available member, for at most one full cycle."""
    cursor = state.cursors.get(pool.id, 0)
    cycle = smooth_cycle(tuple(member.weight for member in members))
    skipped: list[tuple[Candidate, str]] = []
    for step in range(len(cycle)):
        member = members[cycle[(cursor + step) % len(cycle)]]
        why = unavailable(config, member, state, now)
        if why is None:
            return Pick(member, cursor + step + 1, tuple(skipped))
        skipped.append((member, why))
    return Pick(None, cursor, tuple(skipped))


def unavailable(config: RoutingConfig, member: Candidate, state: RoutingState, now: datetime) -> str | None:
    """Return why a member cannot take a lead now, or None when it can."""
    if member.owner is None:
        return "not a HubSpot owner"
    if not member.owner.active:
        return "archived"
    absence = config.owner_rules(member.email).absence_at(now)
    if absence is not None:
        return f"out of office until {absence.until}"
    open_count = state.open_handovers.get(member.owner.id, 0)
    if member.cap is not None and open_count >= member.cap:
        return f"at cap, {open_count} open of {member.cap}"
    return None


@lru_cache(maxsize=256)
def smooth_cycle(weights: tuple[int, ...]) -> tuple[int, ...]:
    """Return one cycle of smooth weighted round robin: index i appears weights[i] times, spread evenly."""
    total = sum(weights)
    current = [0] * len(weights)
    order: list[int] = []
    for _ in range(total):
        current = [value + weight for value, weight in zip(current, weights, strict=True)]
        chosen = max(range(len(weights)), key=lambda index: (current[index], -index))  # ties: the first listed
        current[chosen] -= total
        order.append(chosen)
    return tuple(order)

"""Owner routing: who receives a lead, tried strategy by strategy in the configured order (see docs/routing.md).

`route` is pure and deterministic: the same configuration, lead, team, state and time give the same decision and
the same next state. The shell keeps the state in the ledger and must not let two workers route from the same
state at once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from app.rules.expressions import PropertyRecord
from app.rules.handover.pools import Candidate, Pick, Roster, candidates, display_name, pick, unavailable
from app.rules.handover.routing_config import RoutingConfig, Territory
from app.rules.handover.types import Lead, Owner, RoutingDecision, RoutingState
from app.rules.values import as_utc, convert_properties

MAX_REASON_LENGTH = 500
"""`leadflow_routing_reason` is read in the HubSpot sidebar: keep it short."""


@dataclass(frozen=True, slots=True)
class _Request:
    """What routing needs to know about one lead; `territory` forces one (previews of synthetic leads)."""

    current_owner_id: str | None
    company_owner_id: str | None
    company_name: str
    records: Mapping[str, object]
    territory: Territory | None = None


@dataclass(frozen=True, slots=True)
class _Context:
    config: RoutingConfig
    roster: Roster
    state: RoutingState
    now: datetime


@dataclass(frozen=True, slots=True)
class _Attempt:
    """The outcome of one strategy: a decision (and the pool's next cursor), or a note on why it found no one."""

    decision: RoutingDecision | None = None
    note: str | None = None
    cursor: int | None = None


def route(
    config: RoutingConfig, lead: Lead, team: Mapping[str, Owner], state: RoutingState, now: datetime
) -> tuple[RoutingDecision, RoutingState]:
    """Choose the owner of a lead; return the decision and the state after it (cursor moved, open count +1)."""
    return _route(_Context(config, Roster.of(team), state, as_utc(now)), _request(config, lead))


def preview(
    config: RoutingConfig,
    leads: Iterable[Lead],
    team: Mapping[str, Owner],
    state: RoutingState,
    now: datetime,
    per_territory: int = 1,
) -> list[RoutingDecision]:
    """Route leads one after the other; without leads, route `per_territory` synthetic leads per territory."""
    requests = [_request(config, lead) for lead in leads] or [
        _Request(None, None, "", {}, territory) for territory in config.territories for _ in range(per_territory)
    ]
    decisions: list[RoutingDecision] = []
    for request in requests:
        decision, state = _route(_Context(config, Roster.of(team), state, as_utc(now)), request)
        decisions.append(decision)
    return decisions


def _request(config: RoutingConfig, lead: Lead) -> _Request:
    records = {
        "contact": PropertyRecord(convert_properties(lead.contact, "contact", config.property_types)),
        "company": PropertyRecord(convert_properties(lead.company, "company", config.property_types)),
    }
    company_name = lead.company.get("name") or (f"#{lead.company_id}" if lead.company_id else "")
    return _Request(lead.current_owner_id or None, lead.company_owner_id or None, company_name, records)


def _route(context: _Context, request: _Request) -> tuple[RoutingDecision, RoutingState]:
    notes: list[str] = []
    for name in context.config.strategies:
        attempt = STRATEGIES[name](context, request)
        if attempt.decision is not None:
            decision = attempt.decision
            reason = "; ".join([decision.reason, *notes])
            decision = RoutingDecision(decision.owner_id, decision.strategy, clip_reason(reason), decision.pool)
            return decision, _next_state(context.state, decision, attempt.cursor)
        if attempt.note:
            notes.append(attempt.note)
    reason = "no owner available: " + ("; ".join(notes) or "no strategy applied")
    return RoutingDecision(None, "none", clip_reason(reason)), context.state


def _keep_owner(context: _Context, request: _Request) -> _Attempt:
    return _existing(context, request.current_owner_id, "keep-owner", "current owner", "already owns the contact")


def _account_owner(context: _Context, request: _Request) -> _Attempt:
    owns = f"owns the company {request.company_name}".rstrip()
    return _existing(context, request.company_owner_id, "account-owner", "company owner", owns)


def _existing(context: _Context, owner_id: str | None, strategy: str, role: str, verb: str) -> _Attempt:
    if owner_id is None:
        return _Attempt()
    owner = context.roster.by_id.get(owner_id)
    if owner is None:
        return _Attempt(note=f"{role} {owner_id} is not a HubSpot owner")
    if not owner.active:
        return _Attempt(note=f"{role} {display_name(owner)} is archived")
    return _Attempt(RoutingDecision(owner.id, strategy, f"{strategy}: {display_name(owner)} {verb}"))


def _territories(context: _Context, request: _Request) -> _Attempt:
    config = context.config
    territory = request.territory or next(
        (territory for territory in config.territories if territory.condition.matches(request.records)), None
    )
    if territory is None:
        return _Attempt(note="no territory matched")
    pool = config.pools[territory.pool]
    members = candidates(config, pool, context.roster)
    if not members:
        return _Attempt(note=f"territory {territory.id}: pool {pool.id} has no owners (team {pool.team!r})")
    chosen = pick(config, pool, members, context.state, context.now)
    if chosen.candidate is None or chosen.candidate.owner is None:
        return _Attempt(note=f"territory {territory.id}: nobody available in pool {pool.id}: {_skipped(chosen)}")
    owner = chosen.candidate.owner
    reason = f"territory {territory.id}: round robin in pool {pool.id}, {_load(context, chosen.candidate)}"
    skipped = f"; skipped {_skipped(chosen)}" if chosen.skipped else ""
    decision = RoutingDecision(owner.id, "territories", reason + skipped, pool.id)
    return _Attempt(decision, cursor=chosen.cursor)


def _fallback(context: _Context, request: _Request) -> _Attempt:
    email = context.config.fallback or ""
    rules = context.config.owner_rules(email)
    candidate = Candidate(email, context.roster.by_email.get(email.casefold()), 1, rules.cap)
    why = unavailable(context.config, candidate, context.state, context.now)
    if why is not None or candidate.owner is None:
        return _Attempt(note=f"fallback {candidate.label} unavailable ({why})")
    return _Attempt(RoutingDecision(candidate.owner.id, "fallback", f"fallback: {candidate.label}"))


STRATEGIES: Mapping[str, Callable[[_Context, _Request], _Attempt]] = {
    "keep-owner": _keep_owner,
    "account-owner": _account_owner,
    "territories": _territories,
    "fallback": _fallback,
}


def _load(context: _Context, candidate: Candidate) -> str:
    open_count = context.state.open_handovers.get(candidate.owner.id, 0) if candidate.owner else 0
    cap = f" of cap {candidate.cap}" if candidate.cap is not None else ""
    return f"{candidate.label} (weight {candidate.weight}, {open_count} open{cap})"


def _skipped(chosen: Pick) -> str:
    return ", ".join(dict.fromkeys(f"{candidate.label} ({why})" for candidate, why in chosen.skipped))


def _next_state(state: RoutingState, decision: RoutingDecision, cursor: int | None) -> RoutingState:
    cursors = dict(state.cursors)
    if decision.pool is not None and cursor is not None:
        cursors[decision.pool] = cursor
    open_handovers = dict(state.open_handovers)
    if decision.owner_id is not None:
        open_handovers[decision.owner_id] = open_handovers.get(decision.owner_id, 0) + 1
    return RoutingState(cursors, open_handovers)


def clip_reason(text: str) -> str:
    """Cut a routing reason to MAX_REASON_LENGTH characters, marking the cut with `…`."""
    return text if len(text) <= MAX_REASON_LENGTH else text[: MAX_REASON_LENGTH - 1] + "…"

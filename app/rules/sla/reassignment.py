"""Reassigning an untouched lead: routing anew, never back to an earlier owner of the handover.

The earlier owners (the current one included) are taken out of the team routing sees, and the lead is presented
without a current owner, and without its company's owner when that is an earlier owner: keep-owner and
account-owner cannot hand it back, pools skip them, the fallback too. Caps and out-of-office apply as always.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import replace
from datetime import datetime

from app.rules.handover.routing import clip_reason, route
from app.rules.handover.routing_config import RoutingConfig
from app.rules.handover.types import Lead, Owner, RoutingDecision, RoutingState


def reroute(
    config: RoutingConfig,
    lead: Lead,
    team: Mapping[str, Owner],
    state: RoutingState,
    now: datetime,
    earlier_owners: Collection[str],
) -> tuple[RoutingDecision, RoutingState]:
    """Route a lead again, never to one of `earlier_owners`; return the decision and the state after it."""
    excluded = set(earlier_owners)
    others = {key: owner for key, owner in team.items() if owner.id not in excluded}
    company_owner = lead.company_owner_id if lead.company_owner_id not in excluded else None
    fresh = replace(lead, current_owner_id=None, company_owner_id=company_owner)
    return route(config, fresh, others, state, now)


def reassignment_reason(
    target_id: str, percent: float, business_minutes: float, earlier: list[str], decision: RoutingDecision
) -> str:
    """Say why a lead moved (or could not): the target, how long it waited, and routing's own reason."""
    waited = f"no first touch after {business_minutes:.0f} business minutes ({percent:g} % of target {target_id})"
    if decision.owner_id is None:
        return clip_reason(f"not reassigned: {waited}; {decision.reason}")
    return clip_reason(f"reassigned: {waited}; earlier owners {', '.join(earlier)} excluded; {decision.reason}")


def handover_owners(earlier_owners: str | None, owner_id: str | None) -> list[str]:
    """Return every owner a handover had, in order, from the ledger's comma-separated earlier owners and the current
    one (last)."""
    return [owner for owner in (earlier_owners or "").split(",") if owner] + ([owner_id] if owner_id else [])

"""The values that routing and handover plans take and return (pure, frozen).

The shell reads HubSpot and the ledger into these, the rules decide, and the shell carries out the plans.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from app.rules.scoring.assessment import Assessment

RawProperties = Mapping[str, str | None]


@dataclass(frozen=True)
class Owner:
    """A HubSpot owner (`hubspot_owner_id` is its `id`); `active` is False for archived (deactivated) owners.
    `user_id` is the HubSpot user behind it, whom webhooks name as `sourceId` `userId:<user_id>`."""

    id: str
    email: str
    name: str
    teams: tuple[str, ...] = ()
    active: bool = True
    user_id: str | None = None


@dataclass(frozen=True)
class Lead:
    """A contact about to be handed over, as HubSpot shows it now (raw string values)."""

    contact_id: str
    contact: RawProperties
    company_id: str | None
    company: RawProperties
    assessment: Assessment
    current_owner_id: str | None = None
    company_owner_id: str | None = None


@dataclass(frozen=True)
class RoutingState:
    """What routing remembers between leads: slots handed out per pool, open handovers per owner."""

    cursors: Mapping[str, int] = field(default_factory=dict)
    open_handovers: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class RoutingDecision:
    """Who gets a lead and why; `strategy` is machine-readable, `reason` is written to the contact."""

    owner_id: str | None
    strategy: str
    reason: str
    pool: str | None = None


@dataclass(frozen=True)
class TaskSpec:
    subject: str
    body: str
    task_type: str
    priority: str
    due_at: datetime
    owner_id: str
    queue_id: str | None = None


@dataclass(frozen=True)
class DealSpec:
    name: str
    pipeline: str
    stage: str
    owner_id: str
    amount: str | None = None


@dataclass(frozen=True)
class LeadSpec:
    """The cycle's Lead to create or update: `key` is its `leadflow_cycle_id`; `pipeline` is set only at creation."""

    key: str
    properties: Mapping[str, str]
    pipeline: str | None = None


@dataclass(frozen=True)
class HandoverPlan:
    """Everything one handover does; `key` (contact, stage, cycle) identifies its task and deal in HubSpot."""

    contact_id: str
    stage: str
    cycle: int
    key: str
    decision: RoutingDecision
    contact_writes: Mapping[str, str]
    task: TaskSpec | None = None
    deal: DealSpec | None = None
    notify: bool = False
    lead: LeadSpec | None = None  # the cycle's HubSpot Lead, where the portal has Leads


@dataclass(frozen=True)
class BlockedPlan:
    """A stage the contact qualifies for but lacks required data: tell marketing-ops what is missing."""

    contact_id: str
    stage: str
    missing: tuple[str, ...]
    contact_writes: Mapping[str, str]
    data_task: TaskSpec | None = None


@dataclass(frozen=True)
class Feedback:
    """What sales said about a handover: `accepted` or `rejected` with its reason; `issue` when a rejection lacks a
    reason from the configured list (`missing`: none given, `unknown`: one not in the list)."""

    outcome: str
    reason: str | None = None
    issue: str | None = None


def handover_key(contact_id: str, stage: str, cycle: int) -> str:
    """Return the key of a handover, also its `leadflow_handover_id` in HubSpot (`123-sql-1`)."""
    return f"{contact_id}-{stage}-{cycle}"


__all__ = [
    "BlockedPlan",
    "DealSpec",
    "Feedback",
    "HandoverPlan",
    "Lead",
    "LeadSpec",
    "Owner",
    "RawProperties",
    "RoutingDecision",
    "RoutingState",
    "TaskSpec",
    "handover_key",
]

"""The handover step of a drain: sales' feedback, stage transitions, routing, and the handover's effects.

Order within a drain, for the contacts it drains:
1. feedback — the lead status sales set answers the open handover; a rejection recycles the lead
   (next qualification cycle) before it is assessed again;
2. transitions — every change of stage is recorded; entering a stage with a handover section asks for one;
3. reservation — one handover per (contact, stage, cycle), routed under the ledger's routing lock; a handover
   reserved by an earlier, failed attempt keeps its owner;
4. effects — deals and tasks upserted by their handover key, associated; contact writes join the drain's
   batch update; notifications; the ledger records what was created.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from app.ledger.records import (
    Assignment,
    ContactStateRecord,
    HandoverDone,
    HandoverRecord,
    HandoverRequest,
    RoutingSnapshot,
    TransitionRecord,
)
from app.ledger.store import Ledger
from app.rules import classify_feedback, plan_blocked, plan_handover, plan_recycle, plan_unblocked, route
from app.rules.assessment import Assessment
from app.rules.handover_config import HandoverConfig
from app.rules.handover_types import HandoverPlan, Lead, Owner, RoutingDecision, RoutingState, handover_key
from app.rules.notification import notification
from app.rules.properties import HANDOVER_BLOCKED
from app.rules.routing_config import RoutingConfig
from app.sync.gateway import HubSpotGateway, Properties
from app.sync.handover_effects import TaskWork, create_effects
from app.sync.notify import Notifier

logger = logging.getLogger(__name__)
LEAD_STATUS = "hs_lead_status"
CONTACT_PROPERTIES = frozenset({"hubspot_owner_id", "lifecyclestage", LEAD_STATUS, HANDOVER_BLOCKED, "email"})
COMPANY_PROPERTIES = frozenset({"name", "hubspot_owner_id"})


@dataclass(frozen=True)
class Handovers:
    """What the drain needs to hand leads over (absent when config/handover.yaml does not exist)."""

    config: HandoverConfig
    routing: RoutingConfig
    notifier: Notifier
    team: Callable[[], Mapping[str, Owner]]
    contact_url: Callable[[str], str | None]

    def properties(self) -> tuple[frozenset[str], frozenset[str]]:
        """Return the contact and company properties handovers read."""
        contact, company = self.config.referenced_properties()
        routing_contact, routing_company = self.routing.referenced_properties()
        return contact | routing_contact | CONTACT_PROPERTIES, company | routing_company | COMPANY_PROPERTIES


@dataclass
class Drained:
    """One drained contact: what HubSpot shows, where it works, and what the ledger remembers of it."""

    contact_id: str
    contact: Properties
    company_id: str | None
    company: Properties
    state: ContactStateRecord | None
    handovers: list[HandoverRecord]
    cycle: int = 1
    recycled_at: datetime | None = None


@dataclass
class HandoverWork:
    """The drain's share of the handover step: writes to merge, and what to record once they are written."""

    first_writes: dict[str, dict[str, str]] = field(default_factory=dict)
    writes: dict[str, dict[str, str]] = field(default_factory=dict)
    transitions: list[TransitionRecord] = field(default_factory=list)
    data_tasks: list[TaskWork] = field(default_factory=list)
    done: list[HandoverDone] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)

    def add(self, contact_id: str, values: Mapping[str, str]) -> None:
        self.writes.setdefault(contact_id, {}).update(values)


def apply_feedback(handovers: Handovers, ledger: Ledger, contacts: Sequence[Drained], now: datetime) -> HandoverWork:
    """Record sales' answers to open handovers; recycle the rejected leads (their next cycle starts now)."""
    work = HandoverWork()
    for drained in contacts:
        feedback = classify_feedback(handovers.config, drained.contact.get(LEAD_STATUS))
        open_now = [h for h in drained.handovers if h.cycle == drained.cycle and h.outcome is None]
        if feedback is None or not open_now:
            continue
        for handover in open_now:
            ledger.record_feedback(handover.key, feedback.outcome, feedback.reason, now)
        if feedback.outcome == "rejected":
            drained.cycle = ledger.recycle(open_now[-1].key, drained.contact_id, now)
            drained.recycled_at = now
            first, then = plan_recycle(handovers.config, drained.contact)
            if first:
                work.first_writes[drained.contact_id] = first
            work.add(drained.contact_id, then)
    return work


def hand_over(
    handovers: Handovers,
    ledger: Ledger,
    gateway: HubSpotGateway,
    contacts: Sequence[tuple[Drained, Assessment]],
    now: datetime,
    work: HandoverWork,
) -> HandoverWork:
    """Record transitions, reserve and carry out the handovers the assessments call for."""
    requests: list[HandoverRequest] = []
    leads: dict[str, Lead] = {}
    for drained, assessment in contacts:
        lead = _lead(drained, assessment)
        leads[drained.contact_id] = lead
        entered = _transition(drained, assessment, now, work)
        requests.extend(_requests(handovers.config, drained, assessment, entered))
        _blocked(handovers, drained, lead, now, work)
    team = handovers.team() if requests else {}
    reserved = ledger.reserve_handovers(requests, _decider(handovers, leads, team, now), now)
    plans = [
        plan
        for record in reserved
        if record.status == "planned" and (plan := _plan(handovers, record, leads[record.contact_id], team)) is not None
    ]
    _carry_out(handovers, gateway, plans, reserved, leads, team, work)
    return work


def _lead(drained: Drained, assessment: Assessment) -> Lead:
    return Lead(
        drained.contact_id,
        drained.contact,
        drained.company_id,
        drained.company,
        assessment,
        drained.contact.get("hubspot_owner_id") or None,
        drained.company.get("hubspot_owner_id") or None,
    )


def _transition(drained: Drained, assessment: Assessment, now: datetime, work: HandoverWork) -> bool:
    """Record a change of stage; return whether the contact entered its (new) stage now."""
    previous = drained.state.stage if drained.state else None
    if previous == assessment.stage:
        return False
    work.transitions.append(
        TransitionRecord(drained.contact_id, previous, assessment.stage, now, drained.cycle, assessment.model)
    )
    return assessment.stage is not None


def _requests(config: HandoverConfig, drained: Drained, assessment: Assessment, entered: bool) -> list[HandoverRequest]:
    """Ask for the handover of a stage entered now, or finish one an earlier attempt reserved but did not do.

    A contact that stays in its stage asks for nothing, also after a recycle: it is handed over again only
    when it enters a stage anew.
    """
    stage = assessment.stage
    if stage is None or config.stage(stage) is None:
        return []
    key = handover_key(drained.contact_id, stage, drained.cycle)
    existing = next((h for h in drained.handovers if h.key == key), None)
    if (existing is None and entered) or (existing is not None and existing.status == "planned"):
        return [HandoverRequest(key, drained.contact_id, stage, drained.cycle)]
    return []


def _blocked(handovers: Handovers, drained: Drained, lead: Lead, now: datetime, work: HandoverWork) -> None:
    """Name the data a handover waits for (once per stage and cycle), or clear the note when none is missing."""
    config = handovers.config
    blocked = next((b for b in lead.assessment.blocked if config.stage(b.stage) is not None), None)
    current_note = drained.contact.get(HANDOVER_BLOCKED) or ""
    if blocked is None:
        if current_note:
            work.add(drained.contact_id, plan_unblocked())
        return
    plan = plan_blocked(config, lead, blocked, handovers.team(), now)
    if plan.contact_writes.get(HANDOVER_BLOCKED) != current_note:
        work.add(drained.contact_id, plan.contact_writes)
    # The data task goes out with the blocking note's first appearance; its key keeps it single.
    if plan.data_task is not None and not current_note:
        key = f"{handover_key(drained.contact_id, blocked.stage, drained.cycle)}-data"
        work.data_tasks.append(TaskWork(key, plan.data_task, drained.contact_id, drained.company_id))


def _decider(
    handovers: Handovers, leads: Mapping[str, Lead], team: Mapping[str, Owner], now: datetime
) -> Callable[[HandoverRequest, RoutingSnapshot], tuple[Assignment, RoutingSnapshot]]:
    def decide(request: HandoverRequest, snapshot: RoutingSnapshot) -> tuple[Assignment, RoutingSnapshot]:
        lead = leads[request.contact_id]
        if not handovers.config.routes(request.stage):
            owner = lead.current_owner_id
            return Assignment(owner, "keep" if owner else "none", "the stage keeps the current owner"), snapshot
        state = RoutingState(snapshot.cursors, snapshot.open_handovers)
        decision, after = route(handovers.routing, lead, team, state, now)
        return Assignment(decision.owner_id, decision.strategy, decision.reason), RoutingSnapshot(
            after.cursors, after.open_handovers
        )

    return decide


def _plan(handovers: Handovers, record: HandoverRecord, lead: Lead, team: Mapping[str, Owner]) -> HandoverPlan | None:
    decision = RoutingDecision(record.owner_id, record.routing_strategy, record.routing_reason)
    # Due dates count from the reservation, so a retried handover keeps its deadline.
    return plan_handover(handovers.config, record.stage, lead, decision, record.cycle, record.assigned_at, team)


def _carry_out(
    handovers: Handovers,
    gateway: HubSpotGateway,
    plans: Sequence[HandoverPlan],
    reserved: Sequence[HandoverRecord],
    leads: Mapping[str, Lead],
    team: Mapping[str, Owner],
    work: HandoverWork,
) -> None:
    if not plans and not work.data_tasks:
        return
    tasks = [TaskWork(p.key, p.task, p.contact_id, leads[p.contact_id].company_id, p.key) for p in plans if p.task]
    companies = {contact: lead.company_id for contact, lead in leads.items()}
    created = create_effects(gateway, plans, [*tasks, *work.data_tasks], companies)
    notified = {record.key for record in reserved if record.notified_at is not None}
    for plan in plans:
        lead = leads[plan.contact_id]
        work.add(plan.contact_id, _writes_with_status_reset(handovers.config, plan, lead))
        if plan.key in created.refused:
            work.errors[plan.contact_id] = created.refused[plan.key]
            continue
        sent = _notify(handovers, plan, lead, team) if plan.notify and plan.key not in notified else False
        due = plan.task.due_at if plan.task else None
        work.done.append(HandoverDone(plan.key, created.tasks.get(plan.key), created.deals.get(plan.key), due, sent))


def _writes_with_status_reset(config: HandoverConfig, plan: HandoverPlan, lead: Lead) -> dict[str, str]:
    """Return the plan's contact writes; a stale answer from an earlier cycle is cleared so it cannot count."""
    writes = dict(plan.contact_writes)
    if LEAD_STATUS not in writes and classify_feedback(config, lead.contact.get(LEAD_STATUS)) is not None:
        writes[LEAD_STATUS] = ""
    return writes


def _notify(handovers: Handovers, plan: HandoverPlan, lead: Lead, team: Mapping[str, Owner]) -> bool:
    owner = next((o for o in team.values() if o.id == plan.decision.owner_id), None)
    payload = notification(lead, plan, owner, handovers.contact_url(plan.contact_id))
    return handovers.notifier.notify(payload).ok

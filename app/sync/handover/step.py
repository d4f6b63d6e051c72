"""The handover step of the drain: sales' feedback, routing, and the handover's effects.

Order within a drain, for the contacts it drains:
1. prepare, feedback — the lead status sales set answers the open handover; a rejection recycles the lead
   (next qualification cycle, engagement counted from now when configured) before it is assessed again;
2. plan, reservation — a contact entering a stage with a handover section asks for one handover per
   (contact, stage, cycle); its company is read again from HubSpot (routing reads properties no webhook reports),
   and it is routed under the ledger's routing lock; a handover an earlier, failed attempt reserved keeps its owner;
   missing required data blocks it and gives marketing-ops one data task;
3. apply, effects — deals and tasks upserted by their handover key, associated; contact writes join the drain's
   batch update; notifications;
4. record — the ledger records what was created, in the drain's transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection

from app.ledger import handovers as handover_rows
from app.ledger.records import HandoverDone, HandoverRecord, HandoverRequest, SlaStart
from app.ledger.store import Ledger
from app.rules import classify_feedback, plan_blocked, plan_handover, plan_recycle, plan_unblocked, route
from app.rules.handover.config import HandoverConfig
from app.rules.handover.notification import notification
from app.rules.handover.routing_config import RoutingConfig
from app.rules.handover.types import HandoverPlan, Lead, Owner, RoutingDecision, RoutingState, handover_key
from app.rules.properties import HANDOVER_BLOCKED
from app.sync.handover.effects import TaskWork, create_effects
from app.sync.handover.notify import Notifier
from app.sync.hubspot.company_cache import CompanyCache, read_companies
from app.sync.hubspot.gateway import HubSpotGateway
from app.sync.pipeline import Batch, Member, Reads

LEAD_STATUS = "hs_lead_status"
CONTACT_PROPERTIES = frozenset({"hubspot_owner_id", "lifecyclestage", LEAD_STATUS, HANDOVER_BLOCKED, "email"})
COMPANY_PROPERTIES = frozenset({"name", "hubspot_owner_id"})


@dataclass(frozen=True)
class Handovers:
    """What handing leads over needs (absent when config/handover.yaml does not exist)."""

    config: HandoverConfig
    routing: RoutingConfig
    notifier: Notifier
    team: Callable[[], Mapping[str, Owner]]
    contact_url: Callable[[str], str | None]
    # Starts a handover's SLA clock (app/sync/sla/clock.py, when config/sla.yaml exists): its due time is the task's.
    start_clock: Callable[[HandoverRecord, Lead], SlaStart | None] | None = None

    def reads(self) -> Reads:
        """Return the contact and company properties handovers read."""
        contact, company = self.config.referenced_properties()
        routing_contact, routing_company = self.routing.referenced_properties()
        return Reads(contact | routing_contact | CONTACT_PROPERTIES, company | routing_company | COMPANY_PROPERTIES)


@dataclass
class HandoverStep:
    """The handover capability's drain step. One instance per batch: it keeps the batch's handover work."""

    handovers: Handovers
    ledger: Ledger
    gateway: HubSpotGateway
    company_cache: CompanyCache | None = None
    _records: dict[str, list[HandoverRecord]] = field(default_factory=dict, repr=False)
    _plans: list[HandoverPlan] = field(default_factory=list, repr=False)
    _reserved: list[HandoverRecord] = field(default_factory=list, repr=False)
    _leads: dict[str, Lead] = field(default_factory=dict, repr=False)
    _team: Mapping[str, Owner] = field(default_factory=dict, repr=False)
    _data_tasks: list[TaskWork] = field(default_factory=list, repr=False)
    _done: list[HandoverDone] = field(default_factory=list, repr=False)
    _clocks: dict[str, SlaStart] = field(default_factory=dict, repr=False)

    @property
    def config(self) -> HandoverConfig:
        return self.handovers.config

    def reads(self) -> Reads:
        return self.handovers.reads()

    def prepare(self, batch: Batch) -> None:
        """Record sales' answers to open handovers; recycle the rejected leads (their next cycle starts now)."""
        self._records = self.ledger.handovers.of_contacts(list(batch.members))
        for member in batch.members.values():
            recycled_at = self._feedback(batch, member)
            if self.config.recycle.engagement_from_recycle:
                member.counted_from = recycled_at or (member.state.recycled_at if member.state else None)

    def plan(self, batch: Batch) -> None:
        """Ask for the handovers the assessments call for, route and reserve them; plan what each does."""
        self._refresh_companies([m for m in batch.members.values() if m.enters_stage()], batch.reads.company)
        requests: list[HandoverRequest] = []
        for member in batch.members.values():
            lead = _lead(member)
            self._leads[member.contact_id] = lead
            requests.extend(self._requests(member))
            self._blocked(batch, member, lead)
        self._team = self.handovers.team() if requests else {}
        self._reserved = self.ledger.handovers.reserve(requests, self._decide(batch), batch.now)
        self._plans = [
            plan
            for record in self._reserved
            if record.status == "planned" and (plan := self._plan(record, self._leads[record.contact_id])) is not None
        ]

    def apply(self, batch: Batch) -> None:
        """Create the deals and tasks, queue the contact writes, notify; note what each handover produced."""
        if not self._plans and not self._data_tasks:
            return
        leads, plans = self._leads, self._plans
        tasks = [TaskWork(p.key, p.task, p.contact_id, leads[p.contact_id].company_id, p.key) for p in plans if p.task]
        companies = {contact: lead.company_id for contact, lead in leads.items()}
        created = create_effects(self.gateway, plans, [*tasks, *self._data_tasks], companies)
        notified = {record.key for record in self._reserved if record.notified_at is not None}
        for plan in plans:
            lead = leads[plan.contact_id]
            batch.write(plan.contact_id, _writes_with_status_reset(self.config, plan, lead))
            if plan.key in created.refused:
                batch.errors[plan.contact_id] = created.refused[plan.key]
                continue
            sent = self._notify(plan, lead) if plan.notify and plan.key not in notified else False
            task_id, deal_id = created.tasks.get(plan.key), created.deals.get(plan.key)
            due = plan.task.due_at if plan.task else None
            clock = self._clocks.get(plan.key) if plan.decision.owner_id else None
            self._done.append(HandoverDone(plan.key, task_id, deal_id, due, sent, clock))
        batch.count("handovers", len(self._done))

    def record(self, batch: Batch, connection: Connection) -> None:
        handover_rows.complete(connection, self._done, batch.now)

    def _feedback(self, batch: Batch, member: Member) -> datetime | None:
        """Record sales' answer to the contact's open handover; return when a rejection recycled it (now)."""
        feedback = classify_feedback(self.config, member.contact.get(LEAD_STATUS))
        records = self._records.get(member.contact_id, [])
        open_now = [h for h in records if h.cycle == member.cycle and h.outcome is None]
        if feedback is None or not open_now:
            return None
        for handover in open_now:
            self.ledger.handovers.record_feedback(handover.key, feedback.outcome, feedback.reason, batch.now)
        if feedback.outcome != "rejected":
            return None
        member.cycle = self.ledger.handovers.recycle(open_now[-1].key, member.contact_id, batch.now)
        first, then = plan_recycle(self.config, member.contact)
        batch.write_first(member.contact_id, first)
        batch.write(member.contact_id, then)
        return batch.now

    def _refresh_companies(self, entering: list[Member], properties: frozenset[str]) -> None:
        """Read the companies of contacts entering a stage from HubSpot, not the cache: routing reads company
        properties (the account owner, …) that Leadflow does not subscribe to, so the cache would not see them
        change."""
        ids = sorted({m.company_id for m in entering if m.company_id})
        if self.company_cache is None or not ids or not properties:
            return
        fresh = read_companies(self.gateway, self.company_cache, ids, sorted(properties), fresh=True)
        for member in entering:
            if member.company_id:
                member.company = fresh.get(member.company_id, {})

    def _requests(self, member: Member) -> list[HandoverRequest]:
        """Ask for the handover of a stage entered now, or finish one an earlier attempt reserved but did not do.

        A contact that stays in its stage asks for nothing, also after a recycle: it is handed over again only
        when it enters a stage anew. Within one qualification cycle a stage is handed over once, and not at all
        once a higher stage was (a contact dropping from SQL to MQL, or leaving MQL and coming back, stays with
        the owner who has it).
        """
        stage = member.assessed().stage
        if stage is None or self.config.stage(stage) is None:
            return []
        key = handover_key(member.contact_id, stage, member.cycle)
        this_cycle = [h for h in self._records.get(member.contact_id, []) if h.cycle == member.cycle]
        existing = next((h for h in this_cycle if h.key == key), None)
        if existing is not None:
            return (
                [HandoverRequest(key, member.contact_id, stage, member.cycle)] if existing.status == "planned" else []
            )
        # Sales already has the lead at a higher stage this cycle (an SQL whose demo request aged out): not again.
        handed_higher = any(self.config.ranks_above(h.stage, stage) for h in this_cycle)
        if member.enters_stage() and not handed_higher:
            return [HandoverRequest(key, member.contact_id, stage, member.cycle)]
        return []

    def _blocked(self, batch: Batch, member: Member, lead: Lead) -> None:
        """Name the data a handover waits for (once per stage and cycle), or clear the note when none is missing."""
        blocked = next((b for b in lead.assessment.blocked if self.config.stage(b.stage) is not None), None)
        current_note = member.contact.get(HANDOVER_BLOCKED) or ""
        if blocked is None:
            if current_note:
                batch.write(member.contact_id, plan_unblocked())
            return
        plan = plan_blocked(self.config, lead, blocked, self.handovers.team(), batch.now)
        if plan.contact_writes.get(HANDOVER_BLOCKED) != current_note:
            batch.write(member.contact_id, plan.contact_writes)
        # The data task goes out with the blocking note's first appearance; its key keeps it single.
        if plan.data_task is not None and not current_note:
            key = f"{handover_key(member.contact_id, blocked.stage, member.cycle)}-data"
            self._data_tasks.append(TaskWork(key, plan.data_task, member.contact_id, member.company_id))

    def _decide(self, batch: Batch) -> Callable[[HandoverRequest, RoutingState], tuple[RoutingDecision, RoutingState]]:
        def decide(request: HandoverRequest, state: RoutingState) -> tuple[RoutingDecision, RoutingState]:
            lead = self._leads[request.contact_id]
            if not self.config.routes(request.stage):
                owner = lead.current_owner_id
                return RoutingDecision(owner, "keep" if owner else "none", "the stage keeps the current owner"), state
            return route(self.handovers.routing, lead, self._team, state, batch.now)

        return decide

    def _plan(self, record: HandoverRecord, lead: Lead) -> HandoverPlan | None:
        decision = RoutingDecision(record.owner_id, record.routing_strategy, record.routing_reason)
        # Due dates count from the reservation, so a retried handover keeps its deadline.
        clock = self._start_clock(record, lead)
        due = clock.due_at if clock else None
        return plan_handover(
            self.config, record.stage, lead, decision, record.cycle, record.assigned_at, self._team, due
        )

    def _start_clock(self, record: HandoverRecord, lead: Lead) -> SlaStart | None:
        """Start the SLA clock of a handover whose stage has a target: its due time becomes the task's."""
        start = self.handovers.start_clock
        clock = start(record, lead) if start is not None else None
        if clock is not None:
            self._clocks[record.key] = clock
        return clock

    def _notify(self, plan: HandoverPlan, lead: Lead) -> bool:
        owner = next((o for o in self._team.values() if o.id == plan.decision.owner_id), None)
        payload = notification(lead, plan, owner, self.handovers.contact_url(plan.contact_id))
        return self.handovers.notifier.notify(payload).ok


def _lead(member: Member) -> Lead:
    return Lead(
        member.contact_id,
        member.contact,
        member.company_id,
        member.company,
        member.assessed(),
        member.contact.get("hubspot_owner_id") or None,
        member.company.get("hubspot_owner_id") or None,
    )


def _writes_with_status_reset(config: HandoverConfig, plan: HandoverPlan, lead: Lead) -> dict[str, str]:
    """Return the plan's contact writes; a stale answer from an earlier cycle is cleared so it cannot count."""
    writes = dict(plan.contact_writes)
    if LEAD_STATUS not in writes and classify_feedback(config, lead.contact.get(LEAD_STATUS)) is not None:
        writes[LEAD_STATUS] = ""
    return writes

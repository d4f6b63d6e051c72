"""The handover step of the drain: sales' feedback, routing, and the handover's effects.

Order within a drain, for the contacts it drains:
1. prepare, feedback — the lead status sales set answers the open handover; a rejection recycles the lead
   (next qualification cycle, engagement counted from now when configured) before it is assessed again;
2. plan, reservation — a contact entering a stage with a handover section asks for one handover per
   (contact, stage, cycle); its company is read again from HubSpot (routing reads properties no webhook reports),
   and it is routed under the ledger's routing lock; a handover an earlier, failed attempt reserved keeps its owner;
   missing required data blocks it and gives marketing-ops one data task;
3. apply, effects — deals and tasks upserted by their handover key, associated; contact writes join the drain's
   batch update; notifications; then what ended handovers left open is closed (app/sync/handover/closing.py);
4. record — the ledger records what was created and closed, in the drain's transaction.

A handover ends when sales rejects it, when a higher stage of the same cycle supersedes it (the SQL's handover
takes over the MQL's deal), when its deal is won or lost, or when its contact is deleted or merged away; an ended
handover frees its owner's slot, and the drain closes its task (and a rejected one's deal) in HubSpot.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection

from app.ledger import endings
from app.ledger import handovers as handover_rows
from app.ledger.records import HandoverDone, HandoverRecord, HandoverRequest, SlaStart, sales_has
from app.ledger.store import Ledger
from app.rules import classify_feedback, plan_blocked, plan_handover, plan_recycle, plan_unblocked, route
from app.rules.handover.config import HandoverConfig
from app.rules.handover.leads import DISQUALIFICATION_REASON, PIPELINE_STAGE, LeadStages, lead_feedback
from app.rules.handover.notification import notification
from app.rules.handover.plan import plan_recycle_repair
from app.rules.handover.types import (
    Feedback,
    HandoverPlan,
    Lead,
    Owner,
    RoutingDecision,
    RoutingState,
    handover_key,
)
from app.rules.properties import FEEDBACK_MISSING, HANDOVER_BLOCKED, REJECT_REASON
from app.sync.handover.closing import close_ended_work
from app.sync.handover.effects import TaskWork, create_effects
from app.sync.handover.feedback import flag_rejection, take_late_reason
from app.sync.handover.leads import put_leads, read_leads
from app.sync.handover.needs import LEAD_STATUS, Handovers
from app.sync.hubspot.company_cache import CompanyCache, read_companies
from app.sync.hubspot.gateway import HubSpotGateway, Properties
from app.sync.pipeline import Batch, Member, Reads

__all__ = ["HandoverStep", "Handovers"]


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
    _taken_over: dict[str, str] = field(default_factory=dict, repr=False)  # handover key → the cycle's deal
    _unblocked: dict[str, str] = field(default_factory=dict, repr=False)  # contact → why its data tasks close
    _new_data_tasks: dict[str, tuple[str, str]] = field(default_factory=dict, repr=False)
    _closed: list[str] = field(default_factory=list, repr=False)
    _data_closed: list[str] = field(default_factory=list, repr=False)
    _lead_stages: LeadStages | None = field(default=None, repr=False)  # None: no Leads (the portal, or the config)
    _lead_values: dict[str, Properties] = field(default_factory=dict, repr=False)  # open handovers' Leads, by id
    _cycle_leads: dict[str, str] = field(default_factory=dict, repr=False)  # handover key → the cycle's Lead

    @property
    def config(self) -> HandoverConfig:
        return self.handovers.config

    def reads(self) -> Reads:
        return self.handovers.reads()

    def prepare(self, batch: Batch) -> None:
        """Record sales' answers to open handovers; recycle the rejected leads (their next cycle starts now)."""
        self._records = self.ledger.handovers.of_contacts(list(batch.members))
        self._read_leads(batch)
        if batch.missing:  # deleted in HubSpot: their handovers end, their data tasks close
            self.ledger.handovers.end_of_contacts(batch.missing, "deleted", batch.now)
            self._unblocked.update({contact_id: "deleted" for contact_id in batch.missing})
        for member in batch.members.values():
            recycled_at = self._feedback(batch, member)
            member.recycled_at = recycled_at or member.recycled_at
            if self.config.recycle.engagement_from_recycle:
                member.counted_from = member.recycled_at
            records = self._records.get(member.contact_id, [])
            member.handed_over = sales_has(records, member.cycle)

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
        for record in self._reserved:
            batch.members[record.contact_id].handed_over = True
        self._supersede(batch)
        self._plans = [
            plan
            for record in self._reserved
            if record.status == "planned" and (plan := self._plan(record, self._leads[record.contact_id])) is not None
        ]

    def apply(self, batch: Batch) -> None:
        """Create the deals and tasks, queue the contact writes, notify; note what each handover produced; then
        close what ended handovers and arrived data left open."""
        if self._plans or self._data_tasks:
            self._create(batch)
        self._close(batch)

    def _create(self, batch: Batch) -> None:
        leads, plans = self._leads, self._plans
        tasks = [TaskWork(p.key, p.task, p.contact_id, leads[p.contact_id].company_id, p.key) for p in plans if p.task]
        companies = {contact: lead.company_id for contact, lead in leads.items()}
        created = create_effects(self.gateway, plans, [*tasks, *self._data_tasks], companies, self._taken_over)
        leads_made = put_leads(self.gateway, [p for p in plans if p.key not in created.refused], companies,
                               self._cycle_leads)  # fmt: skip
        made = created.tasks
        self._new_data_tasks = {w.key: (w.contact_id, made[w.key]) for w in self._data_tasks if w.key in made}
        notified = {record.key for record in self._reserved if record.notified_at is not None}
        for plan in plans:
            lead = leads[plan.contact_id]
            batch.write(plan.contact_id, _writes_with_status_reset(self.config, plan, lead))
            if plan.key in created.refused:
                batch.errors[plan.contact_id] = created.refused[plan.key]
                continue
            sent = self._notify(plan, lead) if plan.notify and plan.key not in notified else False
            task_id = created.tasks.get(plan.key)
            deal_id = created.deals.get(plan.key) or self._taken_over.get(plan.key)
            due = plan.task.due_at if plan.task else None
            clock = self._clocks.get(plan.key) if plan.decision.owner_id else None
            if plan.key in leads_made.refused:  # the task and deal stand; the Lead is tried again by the cycle's next
                batch.errors[plan.contact_id] = f"HubSpot refused the Lead: {leads_made.refused[plan.key]}"
            lead_id = leads_made.ids.get(plan.key)
            self._done.append(HandoverDone(plan.key, task_id, deal_id, due, sent, clock, lead_id))
        batch.count("handovers", len(self._done))

    def record(self, batch: Batch, connection: Connection) -> None:
        handover_rows.complete(connection, self._done, batch.now)
        endings.record_closed(connection, self._closed, batch.now)
        endings.record_data_tasks(connection, self._new_data_tasks, batch.now)
        endings.record_data_tasks_completed(connection, self._data_closed, batch.now)

    def _close(self, batch: Batch) -> None:
        """Close the work of ended handovers (of any contact: a won deal or a merge ends them outside a drain), and
        complete the data tasks of contacts no longer blocked."""
        closed, data_closed = close_ended_work(
            self.ledger, self.gateway, self.config, self._unblocked, self._lead_stages
        )
        self._closed, self._data_closed = closed.keys, data_closed.keys
        batch.errors.update({**closed.errors, **data_closed.errors})
        if closed.keys or data_closed.keys:
            batch.count("closed", len(closed.keys) + len(data_closed.keys))

    def _supersede(self, batch: Batch) -> None:
        """End the earlier handovers of the cycle of each handover made now (an MQL's when the lead becomes SQL);
        the new handover takes over their deal, so the cycle keeps one deal and one open task."""
        superseded: list[str] = []
        for record in self._reserved:
            if record.status != "planned":
                continue
            earlier = [
                h for h in self._records.get(record.contact_id, []) if h.cycle == record.cycle and h.key != record.key
            ]
            superseded += [h.key for h in earlier if h.ended_at is None]
            deal_id = next((h.deal_id for h in reversed(earlier) if h.deal_id), None)
            if deal_id:
                self._taken_over[record.key] = deal_id
            lead_id = next((h.lead_id for h in reversed(earlier) if h.lead_id), None)
            if lead_id:
                self._cycle_leads[record.key] = lead_id
        if superseded:
            self.ledger.handovers.end(superseded, "superseded", batch.now)

    def _read_leads(self, batch: Batch) -> None:
        """Note the portal's lead pipeline (where setup found Leads) and read the Leads of the batch's open
        handovers that sales changed (the ledger noted their webhook): their stage is sales' answer (one request per
        100 Leads; none in a drain without such a Lead, so engagement drains cost nothing more)."""
        self._lead_stages = self.ledger.leads.stages() if self.config.leads is not None else None
        if self._lead_stages is None:
            return
        open_leads = [
            h.lead_id
            for member in batch.members.values()
            for h in self._records.get(member.contact_id, [])
            if h.lead_id and h.lead_changed_at and h.cycle == member.cycle and h.outcome is None and h.ended_at is None
        ]
        self._lead_values = read_leads(self.gateway, open_leads)

    def _answer(self, member: Member, open_now: list[HandoverRecord]) -> Feedback | None:
        """Return sales' answer: the contact's lead status, else the stage of the open handover's Lead."""
        feedback = classify_feedback(self.config, member.contact.get(LEAD_STATUS), member.contact.get(REJECT_REASON))
        rules, stages = self.config.leads, self._lead_stages
        if feedback is not None or rules is None or stages is None:
            return feedback
        for handover in reversed(open_now):
            values = self._lead_values.get(handover.lead_id or "")
            if values is not None:
                meaning = stages.meaning(values.get(PIPELINE_STAGE))
                return lead_feedback(rules, self.config.feedback, meaning, values.get(DISQUALIFICATION_REASON))
        return None

    def _feedback(self, batch: Batch, member: Member) -> datetime | None:
        """Record sales' answer to the contact's open handover; return when a rejection recycled it (now)."""
        picked = member.contact.get(REJECT_REASON)
        records = self._records.get(member.contact_id, [])
        take_late_reason(self.config, self.ledger, batch, member, records)
        open_now = [h for h in records if h.cycle == member.cycle and h.outcome is None and h.ended_at is None]
        feedback = self._answer(member, open_now)
        if feedback is None or not open_now:
            self._finish_recycle(batch, member, records)
            return None
        for handover in open_now:
            self.ledger.handovers.record_feedback(handover.key, feedback.outcome, feedback.reason, batch.now)
        if feedback.outcome != "rejected":
            return None
        if feedback.issue is not None:
            flag_rejection(self.handovers, self.ledger, batch, member, open_now[-1], feedback, picked)
        member.cycle = self.ledger.handovers.recycle(open_now[-1].key, member.contact_id, batch.now)
        first, then = plan_recycle(self.config, member.contact)
        batch.write_first(member.contact_id, first)
        batch.write(member.contact_id, then)
        return batch.now

    def _finish_recycle(self, batch: Batch, member: Member, records: list[HandoverRecord]) -> None:
        """Converge a recycle whose lifecycle stage write was lost: its writes are made once, when sales' answer
        arrives, so a later drain of the recycled contact (no handover in its new cycle yet) repairs them."""
        recycled = member.state is not None and member.state.recycled_at is not None
        if recycled and not any(h.cycle == member.cycle for h in records):
            batch.write(member.contact_id, plan_recycle_repair(self.config, member.contact))

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
                self._unblocked[member.contact_id] = "data-arrived" if member.enters_stage() else "data-moot"
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
            self.config, record.stage, lead, decision, record.cycle, record.assigned_at, self._team, due,
            self._lead_stages,
        )  # fmt: skip

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
    if config.feedback.reasons:  # the last cycle's reason and flag are not this handover's
        writes.update({name: "" for name in (REJECT_REASON, FEEDBACK_MISSING) if lead.contact.get(name)})
    return writes

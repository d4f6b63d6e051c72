"""What each SLA step does in HubSpot and the notification channel, once claimed (see app/ledger/sla.py).

Every HubSpot effect is repeatable, so a step claimed again after a crash repeats it harmlessly: the escalation
task is upserted by its key (`leadflow_handover_id` = `<handover>-escalation`), owner moves write the same owner.
A run's escalations go together: their tasks in one upsert per 100 and one association create per 100, then the
notifications. A HubSpot error propagates to the watch, which releases the step (for escalations: every step of
the batch) for its next run and goes on with the others; a worker killed mid-step leaves it claimed, and the watch
claims it again once the lease has passed.
Notifications cannot be taken back: one is sent after the claim and before the step is marked fired, so a worker
killed in that short window sends it again (the handover notification has the same window).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from app.ledger import handovers as handover_rows
from app.ledger import sla as sla_rows
from app.ledger.records import DueStep, SlaStart
from app.ledger.store import Ledger
from app.rules.calendar import business_minutes_between
from app.rules.handover.leads import LEAD_SLA_DUE_AT
from app.rules.handover.types import Lead, Owner, TaskSpec
from app.rules.scoring.assessment import Assessment
from app.rules.scoring.writes import format_datetime
from app.rules.sla.clock import sla_points
from app.rules.sla.escalation import due_text, escalation_recipient, owner_label, watch_message
from app.rules.sla.policy import SlaConfig, Target
from app.rules.sla.reassignment import handover_owners, reassignment_reason, reroute
from app.rules.sla.steps import clock_steps
from app.sync.handover.effects import Created, TaskWork, create_effects
from app.sync.handover.step import Handovers
from app.sync.hubspot.gateway import PRIMARY_COMPANY_ID, HubSpotGateway, Properties

logger = logging.getLogger(__name__)
OWNER = "hubspot_owner_id"


@dataclass(frozen=True)
class StepRun:
    """What running one claimed step needs."""

    ledger: Ledger
    gateway: HubSpotGateway
    handovers: Handovers
    sla: SlaConfig
    now: datetime
    team: Mapping[str, Owner]
    contacts: Mapping[str, Properties] = field(default_factory=dict)  # routing's values of the leads it may reassign
    companies: Mapping[str, Properties] = field(default_factory=dict)

    def target(self, step: DueStep) -> Target | None:
        return self.sla.target_by_id(step.sla_target)

    def notify(self, step: DueStep, text: str) -> str:
        """Send a message about the step's lead; return how it went, for the step's detail."""
        url = self.handovers.contact_url(step.contact_id)
        result = self.handovers.notifier.notify(watch_message(text, url))
        return "notified" if result.ok else f"notification failed ({result.error or result.status})"


def remind(run: StepRun, step: DueStep) -> str:
    """Remind the owner that the first touch is due soon; return the step's detail."""
    owner = run.team.get(step.owner_id or "")
    due = f"due {due_text(_due(run, step))}" if run.target(step) else "due soon"
    text = f"Reminder for {owner_label(owner, step.owner_id)}: contact {step.contact_id} ({step.stage}) {due}"
    return f"sent to {step.owner_id}; {run.notify(step, text)}"


@dataclass(frozen=True)
class Escalation:
    """An escalation about to go out: to whom (None: nobody found), what it says, and its task (None: no task)."""

    step: DueStep
    recipient: Owner | None
    what: str
    task: TaskWork | None


def escalate(run: StepRun, steps: Sequence[DueStep]) -> list[tuple[str, str | None]]:
    """Tell each step's recipient (manager, team lead, named user) by task and/or notification, the tasks of all
    the steps upserted together; return each step's detail and recipient, in the steps' order."""
    escalations = [_escalation(run, step) for step in steps]
    tasks = [escalation.task for escalation in escalations if escalation.task is not None]
    created = create_effects(run.gateway, [], tasks, {}) if tasks else Created()
    return [_escalated(run, escalation, created) for escalation in escalations]


def _escalation(run: StepRun, step: DueStep) -> Escalation:
    owner = run.team.get(step.owner_id or "")
    recipient = escalation_recipient(run.sla.escalation, owner, run.team)
    what = f"contact {step.contact_id} ({step.stage}) has no first touch by {owner_label(owner, step.owner_id)}"
    if not run.sla.escalation.task or recipient is None:
        return Escalation(step, recipient, what, None)
    spec = TaskSpec(f"SLA breached: {what}", _escalation_body(run, step), "TODO", "HIGH", run.now, recipient.id)
    task = TaskWork(f"{step.key}-{step.step.replace('/', '-')}", spec, step.contact_id, None)
    return Escalation(step, recipient, what, task)


def _escalated(run: StepRun, escalation: Escalation, created: Created) -> tuple[str, str | None]:
    """Notify the escalation's recipient (when configured); return the step's detail and recipient."""
    step, recipient = escalation.step, escalation.recipient
    parts = [
        f"to {recipient.id}" if recipient else f"no {run.sla.escalation.to.replace('_', ' ')} found for {step.owner_id}"
    ]
    if escalation.task is not None:
        key = escalation.task.key
        parts.append(f"task {created.tasks.get(key) or 'refused: ' + created.refused.get(key, '?')}")
    if run.sla.escalation.notify:
        name = owner_label(recipient, None) if recipient else "sales"
        parts.append(run.notify(step, f"Escalation to {name}: {escalation.what}, due {due_text(_due(run, step))}"))
    return "; ".join(parts), recipient.id if recipient else None


@dataclass(frozen=True)
class Reassigned:
    """What a reassignment step did: why, to whom (None: nobody eligible) and the new owner's clock."""

    reason: str
    owner_id: str | None
    clock: SlaStart | None
    notified: str = ""

    @property
    def detail(self) -> str:
        return f"{self.reason} → {self.owner_id}; {self.notified}" if self.owner_id else self.reason


def earlier_owners(step: DueStep) -> list[str]:
    """Return every owner the handover had, the current one last."""
    return handover_owners(step.earlier_owners, step.owner_id)


def reassign(run: StepRun, step: DueStep) -> Reassigned:
    """Route the lead anew and move contact, task (and deal) to the new owner, who gets a fresh clock."""
    target = run.target(step)
    new_owner, reason = step.decided_owner, step.decided_reason or ""
    if new_owner is None:
        new_owner, reason = _route(run, step, target, earlier_owners(step))
    if new_owner is None:
        return Reassigned(reason, None, None)
    clock = _restart(run, step, target)
    _move(run, step, new_owner, clock)
    old = owner_label(run.team.get(step.owner_id or ""), step.owner_id)
    new = owner_label(run.team.get(new_owner), new_owner)
    notified = run.notify(step, f"Reassigned contact {step.contact_id} ({step.stage}) from {old} to {new}")
    return Reassigned(reason, new_owner, clock, notified)


def _route(run: StepRun, step: DueStep, target: Target | None, earlier: list[str]) -> tuple[str | None, str]:
    lead = _lead(run, step)
    minutes = business_minutes_between(target.calendar, step.sla_clock_at, run.now) if target else 0.0
    percent = run.sla.reassignment.percent if run.sla.reassignment else 0.0
    with run.ledger.transaction() as connection:
        decision = handover_rows.routed(
            connection, lambda state: reroute(run.handovers.routing, lead, run.team, state, run.now, earlier)
        )
        reason = reassignment_reason(step.sla_target, percent, minutes, earlier, decision)
        sla_rows.decide_owner(connection, step.id, decision.owner_id, reason)
    return decision.owner_id, reason


def read_routing_values(
    gateway: HubSpotGateway, handovers: Handovers, contact_ids: Sequence[str]
) -> tuple[dict[str, Properties], dict[str, Properties]]:
    """Read what routing looks at for the leads a run may reassign: their contacts' and primary companies'
    properties, one read per 100 contacts and one per 100 companies (routing reads no assessment)."""
    if not contact_ids:
        return {}, {}
    contact_props, company_props = handovers.routing.referenced_properties()
    contacts = gateway.read_objects("contact", contact_ids, sorted(contact_props | {OWNER, PRIMARY_COMPANY_ID}))
    company_ids = sorted({company for values in contacts.values() if (company := values.get(PRIMARY_COMPANY_ID))})
    companies = (
        gateway.read_objects("company", company_ids, sorted(company_props | {OWNER, "name"})) if company_ids else {}
    )
    return contacts, companies


def _lead(run: StepRun, step: DueStep) -> Lead:
    """The lead as routing sees it, from the values the run read for it (`read_routing_values`)."""
    contact = run.contacts.get(step.contact_id, {})
    company_id = contact.get(PRIMARY_COMPANY_ID) or None
    company = run.companies.get(company_id or "", {})
    assessment = Assessment(0, 0, 0, "", step.stage, (), "", ())
    return Lead(step.contact_id, contact, company_id, company, assessment, contact.get(OWNER), company.get(OWNER))


def _move(run: StepRun, step: DueStep, owner_id: str, clock: SlaStart | None) -> None:
    """Give the contact, its open handover task (due at the new clock's time), its Lead (the handover record: always)
    and, when configured, its deal to the new owner; the same writes again after a crash change nothing."""
    writes: dict[str, dict[str, dict[str, str | None]]] = {"contact": {step.contact_id: {OWNER: owner_id}}}
    if step.task_id:
        task: dict[str, str | None] = {OWNER: owner_id}
        if clock is not None:
            task["hs_timestamp"] = format_datetime(clock.due_at)
        writes["task"] = {step.task_id: task}
    if step.lead_id:
        lead: dict[str, str | None] = {OWNER: owner_id}
        if clock is not None:
            lead[LEAD_SLA_DUE_AT] = format_datetime(clock.due_at)
        writes["lead"] = {step.lead_id: lead}
    if step.deal_id and run.sla.reassignment and run.sla.reassignment.move_deal:
        writes["deal"] = {step.deal_id: {OWNER: owner_id}}
    for object_type, updates in writes.items():
        for refused_id, why in run.gateway.update_objects(object_type, updates).items():
            logger.error("sla.reassign-refused", extra={"object": object_type, "id": refused_id, "reason": why})


def _restart(run: StepRun, step: DueStep, target: Target | None) -> SlaStart | None:
    """The new owner's fresh clock, counted from now, in the next round."""
    if target is None:
        return None
    points = sla_points(run.sla, target, run.now)
    steps = clock_steps(run.sla, points, step.reassignments + 1)
    return SlaStart(target.id, points.assigned_at, points.due_at, tuple((s.name, s.due_at) for s in steps))


def _due(run: StepRun, step: DueStep) -> datetime:
    target = run.target(step)
    return sla_points(run.sla, target, step.sla_clock_at).due_at if target else step.due_at


def _escalation_body(run: StepRun, step: DueStep) -> str:
    return (
        f"Leadflow escalates handover {step.key}: the owner has not touched the lead since "
        f"{due_text(step.sla_clock_at)}; the first touch was due {due_text(_due(run, step))}."
    )

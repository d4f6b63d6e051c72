"""Handover plans: what entering a stage does in HubSpot, what a blocked handover asks for, and sales' feedback.

Every function here is pure: it takes the lead as HubSpot shows it, the routing decision and the time, and returns
the writes, the task and the deal for the shell to carry out (see docs/handover.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation

from app.rules.handover.calendar import business_due
from app.rules.handover.config import DataTaskTemplate, DealTemplate, HandoverConfig, StageHandover, TaskTemplate
from app.rules.handover.leads import LeadStages, cycle_key, plan_lead
from app.rules.handover.routing import clip_reason
from app.rules.handover.schema import LIFECYCLE_STAGES
from app.rules.handover.templates import TemplateContext
from app.rules.handover.types import (
    BlockedPlan,
    DealSpec,
    Feedback,
    HandoverPlan,
    Lead,
    Owner,
    RawProperties,
    RoutingDecision,
    TaskSpec,
    handover_key,
)
from app.rules.properties import HANDOVER_BLOCKED, ROUTING_REASON
from app.rules.scoring.assessment import Blocked, render_reason

OWNER = "hubspot_owner_id"
LIFECYCLE_STAGE = "lifecyclestage"
LEAD_STATUS = "hs_lead_status"


def plan_handover(
    config: HandoverConfig,
    stage_id: str,
    lead: Lead,
    decision: RoutingDecision,
    cycle: int,
    now: datetime,
    team: Mapping[str, Owner],
    due_at: datetime | None = None,
    lead_stages: LeadStages | None = None,
) -> HandoverPlan | None:
    """Plan the handover of a lead entering a stage; None when the stage hands nothing over.

    `due_at`, when given, is the task's due time (the SLA's, config/sla.yaml) instead of handover.yaml's
    `response_hours` counted in its calendar. `lead_stages`: the portal's lead pipeline as `leadflow setup` found
    it (None: the portal has no Leads, or setup has not looked); with it and handover.yaml's `leads`, a handover
    with an owner carries the cycle's Lead.
    """
    stage = config.stage(stage_id)
    if stage is None:
        return None
    decision = _stage_decision(stage, lead, decision, team)
    owner = _owner_by_id(team, decision.owner_id)
    due = due_at or _response_due(config, stage, now)
    context = _context(config, stage_id, lead, owner, due)
    task = _task(config, stage.task, context, lead.assessment.grade, due, owner)
    deal = _deal(config, stage.deal, context, lead, owner)
    if owner is None and (stage.task or stage.deal):
        decision = _noted(decision, "no task or deal without an owner")
    writes = _contact_writes(stage, lead, decision)
    key = handover_key(lead.contact_id, stage_id, cycle)
    crm_lead = None
    if config.leads is not None and lead_stages is not None and owner is not None:
        crm_lead = plan_lead(
            config.leads, context, config.defaults, lead.assessment, stage_id, owner.id,
            cycle_key(lead.contact_id, cycle), due, lead_stages.pipeline_id,
        )  # fmt: skip
    return HandoverPlan(lead.contact_id, stage_id, cycle, key, decision, writes, task, deal, stage.notify, crm_lead)


def _response_due(config: HandoverConfig, stage: StageHandover, now: datetime) -> datetime | None:
    return business_due(now, stage.response_hours, config.calendar) if stage.response_hours is not None else None


def plan_blocked(
    config: HandoverConfig, lead: Lead, blocked: Blocked, team: Mapping[str, Owner], now: datetime
) -> BlockedPlan:
    """Plan what a handover blocked by missing data does: name the missing properties, ask marketing-ops."""
    writes = {HANDOVER_BLOCKED: f"{blocked.stage}: missing {', '.join(blocked.missing)}"}
    template = config.data_task
    owner = _active_by_email(team, template.owner_email) if template else None
    if template is None or owner is None:
        return BlockedPlan(lead.contact_id, blocked.stage, blocked.missing, writes)
    data_task = _data_task(config, template, lead, blocked, owner, now)
    return BlockedPlan(lead.contact_id, blocked.stage, blocked.missing, writes, data_task)


def plan_unblocked() -> dict[str, str]:
    """Return the write that clears the blocked note (the shell writes it only where the note is set)."""
    return {HANDOVER_BLOCKED: ""}


def classify_feedback(
    config: HandoverConfig, lead_status: str | None, reject_reason: str | None = None
) -> Feedback | None:
    """Return what a lead status set by sales means for the handover, or None when it means nothing.

    With `feedback.reasons` configured, a rejection's reason is the one sales picked in `leadflow_reject_reason`;
    without one from the list the rejection still counts, with the lead status's reason and an `issue`."""
    status = (lead_status or "").strip()
    if status in config.feedback.accepted:
        return Feedback("accepted")
    if status not in config.feedback.rejected:
        return None
    fallback = config.feedback.rejected[status] or status
    if not config.feedback.reasons:
        return Feedback("rejected", fallback)
    picked = (reject_reason or "").strip()
    if picked in config.feedback.reasons:
        return Feedback("rejected", picked)
    return Feedback("rejected", fallback, "unknown" if picked else "missing")


def plan_recycle(config: HandoverConfig, contact: RawProperties) -> tuple[dict[str, str], dict[str, str]]:
    """Return the two writes that recycle a rejected lead: clear the lifecycle stage if going back, then set.

    `leadflow_stage` is not the recycle's to write: the lead is assessed again in the same drain (engagement
    counted from the recycle when the configuration says so), and the scoring step writes the stage it has now."""
    target = config.recycle.lifecyclestage
    current = contact.get(LIFECYCLE_STAGE) or ""
    first = {LIFECYCLE_STAGE: ""} if current and current != target and not is_ahead(target, current) else {}
    then = {LIFECYCLE_STAGE: target}
    if config.recycle.lead_status is not None:
        then[LEAD_STATUS] = config.recycle.lead_status
    return first, then


def plan_recycle_repair(config: HandoverConfig, contact: RawProperties) -> dict[str, str]:
    """Return the write that finishes a recycle whose second write did not land (HubSpot applied the clear late,
    or the drain failed between the two): a recycled contact left without a lifecycle stage gets the recycle's."""
    return {} if contact.get(LIFECYCLE_STAGE) else {LIFECYCLE_STAGE: config.recycle.lifecyclestage}


def is_ahead(target: str, current: str | None) -> bool:
    """Return whether lifecycle stage `target` is ahead of `current` (empty: yes; a custom stage: no)."""
    if not current:
        return True
    if current not in LIFECYCLE_STAGES or target not in LIFECYCLE_STAGES:
        return False
    return LIFECYCLE_STAGES.index(target) > LIFECYCLE_STAGES.index(current)


def format_amount(raw: str | None) -> str | None:
    """Return a property value as the plain decimal number HubSpot expects for `amount`, or None."""
    try:
        number = Decimal((raw or "").strip())
    except InvalidOperation:
        return None
    return format(number, "f") if number.is_finite() else None


def _stage_decision(
    stage: StageHandover, lead: Lead, decision: RoutingDecision, team: Mapping[str, Owner]
) -> RoutingDecision:
    if stage.owner == "route":
        return decision
    if stage.owner == "none":
        return RoutingDecision(None, "none", f"stage {stage.id} assigns no owner")
    owner = _owner_by_id(team, lead.current_owner_id)
    if owner is None or not owner.active:
        why = "the contact has none" if owner is None else f"{_name(owner)} is archived"
        return RoutingDecision(None, "none", f"stage {stage.id} keeps the current owner, but {why}")
    return RoutingDecision(owner.id, "keep-owner", f"stage {stage.id} keeps the current owner, {_name(owner)}")


def _contact_writes(stage: StageHandover, lead: Lead, decision: RoutingDecision) -> dict[str, str]:
    writes: dict[str, str] = {}
    if decision.owner_id and decision.owner_id != lead.current_owner_id:
        writes[OWNER] = decision.owner_id
    if stage.lifecyclestage and is_ahead(stage.lifecyclestage, lead.contact.get(LIFECYCLE_STAGE)):
        writes[LIFECYCLE_STAGE] = stage.lifecyclestage
    if stage.lead_status:
        writes[LEAD_STATUS] = stage.lead_status
    writes[ROUTING_REASON] = decision.reason
    return writes


def _task(
    config: HandoverConfig,
    template: TaskTemplate | None,
    context: TemplateContext,
    grade: str,
    due: datetime | None,
    owner: Owner | None,
) -> TaskSpec | None:
    if template is None or owner is None or due is None:
        return None
    subject = template.subject.render(context, config.defaults)
    body = template.body.render(context, config.defaults)
    priority = template.priority.for_grade(grade)
    return TaskSpec(subject, body, template.task_type, priority, due, owner.id, template.queue_id)


def _deal(
    config: HandoverConfig, template: DealTemplate | None, context: TemplateContext, lead: Lead, owner: Owner | None
) -> DealSpec | None:
    if template is None or owner is None:
        return None
    amount = None
    if template.amount_property is not None:
        object_name, name = template.amount_property
        amount = format_amount((lead.contact if object_name == "contact" else lead.company).get(name))
    name_text = template.name.render(context, config.defaults)
    return DealSpec(name_text, template.pipeline, template.stage, owner.id, amount)


def _data_task(
    config: HandoverConfig, template: DataTaskTemplate, lead: Lead, blocked: Blocked, owner: Owner, now: datetime
) -> TaskSpec:
    due = business_due(now, template.due_hours, config.calendar)
    context = _context(config, blocked.stage, lead, owner, due, missing=", ".join(blocked.missing))
    subject = template.subject.render(context, config.defaults)
    body = template.body.render(context, config.defaults)
    return TaskSpec(subject, body, template.task_type, template.priority, due, owner.id, template.queue_id)


def _context(
    config: HandoverConfig, stage_id: str, lead: Lead, owner: Owner | None, due: datetime | None, missing: str = ""
) -> TemplateContext:
    assessment = lead.assessment
    fields = {
        "stage": stage_id,
        "stage_label": config.label(stage_id),
        "score": str(assessment.score),
        "fit": str(assessment.fit),
        "engagement": str(assessment.engagement),
        "grade": assessment.grade,
        "reasons": "\n".join(render_reason(reason) for reason in assessment.reasons),
        "owner.name": _name(owner) if owner else "",
        "owner.email": owner.email if owner else "",
        "due_at": _local_time(due, config) if due else "",
        "missing": missing,
    }
    return TemplateContext(lead.contact, lead.company, fields)


def _local_time(moment: datetime, config: HandoverConfig) -> str:
    local = moment.astimezone(config.calendar.timezone)
    return f"{local:%Y-%m-%d %H:%M} {local.tzname()}"


def _noted(decision: RoutingDecision, note: str) -> RoutingDecision:
    reason = clip_reason(f"{decision.reason}; {note}")
    return RoutingDecision(decision.owner_id, decision.strategy, reason, decision.pool)


def _owner_by_id(team: Mapping[str, Owner], owner_id: str | None) -> Owner | None:
    return next((owner for owner in team.values() if owner.id == owner_id), None) if owner_id else None


def _active_by_email(team: Mapping[str, Owner], email: str) -> Owner | None:
    wanted = email.casefold()
    return next((owner for owner in team.values() if owner.active and owner.email.casefold() == wanted), None)


def _name(owner: Owner) -> str:
    return owner.name or owner.email or owner.id

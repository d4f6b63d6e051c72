"""What the configuration names in the portal: the properties `leadflow setup` makes, the owners routing and the
handover hand leads to, the deal pipelines and stages, the lead statuses and the task queues. Each name carries
where in `config/` it is named, so a finding can point at the line to fix."""

from __future__ import annotations

from dataclasses import dataclass

from app.rules.configuration import Configuration
from app.rules.handover.config import HandoverConfig
from app.rules.handover.routing_config import RoutingConfig
from app.rules.properties import (
    HANDOVER_OBJECT_TYPES,
    PropertyInfo,
    feedback_properties,
    handover_contact_properties,
    handover_id_property,
    nurture_contact_properties,
    score_properties,
    sla_contact_properties,
)
from app.rules.sla.policy import SlaConfig

Named = dict[str, list[str]]  # a name in the portal → where config/ names it


@dataclass(frozen=True)
class StageRef:
    """A deal stage of a pipeline, as config/handover.yaml names it."""

    pipeline: str
    stage: str
    where: str


def wanted_properties(config: Configuration) -> dict[str, tuple[PropertyInfo, ...]]:
    """Return, by object type, the properties `leadflow setup` creates for this configuration."""
    model, handover, nurture = config.model, config.handover, config.nurture
    stages = [(stage.id, stage.label) for stage in model.stages]
    reasons = list(handover.feedback.reasons.items()) if handover is not None else []
    contact = [*score_properties(stages, model.grade_labels), *handover_contact_properties(), *sla_contact_properties()]
    if reasons:
        contact += feedback_properties(reasons)
    if nurture is not None:
        tracks = [(track.id, track.label) for track in nurture.tracks]
        steps = [(step.id, step.label) for track in nurture.tracks for step in track.steps]
        contact += nurture_contact_properties(tracks, steps)
    wanted = {"contact": tuple(contact)}
    wanted.update({object_type: (handover_id_property(),) for object_type in HANDOVER_OBJECT_TYPES})
    return wanted


def named_owners(config: Configuration) -> Named:
    """Return the owner emails routing.yaml, handover.yaml and sla.yaml name (lower-cased), with where."""
    routing, handover = config.routing, config.handover
    named: Named = {}
    if routing is not None:
        for pool in routing.pools.values():
            for member in pool.members:
                _add(named, member.email.casefold(), f"routing.yaml pools.{pool.id}")
        for email in routing.owners:
            _add(named, email.casefold(), "routing.yaml owners")
        if routing.fallback is not None:
            _add(named, routing.fallback.casefold(), "routing.yaml fallback")
    if handover is not None and handover.data_task is not None:
        _add(named, handover.data_task.owner_email.casefold(), "handover.yaml gate.data_task.owner")
    for email, places in _escalation_owners(config.sla).items():
        for where in places:
            _add(named, email, where)
    return named


def _escalation_owners(sla: SlaConfig | None) -> Named:
    named: Named = {}
    if sla is None:
        return named
    escalation = sla.escalation
    for owner, manager in escalation.managers.items():
        _add(named, owner.casefold(), "sla.yaml escalation.managers")
        _add(named, manager.casefold(), "sla.yaml escalation.managers")
    for lead in escalation.team_leads.values():
        _add(named, lead.casefold(), "sla.yaml escalation.team_leads")
    if escalation.user_email is not None:
        _add(named, escalation.user_email.casefold(), "sla.yaml escalation.user")
    return named


def named_teams(routing: RoutingConfig | None) -> Named:
    """Return the HubSpot teams routing.yaml pools are made of, with where."""
    named: Named = {}
    for pool in routing.pools.values() if routing is not None else ():
        if pool.team is not None:
            _add(named, pool.team, f"routing.yaml pools.{pool.id}.team")
    return named


def named_stages(handover: HandoverConfig | None) -> list[StageRef]:
    """Return the deal pipelines and stages handover.yaml names (the deals it creates, the stages it closes)."""
    if handover is None:
        return []
    refs = [
        StageRef(stage.deal.pipeline, stage.deal.stage, f"handover.yaml stages.{stage.id}.deal")
        for stage in handover.stages.values()
        if stage.deal is not None
    ]
    uses_deals = bool(refs)
    if uses_deals:
        refs += [
            StageRef(pipeline, stage, f"handover.yaml closing.lost_stages.{pipeline}")
            for pipeline, stage in handover.closing.lost_stages.items()
        ]
    return refs


def named_lead_statuses(handover: HandoverConfig | None) -> Named:
    """Return the lead statuses (hs_lead_status values) handover.yaml sets or reads, with where."""
    named: Named = {}
    if handover is None:
        return named
    for stage in handover.stages.values():
        if stage.lead_status:
            _add(named, stage.lead_status, f"handover.yaml stages.{stage.id}.lead_status")
    for status in sorted(handover.feedback.accepted):
        _add(named, status, "handover.yaml feedback.accepted")
    for status in handover.feedback.rejected:
        _add(named, status, "handover.yaml feedback.rejected")
    if handover.recycle.lead_status:  # empty: the recycle clears the lead status
        _add(named, handover.recycle.lead_status, "handover.yaml recycle.lead_status")
    return named


def named_queues(handover: HandoverConfig | None) -> Named:
    """Return the task queue ids handover.yaml puts tasks in, with where."""
    named: Named = {}
    if handover is None:
        return named
    for stage in handover.stages.values():
        if stage.task is not None and stage.task.queue_id is not None:
            _add(named, stage.task.queue_id, f"handover.yaml stages.{stage.id}.task.queue_id")
    if handover.data_task is not None and handover.data_task.queue_id is not None:
        _add(named, handover.data_task.queue_id, "handover.yaml gate.data_task.queue_id")
    return named


def _add(named: Named, name: str, where: str) -> None:
    places = named.setdefault(name, [])
    if where not in places:
        places.append(where)

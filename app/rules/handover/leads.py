"""HubSpot's Leads object as the handover record: one Lead per qualification cycle, and its stage as sales' answer.

Where the portal has Leads (`leadflow setup` finds them and records the lead pipeline's stages), a handover with
an owner creates the cycle's Lead, or updates it when an earlier handover of the cycle made one (the SQL takes over
the MQL's Lead): owner, name, type, label, and Leadflow's score, grade, reasons, model and SLA due time. Sales
works the Lead in HubSpot's Leads workspace; its stage is read back: a first-touch stage (Attempting, Connected) is
a touch, a qualified stage is acceptance, a disqualified one is rejection with the Lead's disqualification reason.
Everything here is pure; see docs/handover.md, "Leads".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from app.rules.handover.config import MEANINGS, FeedbackRules, LeadRules
from app.rules.handover.templates import TemplateContext
from app.rules.handover.types import Feedback, LeadSpec
from app.rules.scoring.assessment import Assessment, render_reason
from app.rules.scoring.writes import format_datetime

OPEN = "open"  # a stage of the pipeline Leadflow reads nothing from (New, and any the portal added)

LEAD_NAME = "hs_lead_name"
LEAD_TYPE = "hs_lead_type"
LEAD_LABEL = "hs_lead_label"
PIPELINE = "hs_pipeline"
PIPELINE_STAGE = "hs_pipeline_stage"
DISQUALIFICATION_REASON = "hs_lead_disqualification_reason"
OWNER = "hubspot_owner_id"
# Leadflow's own lead properties (`leadflow setup` creates them in the "Leadflow" group of leads).
CYCLE_ID = "leadflow_cycle_id"
LEAD_SCORE = "leadflow_score"
LEAD_GRADE = "leadflow_grade"
LEAD_STAGE = "leadflow_stage"
LEAD_REASONS = "leadflow_reasons"
LEAD_MODEL = "leadflow_model"
LEAD_SLA_DUE_AT = "leadflow_sla_due_at"
# How HubSpot answers a portal without Leads (or a token not granted their scopes): 403 MISSING_SCOPES; an object
# type the portal does not have: 404 or 400.
NO_LEADS_STATUSES = (400, 403, 404)
READ_BACK = (PIPELINE_STAGE, DISQUALIFICATION_REASON)  # what the drain reads of an open handover's Lead
MAX_TEXT = 65536  # HubSpot's limit for a string property value


@dataclass(frozen=True, slots=True)
class PipelineStage:
    id: str
    label: str


@dataclass(frozen=True, slots=True)
class LeadPipeline:
    """A lead pipeline as HubSpot lists it: id, label and stages in display order."""

    id: str
    label: str
    stages: tuple[PipelineStage, ...]


@dataclass(frozen=True, slots=True)
class LeadStages:
    """The portal's lead pipeline as setup resolved it: its id and what each of its stages means to Leadflow."""

    pipeline_id: str
    meanings: Mapping[str, str]  # stage id → first_touch | accepted | rejected | open
    labels: Mapping[str, str] = field(default_factory=dict)  # stage id → label

    def meaning(self, stage_id: str | None) -> str | None:
        return self.meanings.get(stage_id or "")

    def touching(self) -> frozenset[str]:
        """Return the stages a rep moving a Lead into touches it: every stage Leadflow reads."""
        return frozenset(stage for stage, meaning in self.meanings.items() if meaning != OPEN)


class LeadStagesUnresolved(ValueError):
    """handover.yaml's `leads` names a pipeline or stage the portal lacks; the message says which and what exists."""


def cycle_key(contact_id: str, cycle: int) -> str:
    """Return the key of a contact's qualification cycle, its Lead's `leadflow_cycle_id` (`123-1`)."""
    return f"{contact_id}-{cycle}"


def resolve_lead_stages(rules: LeadRules, pipelines: Sequence[LeadPipeline]) -> LeadStages:
    """Resolve `rules` against the portal's lead pipelines: the pipeline, and each named stage by id or label
    (case-insensitive); raise `LeadStagesUnresolved` naming what is missing and what the portal has."""
    pipeline = _pipeline(rules.pipeline, pipelines)
    meanings: dict[str, str] = {stage.id: OPEN for stage in pipeline.stages}
    for meaning in MEANINGS:
        for name in rules.stages.get(meaning, ()):
            stage = _stage(pipeline, name)
            if stage is None:
                known = ", ".join(f"{s.label} ({s.id})" for s in pipeline.stages)
                raise LeadStagesUnresolved(
                    f"leads.stages.{meaning}: the lead pipeline {pipeline.label!r} has no stage {name!r} "
                    f"(its stages: {known})"
                )
            if meanings[stage.id] != OPEN and meanings[stage.id] != meaning:
                raise LeadStagesUnresolved(
                    f"leads.stages.{meaning}: stage {name!r} is already {meanings[stage.id]} (one meaning per stage)"
                )
            meanings[stage.id] = meaning
    return LeadStages(pipeline.id, meanings, {stage.id: stage.label for stage in pipeline.stages})


def _pipeline(wanted: str | None, pipelines: Sequence[LeadPipeline]) -> LeadPipeline:
    if not pipelines:
        raise LeadStagesUnresolved("the portal has no lead pipeline")
    if wanted is None:
        return pipelines[0]
    folded = wanted.casefold()
    found = next((p for p in pipelines if p.id == wanted or p.label.casefold() == folded), None)
    if found is None:
        known = ", ".join(f"{p.label} ({p.id})" for p in pipelines)
        raise LeadStagesUnresolved(f"leads.pipeline: the portal has no lead pipeline {wanted!r} (it has: {known})")
    return found


def _stage(pipeline: LeadPipeline, name: str) -> PipelineStage | None:
    folded = name.casefold()
    return next((s for s in pipeline.stages if s.id == name or s.label.casefold() == folded), None)


def plan_lead(
    rules: LeadRules,
    context: TemplateContext,
    defaults: Mapping[str, str],
    assessment: Assessment,
    stage_id: str,
    owner_id: str,
    key: str,
    due_at: datetime | None,
    pipeline_id: str,
) -> LeadSpec:
    """Return the cycle's Lead for a handover to `owner_id`: its name, owner, type, label and Leadflow's values."""
    reasons = "\n".join(render_reason(reason) for reason in assessment.reasons)
    properties = {
        LEAD_NAME: rules.name.render(context, defaults).strip() or key,
        OWNER: owner_id,
        LEAD_SCORE: str(assessment.score),
        LEAD_GRADE: assessment.grade,
        LEAD_STAGE: stage_id,
        LEAD_REASONS: reasons[:MAX_TEXT],
        LEAD_MODEL: assessment.model,
        LEAD_SLA_DUE_AT: format_datetime(due_at) if due_at is not None else "",
    }
    if rules.lead_type is not None:
        properties[LEAD_TYPE] = rules.lead_type
    if rules.label is not None:
        properties[LEAD_LABEL] = rules.label.for_grade(assessment.grade)
    return LeadSpec(key, properties, pipeline_id)


def lead_feedback(
    rules: LeadRules, feedback: FeedbackRules, meaning: str | None, reason: str | None
) -> Feedback | None:
    """Return what a Lead's stage says of its handover: accepted, rejected with its reason, or nothing.

    A rejection's reason is the Lead's disqualification reason, mapped by `leads.reasons`. Where handover.yaml
    lists rejection reasons (`feedback.reasons`), one not among them is flagged like a lead status rejection
    without a reason (`missing`: none given, `unknown`: one not in the list)."""
    if meaning == "accepted":
        return Feedback("accepted")
    if meaning != "rejected":
        return None
    given = (reason or "").strip()
    mapped = rules.reasons.get(given, given)
    if not feedback.reasons:
        return Feedback("rejected", mapped or "disqualified")
    if mapped in feedback.reasons:
        return Feedback("rejected", mapped)
    return Feedback("rejected", mapped or "disqualified", "unknown" if given else "missing")


def close_lead(stages: LeadStages, lead: Mapping[str, str | None]) -> dict[str, str] | None:
    """Return the write that disqualifies a rejected handover's Lead (sales answered on the contact, not on the
    Lead): its pipeline's first rejected stage; None when sales closed it already (accepted or rejected) or the
    pipeline has no rejected stage."""
    if stages.meaning(lead.get(PIPELINE_STAGE)) in ("accepted", "rejected"):
        return None
    rejected = next((stage for stage, meaning in stages.meanings.items() if meaning == "rejected"), None)
    return {PIPELINE_STAGE: rejected} if rejected is not None else None

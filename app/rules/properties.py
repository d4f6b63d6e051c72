"""Leadflow's own properties: their definitions, derived from the scoring model and the handover, for `leadflow setup`.

The score properties and the handover's routing reason and blocked note live on contacts, in Leadflow's group.
Deals and tasks carry `leadflow_handover_id`, a unique-value property, so the shell writes them by batch upsert
keyed by the handover (contact, stage, cycle): a retried request cannot create a second deal or task. Where the
portal has HubSpot's Leads, each cycle's Lead carries the unique `leadflow_cycle_id` and Leadflow's values.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from app.rules.handover import leads
from app.rules.scoring import writes

GROUP_NAME = "leadflow"
GROUP_LABEL = "Lead scoring (Leadflow)"
HANDOVER_GROUP_LABEL = "Leadflow"

ROUTING_REASON = "leadflow_routing_reason"
HANDOVER_BLOCKED = "leadflow_handover_blocked"
HANDOVER_ID = "leadflow_handover_id"
# The SLA's properties on the contact (docs/sla.md), written by the SLA watch.
SLA_STATUS = "leadflow_sla_status"
SLA_DUE_AT = "leadflow_sla_due_at"
FIRST_TOUCH_AT = "leadflow_first_touch_at"
RESPONSE_BUSINESS_MINUTES = "leadflow_response_business_minutes"
SLA_STATUSES = (
    ("on_track", "On track"),
    ("at_risk", "At risk"),
    ("breached", "Breached"),
    ("met", "Met"),
    ("missed", "Missed"),
)
REJECT_REASON = "leadflow_reject_reason"  # the rejection reason sales picks (handover.yaml `feedback.reasons`)
FEEDBACK_MISSING = "leadflow_feedback_missing"  # why a rejection lacks a valid reason (empty: it has one)
# Nurture's properties on the contact (docs/nurture.md): one HubSpot workflow per step sends its content.
NURTURE_TRACK = "leadflow_nurture_track"
NURTURE_STEP = "leadflow_nurture_step"  # the content id of the step offered last
NURTURE_STEP_AT = "leadflow_nurture_step_at"
NURTURE_PROPERTIES = (NURTURE_TRACK, NURTURE_STEP, NURTURE_STEP_AT)
# The object types whose records Leadflow upserts by `HANDOVER_ID`.
HANDOVER_OBJECT_TYPES = ("deal", "task")


@dataclass(frozen=True)
class PropertyOption:
    value: str
    label: str
    display_order: int = 0
    hidden: bool = False
    description: str = ""


@dataclass(frozen=True)
class PropertyInfo:
    """A property definition as HubSpot holds it, or as Leadflow wants it."""

    name: str
    label: str
    type: str
    field_type: str
    group_name: str
    description: str = ""
    options: tuple[PropertyOption, ...] = field(default_factory=tuple)
    has_unique_value: bool = False  # HubSpot's `hasUniqueValue`: set at creation, never changed later


def score_properties(stages: Sequence[tuple[str, str]], grades: Sequence[str]) -> tuple[PropertyInfo, ...]:
    """Return the definitions of the score properties; `stages` are (id, label) pairs in model order."""
    stage_options = tuple(PropertyOption(sid, label, order) for order, (sid, label) in enumerate(stages))
    grade_options = tuple(PropertyOption(grade, grade, order) for order, grade in enumerate(grades))
    return (
        _number(writes.FIT_SCORE, "Fit score", "Who the contact is: industry, size, role, market (Leadflow)."),
        _number(writes.ENGAGEMENT_SCORE, "Engagement score", "What the contact did, with decay (Leadflow)."),
        _number(writes.SCORE, "Lead score", "Fit score plus engagement score (Leadflow)."),
        _enumeration(writes.GRADE, "Lead grade", "Fit letter and engagement digit, e.g. B2 (Leadflow).", grade_options),
        _enumeration(
            writes.STAGE, "Qualification stage", "The highest stage the contact qualifies for.", stage_options
        ),
        PropertyInfo(writes.REASONS, "Score reasons", "string", "textarea", GROUP_NAME, "Why the score is what it is."),
        PropertyInfo(writes.MODEL, "Scoring model", "string", "text", GROUP_NAME, "The model version that scored."),
        PropertyInfo(writes.SCORED_AT, "Scored at", "datetime", "date", GROUP_NAME, "When the score last changed."),
    )


def handover_contact_properties() -> tuple[PropertyInfo, ...]:
    """Return the contact properties the handover writes: why the owner was chosen, what blocks the handover."""
    return (
        PropertyInfo(
            ROUTING_REASON, "Routing reason", "string", "textarea", GROUP_NAME, "Why Leadflow chose this owner."
        ),
        PropertyInfo(
            HANDOVER_BLOCKED,
            "Handover blocked by",
            "string",
            "text",
            GROUP_NAME,
            "The properties the contact lacks before Leadflow can hand it over (empty: not blocked).",
        ),
    )


def sla_contact_properties() -> tuple[PropertyInfo, ...]:
    """Return the contact properties the SLA watch writes: status, due time, first touch, business minutes."""
    options = tuple(PropertyOption(value, label, order) for order, (value, label) in enumerate(SLA_STATUSES))
    return (
        _enumeration(SLA_STATUS, "SLA status", "How the owner's first touch stands against the SLA.", options),
        PropertyInfo(SLA_DUE_AT, "SLA due at", "datetime", "date", GROUP_NAME, "When the first touch is due."),
        PropertyInfo(
            FIRST_TOUCH_AT, "First touch at", "datetime", "date", GROUP_NAME, "When the owner first touched the lead."
        ),
        _number(
            RESPONSE_BUSINESS_MINUTES,
            "Response time (business minutes)",
            "Business minutes from the assignment to the first touch.",
        ),
    )


def feedback_properties(reasons: Sequence[tuple[str, str]]) -> tuple[PropertyInfo, ...]:
    """Return the contact properties of feedback quality: the rejection reasons (value, label) sales picks from,
    and the flag of a rejection without one."""
    options = tuple(PropertyOption(value, label, order) for order, (value, label) in enumerate(reasons))
    return (
        PropertyInfo(
            REJECT_REASON,
            "Reject reason",
            "enumeration",
            "select",
            GROUP_NAME,
            "Why sales rejected the lead: pick one when setting a rejecting lead status.",
            options,
        ),
        PropertyInfo(
            FEEDBACK_MISSING,
            "Rejection without a reason",
            "string",
            "text",
            GROUP_NAME,
            "Set when sales rejected the lead without a reason from the list (empty: fine).",
        ),
    )


def handover_id_property() -> PropertyInfo:
    """Return the unique property that names the handover a deal or task belongs to (`123-sql-1`)."""
    return PropertyInfo(
        HANDOVER_ID,
        "Leadflow handover",
        "string",
        "text",
        GROUP_NAME,
        "The Leadflow handover (contact, stage, cycle) that created this record; unique.",
        has_unique_value=True,
    )


def lead_properties() -> tuple[PropertyInfo, ...]:
    """Return the properties of Leadflow's group on leads: the cycle key (unique) and what the Lead shows of the
    assessment and the SLA (app/rules/handover/leads.py writes them)."""
    return (
        PropertyInfo(
            leads.CYCLE_ID,
            "Leadflow cycle",
            "string",
            "text",
            GROUP_NAME,
            "The contact's qualification cycle (contact-cycle) this lead stands for; unique.",
            has_unique_value=True,
        ),
        _number(leads.LEAD_SCORE, "Lead score (Leadflow)", "Fit plus engagement when the lead was handed over."),
        PropertyInfo(leads.LEAD_GRADE, "Lead grade (Leadflow)", "string", "text", GROUP_NAME, "Fit and engagement."),
        PropertyInfo(leads.LEAD_STAGE, "Qualification stage (Leadflow)", "string", "text", GROUP_NAME, "MQL, SQL …"),
        PropertyInfo(leads.LEAD_REASONS, "Score reasons (Leadflow)", "string", "textarea", GROUP_NAME, "Why."),
        PropertyInfo(leads.LEAD_MODEL, "Scoring model (Leadflow)", "string", "text", GROUP_NAME, "Its version."),
        PropertyInfo(
            leads.LEAD_SLA_DUE_AT,
            "SLA due at (Leadflow)",
            "datetime",
            "date",
            GROUP_NAME,
            "When the first touch is due.",
        ),
    )


def missing_options(wanted: Sequence[PropertyOption], present: Sequence[PropertyOption]) -> list[PropertyOption]:
    """Return the options of `wanted` whose value is not among `present` (options are never removed)."""
    values = {option.value for option in present}
    return [option for option in wanted if option.value not in values]


def nurture_contact_properties(
    tracks: Sequence[tuple[str, str]], steps: Sequence[tuple[str, str]]
) -> tuple[PropertyInfo, ...]:
    """Return the contact properties nurture writes; `tracks` and `steps` are (id, label) pairs in config order."""
    track_options = tuple(PropertyOption(value, label, order) for order, (value, label) in enumerate(tracks))
    step_options = tuple(PropertyOption(value, label, order) for order, (value, label) in enumerate(steps))
    return (
        _enumeration(NURTURE_TRACK, "Nurture track", "The nurture track of the step offered last.", track_options),
        _enumeration(
            NURTURE_STEP,
            "Nurture step",
            "The content Leadflow offered last: one HubSpot workflow per value sends it.",
            step_options,
        ),
        PropertyInfo(
            NURTURE_STEP_AT, "Nurture step at", "datetime", "date", GROUP_NAME, "When Leadflow offered the step."
        ),
    )


def _number(name: str, label: str, description: str) -> PropertyInfo:
    return PropertyInfo(name, label, "number", "number", GROUP_NAME, description)


def _enumeration(name: str, label: str, description: str, options: tuple[PropertyOption, ...]) -> PropertyInfo:
    return PropertyInfo(name, label, "enumeration", "select", GROUP_NAME, description, options)

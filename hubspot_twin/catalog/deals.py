"""HubSpot's default deal properties and groups, and the default sales pipeline with its stages."""

from __future__ import annotations

from hubspot_twin.catalog.spec import PropertySpec, choice, datetime_, flag, number, owner, record_id, text

GROUPS: tuple[tuple[str, str], ...] = (("dealinformation", "Deal information"),)

# HubSpot's default pipeline ("Sales Pipeline", id `default`): (stage id, label, win probability, closed).
DEFAULT_PIPELINE_ID = "default"
DEFAULT_PIPELINE_LABEL = "Sales Pipeline"
DEFAULT_STAGES: tuple[tuple[str, str, float, bool], ...] = (
    ("appointmentscheduled", "Appointment Scheduled", 0.2, False),
    ("qualifiedtobuy", "Qualified To Buy", 0.4, False),
    ("presentationscheduled", "Presentation Scheduled", 0.6, False),
    ("decisionmakerboughtin", "Decision Maker Bought-In", 0.8, False),
    ("contractsent", "Contract Sent", 0.9, False),
    ("closedwon", "Closed Won", 1.0, True),
    ("closedlost", "Closed Lost", 0.0, True),
)
DEAL_TYPES: tuple[tuple[str, str], ...] = (("newbusiness", "New Business"), ("existingbusiness", "Existing Business"))
PRIORITIES: tuple[tuple[str, str], ...] = (("low", "Low"), ("medium", "Medium"), ("high", "High"))

_INFO = "dealinformation"
PROPERTIES: tuple[PropertySpec, ...] = (
    text("dealname", "Deal Name", _INFO),
    choice(
        "pipeline",
        "Pipeline",
        _INFO,
        ((DEFAULT_PIPELINE_ID, DEFAULT_PIPELINE_LABEL),),
        referenced_object_type="PIPELINE",
    ),
    choice(
        "dealstage",
        "Deal Stage",
        _INFO,
        tuple((stage_id, label) for stage_id, label, _, _ in DEFAULT_STAGES),
        referenced_object_type="PIPELINE_STAGE",
    ),
    number("amount", "Amount", _INFO),
    datetime_("closedate", "Close Date", _INFO),
    choice("dealtype", "Deal Type", _INFO, DEAL_TYPES, field_type="radio"),
    choice("hs_priority", "Priority", _INFO, PRIORITIES),
    text("description", "Deal Description", _INFO, field_type="textarea"),
    text("closed_lost_reason", "Closed Lost Reason", _INFO, field_type="textarea"),
    text("closed_won_reason", "Closed Won Reason", _INFO, field_type="textarea"),
    owner("Deal owner", _INFO),
    flag("hs_is_closed", "Is Deal Closed?", _INFO, read_only=True),
    flag("hs_is_closed_won", "Is Closed Won", _INFO, read_only=True),
    number("hs_deal_stage_probability", "Deal Stage Probability", _INFO, read_only=True),
    text("hs_merged_object_ids", "Merged Deal IDs", _INFO, read_only=True),
    datetime_("createdate", "Create Date", _INFO),
    datetime_("hs_lastmodifieddate", "Last Modified Date", _INFO, read_only=True),
    record_id(_INFO),
)

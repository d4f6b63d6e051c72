"""HubSpot's default lead properties and groups, and the default lead pipeline with its stages.

The pipeline (id ``lead-pipeline-id``) and its stage ids are the ones HubSpot gives every portal with Leads; its
stages' metadata only says whether a stage ends the lead (``isClosed``): qualified and disqualified do.
"""

from __future__ import annotations

from hubspot_twin.catalog.spec import PropertySpec, choice, datetime_, owner, record_id, text

GROUPS: tuple[tuple[str, str], ...] = (("lead_information", "Lead information"),)

DEFAULT_PIPELINE_ID = "lead-pipeline-id"
DEFAULT_PIPELINE_LABEL = "Lead pipeline"
# (stage id, label, closed): a closed stage ends the lead (qualified or disqualified).
DEFAULT_STAGES: tuple[tuple[str, str, bool], ...] = (
    ("new-stage-id", "New", False),
    ("attempting-stage-id", "Attempting", False),
    ("connected-stage-id", "Connected", False),
    ("qualified-stage-id", "Qualified", True),
    ("unqualified-stage-id", "Disqualified", True),
)
LEAD_TYPES: tuple[tuple[str, str], ...] = (
    ("NEW_BUSINESS", "New Business"),
    ("UPSELL", "Upsell"),
    ("RE_ATTEMPTING", "Re-attempting"),
)
LEAD_LABELS: tuple[tuple[str, str], ...] = (("HOT", "Hot"), ("WARM", "Warm"), ("COLD", "Cold"))
# Portals edit these options; NOT_A_GOOD_FIT is the one seen in public portal data, the others are the twin's.
DISQUALIFICATION_REASONS: tuple[tuple[str, str], ...] = (
    ("NOT_A_GOOD_FIT", "Not a good fit"),
    ("NO_BUDGET", "No budget"),
    ("BAD_TIMING", "Bad timing"),
    ("WENT_WITH_COMPETITOR", "Went with a competitor"),
    ("NO_RESPONSE", "No response"),
    ("OTHER", "Other"),
)

_INFO = "lead_information"
PROPERTIES: tuple[PropertySpec, ...] = (
    text("hs_lead_name", "Lead name", _INFO),
    choice(
        "hs_pipeline",
        "Pipeline",
        _INFO,
        ((DEFAULT_PIPELINE_ID, DEFAULT_PIPELINE_LABEL),),
        referenced_object_type="PIPELINE",
    ),
    choice(
        "hs_pipeline_stage",
        "Lead stage",
        _INFO,
        tuple((stage_id, label) for stage_id, label, _ in DEFAULT_STAGES),
        referenced_object_type="PIPELINE_STAGE",
    ),
    choice("hs_lead_type", "Lead type", _INFO, LEAD_TYPES),
    choice("hs_lead_label", "Lead label", _INFO, LEAD_LABELS),
    choice("hs_lead_disqualification_reason", "Disqualification reason", _INFO, DISQUALIFICATION_REASONS),
    text("hs_lead_disqualification_note", "Disqualification note", _INFO, field_type="textarea"),
    owner("Lead owner", _INFO),
    datetime_("hs_createdate", "Create date", _INFO, read_only=True),
    datetime_("hs_lastmodifieddate", "Last modified date", _INFO, read_only=True),
    record_id(_INFO),
)

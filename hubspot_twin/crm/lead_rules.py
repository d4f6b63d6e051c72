"""What HubSpot checks and adds when a lead is written.

``hs_pipeline`` must name a lead pipeline (the default one when a create names none) and ``hs_pipeline_stage`` a
stage of it (the pipeline's first stage when a create names none), else the INVALID_OPTION deals get for their
stage. A lead is created with an association to its primary contact (type 578, lead→primary contact): HubSpot's
leads guide requires one, so a create without it is refused — a batch upsert, whose inputs carry no associations,
can therefore only update leads.
"""

from __future__ import annotations

from collections.abc import Mapping

from hubspot_twin.catalog.association_types import PRIMARY
from hubspot_twin.crm.deal_rules import invalid_pipeline, invalid_stage
from hubspot_twin.crm.graph import Node
from hubspot_twin.crm.pipelines import Pipelines
from hubspot_twin.errors import HubSpotError, Issue

Values = dict[str, str | None]
PIPELINE = "hs_pipeline"
STAGE = "hs_pipeline_stage"
# The twin's text: HubSpot's own wording for this refusal was not captured.
NO_PRIMARY_CONTACT = (
    "A lead must be associated with its primary contact when it is created: add an association to an existing "
    "contact with associationCategory HUBSPOT_DEFINED and associationTypeId 578"
)


def lead_values(
    pipelines: Pipelines, values: Mapping[str, str | None], current: Mapping[str, str], *, creating: bool
) -> tuple[Values, list[Issue]]:
    """Return the values HubSpot adds to a lead write (default pipeline and stage) and the issues found."""
    if not creating and PIPELINE not in values and STAGE not in values:
        return {}, []
    added: Values = {}
    pipeline_id = values.get(PIPELINE, current.get(PIPELINE))
    if creating and not pipeline_id:
        pipeline_id = added[PIPELINE] = pipelines.default_id
    pipeline = pipelines.get(pipeline_id) if pipeline_id else None
    if pipeline is None:
        return added, [invalid_pipeline(PIPELINE, pipelines, pipeline_id or "")]
    stage_id = values.get(STAGE, current.get(STAGE))
    if creating and not stage_id:
        added[STAGE] = pipeline.stages[0].id
    elif stage_id and pipeline.stage(stage_id) is None:
        return added, [invalid_stage(STAGE, pipeline, stage_id)]
    return added, []


def require_primary_contact(links: Mapping[Node, set[str]]) -> None:
    """Raise HubSpot's 400 unless a lead's inline associations name its primary contact."""
    if not any(target[0] == "contacts" and PRIMARY in kinds for target, kinds in links.items()):
        raise HubSpotError(400, NO_PRIMARY_CONTACT)

"""What HubSpot checks and calculates when a deal or a task is written.

Deals: ``pipeline`` must name a pipeline (the default one when a create names none) and ``dealstage`` a stage of
that pipeline, else HubSpot's INVALID_OPTION "<stage> is not a valid pipeline stage ID. Valid options are:
pipelineId=<id> : [...]" (captured HubSpot response); the stage's metadata sets ``hs_is_closed``,
``hs_is_closed_won`` and ``hs_deal_stage_probability``. Tasks: ``hs_task_completion_date`` follows
``hs_task_status`` moving to or away from COMPLETED.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from hubspot_twin.catalog.deals import DEFAULT_PIPELINE_ID
from hubspot_twin.crm.pipelines import Pipeline, Pipelines, Stage
from hubspot_twin.errors import Issue

Values = dict[str, str | None]
COMPLETED = "COMPLETED"


def deal_values(
    pipelines: Pipelines, values: Mapping[str, str | None], current: Mapping[str, str], *, creating: bool
) -> tuple[Values, list[Issue]]:
    """Return the values HubSpot adds to a deal write (default pipeline, stage flags) and the issues found."""
    if not creating and "pipeline" not in values and "dealstage" not in values:
        return {}, []
    added: Values = {}
    pipeline_id = values.get("pipeline", current.get("pipeline"))
    if creating and "pipeline" not in values:
        pipeline_id = added["pipeline"] = DEFAULT_PIPELINE_ID
    pipeline = pipelines.get(pipeline_id) if pipeline_id else None
    if pipeline is None:
        return added, [invalid_pipeline("pipeline", pipelines, pipeline_id or "")]
    stage_id = values.get("dealstage", current.get("dealstage"))
    stage = pipeline.stage(stage_id) if stage_id else None
    if stage_id and stage is None:
        return added, [invalid_stage("dealstage", pipeline, stage_id)]
    return {**added, **_stage_flags(stage)}, []


def task_values(values: Mapping[str, str | None], current: Mapping[str, str], now: str) -> Values:
    """Return ``hs_task_completion_date`` when a write moves ``hs_task_status`` to or away from COMPLETED."""
    if "hs_task_status" not in values or "hs_task_completion_date" in values:
        return {}
    completed, was_completed = values["hs_task_status"] == COMPLETED, current.get("hs_task_status") == COMPLETED
    if completed and not was_completed:
        return {"hs_task_completion_date": now}
    if was_completed and not completed:
        return {"hs_task_completion_date": None}
    return {}


def _stage_flags(stage: Stage | None) -> Values:
    if stage is None:
        return {"hs_is_closed": None, "hs_is_closed_won": None, "hs_deal_stage_probability": None}
    probability = Decimal(str(stage.probability or 0)).normalize()
    return {
        "hs_is_closed": str(stage.closed).lower(),
        "hs_is_closed_won": str(stage.closed_won).lower(),
        "hs_deal_stage_probability": format(probability, "f"),
    }


def invalid_stage(name: str, pipeline: Pipeline, stage_id: str) -> Issue:
    """Return HubSpot's INVALID_OPTION for a stage (property ``name``) outside the record's pipeline."""
    listed = ", ".join(s.id for s in pipeline.stages)
    message = f"{stage_id} is not a valid pipeline stage ID. Valid options are: pipelineId={pipeline.id} : [{listed}]"
    return Issue(name, stage_id, "INVALID_OPTION", message)


def invalid_pipeline(name: str, pipelines: Pipelines, pipeline_id: str) -> Issue:
    """Return the INVALID_OPTION for a pipeline id (property ``name``) the portal does not have."""
    listed = ", ".join(p.id for p in pipelines.all())
    message = f"{pipeline_id} is not a valid pipeline ID. Valid options are: [{listed}]"
    return Issue(name, pipeline_id, "INVALID_OPTION", message)

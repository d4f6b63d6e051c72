"""Pipelines v3 (read): ``GET /crm/v3/pipelines/deals`` and a pipeline's stages (deals are the only type served)."""

from __future__ import annotations

from flask import Blueprint, Response

from hubspot_twin.catalog import DEALS, resolve
from hubspot_twin.crm.pipelines import Pipeline
from hubspot_twin.errors import HubSpotError, not_found
from hubspot_twin.http.api.plumbing import respond, store
from hubspot_twin.http.api.serialize import pipeline_json, stage_json

blueprint = Blueprint("pipelines", __name__, url_prefix="/crm/v3/pipelines/<object_type>")


@blueprint.get("")
def read_all(object_type: str) -> Response:
    """List the deal pipelines with their stages."""
    _require_deals(object_type)
    with store().lock:
        return respond({"results": [pipeline_json(p) for p in store().pipelines.all()]})


@blueprint.get("/<pipeline_id>")
def read(object_type: str, pipeline_id: str) -> Response:
    """Read one pipeline, or HubSpot's 404."""
    _require_deals(object_type)
    with store().lock:
        return respond(pipeline_json(_pipeline(pipeline_id)))


@blueprint.get("/<pipeline_id>/stages")
def read_stages(object_type: str, pipeline_id: str) -> Response:
    """List a pipeline's stages in display order."""
    _require_deals(object_type)
    with store().lock:
        pipeline = _pipeline(pipeline_id)
        return respond({"results": [stage_json(s, pipeline) for s in pipeline.stages]})


@blueprint.get("/<pipeline_id>/stages/<stage_id>")
def read_stage(object_type: str, pipeline_id: str, stage_id: str) -> Response:
    """Read one stage of a pipeline, or HubSpot's 404."""
    _require_deals(object_type)
    with store().lock:
        pipeline = _pipeline(pipeline_id)
        stage = pipeline.stage(stage_id)
        if stage is None:
            raise not_found(f"Unable to find stage {stage_id} in pipeline {pipeline_id}")
        return respond(stage_json(stage, pipeline))


def _require_deals(object_type: str) -> None:
    if resolve(object_type) is not DEALS:
        raise HubSpotError(400, f"Pipelines of object type {object_type} are not served by the twin (deals only)")


def _pipeline(pipeline_id: str) -> Pipeline:
    found = store().pipelines.get(pipeline_id)
    if found is None:
        raise not_found(f"Unable to find pipeline {pipeline_id}")
    return found

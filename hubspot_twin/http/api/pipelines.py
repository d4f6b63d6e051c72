"""Pipelines v3 (read): ``GET /crm/v3/pipelines/{deals|leads}`` and a pipeline's stages (the types with pipelines)."""

from __future__ import annotations

from flask import Blueprint, Response

from hubspot_twin.catalog import DEALS, LEADS, resolve
from hubspot_twin.crm.pipelines import Pipeline, Pipelines
from hubspot_twin.errors import HubSpotError, not_found
from hubspot_twin.http.api.plumbing import respond, store
from hubspot_twin.http.api.serialize import pipeline_json, stage_json

blueprint = Blueprint("pipelines", __name__, url_prefix="/crm/v3/pipelines/<object_type>")


@blueprint.get("")
def read_all(object_type: str) -> Response:
    """List the type's pipelines with their stages."""
    with store().lock:
        return respond({"results": [pipeline_json(p) for p in _pipelines(object_type).all()]})


@blueprint.get("/<pipeline_id>")
def read(object_type: str, pipeline_id: str) -> Response:
    """Read one pipeline, or HubSpot's 404."""
    with store().lock:
        return respond(pipeline_json(_pipeline(object_type, pipeline_id)))


@blueprint.get("/<pipeline_id>/stages")
def read_stages(object_type: str, pipeline_id: str) -> Response:
    """List a pipeline's stages in display order."""
    with store().lock:
        pipeline = _pipeline(object_type, pipeline_id)
        return respond({"results": [stage_json(s, pipeline) for s in pipeline.stages]})


@blueprint.get("/<pipeline_id>/stages/<stage_id>")
def read_stage(object_type: str, pipeline_id: str, stage_id: str) -> Response:
    """Read one stage of a pipeline, or HubSpot's 404."""
    with store().lock:
        pipeline = _pipeline(object_type, pipeline_id)
        stage = pipeline.stage(stage_id)
        if stage is None:
            raise not_found(f"Unable to find stage {stage_id} in pipeline {pipeline_id}")
        return respond(stage_json(stage, pipeline))


def _pipelines(object_type: str) -> Pipelines:
    otype = resolve(object_type)
    if otype is DEALS:
        return store().pipelines
    if otype is LEADS:
        return store().lead_pipelines
    raise HubSpotError(400, f"Pipelines of object type {object_type} are not served by the twin (deals and leads)")


def _pipeline(object_type: str, pipeline_id: str) -> Pipeline:
    found = _pipelines(object_type).get(pipeline_id)
    if found is None:
        raise not_found(f"Unable to find pipeline {pipeline_id}")
    return found

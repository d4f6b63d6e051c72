"""CRM object batches: ``/crm/v3/objects/{objectType}/batch/{read,create,update,upsert,archive}``."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response

from hubspot_twin.catalog import resolve
from hubspot_twin.crm import batches, upserts
from hubspot_twin.crm.association_input import object_id
from hubspot_twin.errors import HubSpotError
from hubspot_twin.http.api.plumbing import batch_inputs, no_content, query_bool, request_source, respond, store
from hubspot_twin.http.api.serialize import batch_json, object_json, stored_json

blueprint = Blueprint("batch", __name__, url_prefix="/crm/v3/objects/<object_type>/batch")
# HubSpot: at most 100 inputs per object batch, 50 when property histories are read.
BATCH_LIMIT = 100
HISTORY_BATCH_LIMIT = 50


@blueprint.post("/read")
def read(object_type: str) -> Response:
    """Read records by id or unique property; unknown ids make a 207 with one OBJECT_NOT_FOUND error."""
    otype = resolve(object_type)
    started = store().now()
    body, inputs = batch_inputs("BatchReadInputSimplePublicObjectId", BATCH_LIMIT)
    history = _names(body.get("propertiesWithHistory")) or []
    if history and len(inputs) > HISTORY_BATCH_LIMIT:
        raise HubSpotError(
            400,
            f"The maximum number of inputs supported in a batch request for property histories is "
            f"{HISTORY_BATCH_LIMIT}. Please reduce the number of items and try again",
        )
    ids = [object_id(item, "SimplePublicObjectId") for item in inputs]
    found, missing = batches.read_many(store(), otype, ids, body.get("idProperty"), query_bool("archived"))
    definitions = store().schema.definitions(otype)
    names = _names(body.get("properties")) or None  # an empty list reads the default properties
    results = [object_json(obj, otype, definitions, names, history) for obj in found]
    errors = [batches.missing_error(otype, missing)] if missing else []
    return respond(batch_json(results, errors, started, store().now()), 207 if errors else 200)


@blueprint.post("/create")
def create(object_type: str) -> Response:
    """Create records: 201, or 207 when inputs with ``objectWriteTraceId`` failed."""
    otype = resolve(object_type)
    started = store().now()
    _, inputs = batch_inputs("BatchInputSimplePublicObjectBatchInputForCreate", BATCH_LIMIT)
    written, errors = batches.create_many(store(), otype, inputs, request_source())
    body = batch_json([_written_json(w) for w in written], errors, started, store().now())
    return respond(body, 207 if errors else 201)


@blueprint.post("/update")
def update(object_type: str) -> Response:
    """Update records: 200, or 207 with one OBJECT_NOT_FOUND error for unknown ids."""
    otype = resolve(object_type)
    started = store().now()
    _, inputs = batch_inputs("BatchInputSimplePublicObjectBatchInput", BATCH_LIMIT)
    written, errors = batches.update_many(store(), otype, inputs, request_source())
    body = batch_json([_written_json(w) for w in written], errors, started, store().now())
    return respond(body, 207 if errors else 200)


@blueprint.post("/upsert")
def upsert(object_type: str) -> Response:
    """Create or update records by a unique property value: 200 (each result says whether it is ``new``), or 207."""
    otype = resolve(object_type)
    started = store().now()
    _, inputs = batch_inputs("BatchInputSimplePublicObjectBatchInputUpsert", BATCH_LIMIT)
    written, errors = upserts.upsert_many(store(), otype, inputs, request_source())
    results = [{**_written_json(w), "new": w.new} for w in written]
    return respond(batch_json(results, errors, started, store().now()), 207 if errors else 200)


@blueprint.post("/archive")
def archive(object_type: str) -> Response:
    """Archive records: 204 (unknown ids are ignored)."""
    otype = resolve(object_type)
    _, inputs = batch_inputs("BatchInputSimplePublicObjectId", BATCH_LIMIT)
    batches.archive_many(store(), otype, inputs, request_source())
    return no_content()


def _names(value: object) -> list[str] | None:
    if not isinstance(value, list):
        return None
    return [str(name) for name in value if isinstance(name, str) and name]


def _written_json(written: batches.Written) -> dict[str, Any]:
    body = stored_json(written.obj)
    if written.trace_id is not None:
        body["objectWriteTraceId"] = written.trace_id
    return body

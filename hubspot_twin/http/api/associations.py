"""Associations v4: ``/crm/v4/associations/{from}/{to}/batch/...``, the pair's type ids (``…/{from}/{to}/labels``,
read-only) and ``/crm/v4/objects/{from}/{id}/associations``.

Pairs are stored once (``Links``); each direction reads them with its own HUBSPOT_DEFINED type ids.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response

from hubspot_twin.catalog import ObjectType, resolve
from hubspot_twin.catalog.association_types import HUBSPOT_DEFINED, UNLABELED, by_kind, types_between
from hubspot_twin.crm.association_input import kinds_of_specs, object_id
from hubspot_twin.errors import HubSpotError, missing_attributes, standard_error
from hubspot_twin.http.api.plumbing import (
    batch_inputs,
    json_body,
    no_content,
    query_int,
    request_source,
    respond,
    store,
)
from hubspot_twin.http.api.serialize import batch_json

blueprint = Blueprint("associations", __name__, url_prefix="/crm/v4")
# HubSpot reads associations of at most 1,000 records per batch (since 2025-02-10).
READ_LIMIT = 1000
PAGE_LIMIT = 500


@blueprint.get("/associations/<from_type>/<to_type>/labels")
def labels(from_type: str, to_type: str) -> Response:
    """List the HUBSPOT_DEFINED association types from one type to another (unlabeled ones with a null label)."""
    origin, target = _pair_types(from_type, to_type)
    return respond({"results": [t.spec() for t in types_between(origin.name, target.name)]})


@blueprint.post("/associations/<from_type>/<to_type>/batch/create")
def batch_create(from_type: str, to_type: str) -> Response:
    """Create labelled or unlabelled associations: 201, or 207 for inputs naming unknown records."""
    origin, target = _pair_types(from_type, to_type)
    started = store().now()
    _, inputs = batch_inputs("BatchInputPublicAssociationMultiPost", None)
    planned = [
        (object_id(i.get("from")), object_id(i.get("to")), kinds_of_specs(origin.name, target.name, i.get("types")))
        for i in inputs
    ]
    results: list[dict[str, Any]] = []
    errors: list[dict[str, Any]] = []
    for from_id, to_id, kinds in planned:
        try:
            store().associate((origin.name, from_id), (target.name, to_id), kinds, source=request_source())
        except HubSpotError as error:
            errors.append(
                standard_error(error.category, error.message, {"fromObjectId": [from_id], "toObjectId": [to_id]})
            )
            continue
        results.append(_labels_json(origin, from_id, target, to_id, kinds))
    return respond(batch_json(results, errors, started, store().now()), 207 if errors else 201)


@blueprint.post("/associations/<from_type>/<to_type>/batch/associate/default")
def batch_associate_default(from_type: str, to_type: str) -> Response:
    """Create unlabelled associations; each pair comes back in both directions."""
    origin, target = _pair_types(from_type, to_type)
    started = store().now()
    _, inputs = batch_inputs("BatchInputPublicDefaultAssociationMultiPost", None)
    results: list[dict[str, Any]] = []
    errors: list[dict[str, Any]] = []
    for from_id, to_id in [(object_id(i.get("from")), object_id(i.get("to"))) for i in inputs]:
        try:
            results.extend(_associate_default(origin, from_id, target, to_id))
        except HubSpotError as error:
            errors.append(
                standard_error(error.category, error.message, {"fromObjectId": [from_id], "toObjectId": [to_id]})
            )
    return respond(batch_json(results, errors, started, store().now()))


@blueprint.post("/associations/<from_type>/<to_type>/batch/read")
def batch_read(from_type: str, to_type: str) -> Response:
    """Read associations of records; records without any get HubSpot's NO_ASSOCIATIONS_FOUND error (207)."""
    origin, target = _pair_types(from_type, to_type)
    started = store().now()
    _, inputs = batch_inputs("BatchInputPublicFetchAssociationsBatchRequest", READ_LIMIT)
    results: list[dict[str, Any]] = []
    errors: list[dict[str, Any]] = []
    for from_id in dict.fromkeys(object_id(item, "PublicFetchAssociationsBatchRequest") for item in inputs):
        found = _associated_json(origin, from_id, target)
        if found:
            results.append({"from": {"id": from_id}, "to": found})
        else:
            errors.append(_no_associations(origin, from_id, target))
    return respond(batch_json(results, errors, started, store().now()), 207 if errors else 200)


@blueprint.post("/associations/<from_type>/<to_type>/batch/archive")
def batch_archive(from_type: str, to_type: str) -> Response:
    """Remove every association between each ``from`` and its ``to`` records: 204."""
    origin, target = _pair_types(from_type, to_type)
    _, inputs = batch_inputs("BatchInputPublicAssociationMultiArchive", None)
    for item in inputs:
        from_id, targets = object_id(item.get("from")), item.get("to")
        if not isinstance(targets, list):
            raise missing_attributes("PublicAssociationMultiArchive", ["to"])
        for to in targets:
            store().discard_kinds(
                (origin.name, from_id), (target.name, object_id(to)), {UNLABELED}, source=request_source()
            )
    return no_content()


@blueprint.post("/associations/<from_type>/<to_type>/batch/labels/archive")
def batch_archive_labels(from_type: str, to_type: str) -> Response:
    """Remove some association types; removing the unlabelled one removes the association: 204."""
    origin, target = _pair_types(from_type, to_type)
    _, inputs = batch_inputs("BatchInputPublicAssociationMultiPost", None)
    for item in inputs:
        kinds = kinds_of_specs(origin.name, target.name, item.get("types"))
        pair = ((origin.name, object_id(item.get("from"))), (target.name, object_id(item.get("to"))))
        store().discard_kinds(*pair, kinds, source=request_source())
    return no_content()


@blueprint.put("/objects/<from_type>/<from_id>/associations/default/<to_type>/<to_id>")
def associate_default(from_type: str, from_id: str, to_type: str, to_id: str) -> Response:
    """Create an unlabelled association: 200 with both directions."""
    origin, target = _pair_types(from_type, to_type)
    started = store().now()
    results = _associate_default(origin, from_id, target, to_id)
    return respond(batch_json(results, [], started, store().now()))


@blueprint.put("/objects/<from_type>/<from_id>/associations/<to_type>/<to_id>")
def associate(from_type: str, from_id: str, to_type: str, to_id: str) -> Response:
    """Create associations of the given types (body: list of specs): 201 with the pair's labels."""
    origin, target = _pair_types(from_type, to_type)
    kinds = kinds_of_specs(origin.name, target.name, json_body())
    store().associate((origin.name, from_id), (target.name, to_id), kinds, source=request_source())
    return respond(_labels_json(origin, from_id, target, to_id, kinds), 201)


@blueprint.delete("/objects/<from_type>/<from_id>/associations/<to_type>/<to_id>")
def remove(from_type: str, from_id: str, to_type: str, to_id: str) -> Response:
    """Remove every association between two records: 204."""
    origin, target = _pair_types(from_type, to_type)
    store().discard_kinds((origin.name, from_id), (target.name, to_id), {UNLABELED}, source=request_source())
    return no_content()


@blueprint.get("/objects/<from_type>/<from_id>/associations/<to_type>")
def list_associated(from_type: str, from_id: str, to_type: str) -> Response:
    """List a record's associations to one type, by increasing id, ``after`` being the next id."""
    origin, target = _pair_types(from_type, to_type)
    after, limit = query_int("after", 0), max(1, min(query_int("limit", PAGE_LIMIT), PAGE_LIMIT))
    rows = [row for row in _associated_json(origin, from_id, target) if row["toObjectId"] >= after]
    body: dict[str, Any] = {"results": rows[:limit]}
    if len(rows) > limit:
        body["paging"] = {"next": {"after": str(rows[limit]["toObjectId"])}}
    return respond(body)


def _pair_types(from_type: str, to_type: str) -> tuple[ObjectType, ObjectType]:
    origin, target = resolve(from_type), resolve(to_type)
    if not types_between(origin.name, target.name):
        raise HubSpotError(400, f"No association types exist between {origin.singular} and {target.singular}")
    return origin, target


def _associate_default(origin: ObjectType, from_id: str, target: ObjectType, to_id: str) -> list[dict[str, Any]]:
    store().associate((origin.name, from_id), (target.name, to_id), {UNLABELED}, source=request_source())
    return [_default_json(origin, from_id, target, to_id), _default_json(target, to_id, origin, from_id)]


def _default_json(origin: ObjectType, from_id: str, target: ObjectType, to_id: str) -> dict[str, Any]:
    spec = {
        "associationCategory": HUBSPOT_DEFINED,
        "associationTypeId": by_kind(origin.name, target.name, UNLABELED).type_id,
    }
    return {"from": {"id": from_id}, "to": {"id": to_id}, "associationSpec": spec}


def _labels_json(origin: ObjectType, from_id: str, target: ObjectType, to_id: str, kinds: set[str]) -> dict[str, Any]:
    labels = [t.label for t in types_between(origin.name, target.name) if t.kind in kinds and t.label]
    return {
        "fromObjectTypeId": origin.type_id,
        "fromObjectId": int(from_id),
        "toObjectTypeId": target.type_id,
        "toObjectId": int(to_id),
        "labels": labels,
    }


def _associated_json(origin: ObjectType, from_id: str, target: ObjectType) -> list[dict[str, Any]]:
    return [
        {
            "toObjectId": int(other_id),
            "associationTypes": [t.spec() for t in types_between(origin.name, target.name) if t.kind in kinds],
        }
        for other_id, kinds in store().associated((origin.name, from_id), target.name)
    ]


def _no_associations(origin: ObjectType, from_id: str, target: ObjectType) -> dict[str, Any]:
    message = f"No {target.singular} is associated with {origin.singular} {from_id}."
    context = {"fromObjectId": [from_id], "fromObjectType": [origin.singular], "toObjectType": [target.singular]}
    return standard_error("OBJECT_NOT_FOUND", message, context, "crm.associations.NO_ASSOCIATIONS_FOUND")

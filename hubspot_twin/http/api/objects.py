"""CRM objects, one record at a time: ``/crm/v3/objects/{objectType}`` and ``/{objectType}/{objectId}``."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, request

from hubspot_twin.catalog import ObjectType, resolve
from hubspot_twin.catalog.association_types import by_kind
from hubspot_twin.crm.graph import Node
from hubspot_twin.errors import HubSpotError, missing_attributes
from hubspot_twin.http.api.plumbing import (
    body_object,
    no_content,
    query_bool,
    query_int,
    query_list,
    request_source,
    respond,
    store,
)
from hubspot_twin.http.api.serialize import object_json, stored_json
from hubspot_twin.model import CrmObject

blueprint = Blueprint("objects", __name__, url_prefix="/crm/v3/objects")
DEFAULT_PAGE_SIZE = 10


@blueprint.post("/<object_type>")
def create(object_type: str) -> Response:
    """Create a record (with inline associations): 201 and every stored property."""
    otype = resolve(object_type)
    body = body_object("SimplePublicObjectInputForCreate")
    if "properties" not in body:
        raise missing_attributes("SimplePublicObjectInputForCreate", ["properties"])
    obj = store().create(otype, body["properties"], body.get("associations"), source=request_source())
    return respond(stored_json(obj), 201)


@blueprint.get("/<object_type>/<object_id>")
def read(object_type: str, object_id: str) -> Response:
    """Read a record by id (or by a unique property with ``idProperty``)."""
    otype = resolve(object_type)
    obj = store().get(otype, object_id, archived=query_bool("archived"), id_property=request.args.get("idProperty"))
    return respond(_read_json(otype, obj))


@blueprint.patch("/<object_type>/<object_id>")
def update(object_type: str, object_id: str) -> Response:
    """Update a record's properties: 200 and every stored property."""
    otype = resolve(object_type)
    body = body_object("SimplePublicObjectInput")
    if "properties" not in body:
        raise missing_attributes("SimplePublicObjectInput", ["properties"])
    id_property = request.args.get("idProperty")
    obj = store().update(otype, object_id, body["properties"], id_property=id_property, source=request_source())
    return respond(stored_json(obj))


@blueprint.delete("/<object_type>/<object_id>")
def archive(object_type: str, object_id: str) -> Response:
    """Archive a record: 204."""
    store().archive(resolve(object_type), object_id, source=request_source())
    return no_content()


@blueprint.get("/<object_type>")
def page(object_type: str) -> Response:
    """Read a page of records by increasing id; ``paging`` is left out on the last page."""
    otype = resolve(object_type)
    after = request.args.get("after") or "0"
    if not after.isdigit():
        raise HubSpotError(400, f"Invalid after value: {after}")
    rows, next_after = store().page(otype, int(after), query_int("limit", DEFAULT_PAGE_SIZE), query_bool("archived"))
    body: dict[str, Any] = {"results": [_read_json(otype, obj) for obj in rows]}
    if next_after is not None:
        link = f"{request.host_url.rstrip('/')}{request.path}?after={next_after}"
        body["paging"] = {"next": {"after": next_after, "link": link}}
    return respond(body)


def _read_json(otype: ObjectType, obj: CrmObject) -> dict[str, Any]:
    definitions = store().schema.definitions(otype)
    body = object_json(obj, otype, definitions, query_list("properties"), query_list("propertiesWithHistory") or ())
    linked = _associations_json((otype.name, obj.id), query_list("associations") or [])
    if linked:
        body["associations"] = linked
    return body


def _associations_json(node: Node, names: list[str]) -> dict[str, Any]:
    """Return v3's ``associations``: per requested type, ``{id, type}`` for each association type held."""
    found: dict[str, Any] = {}
    for name in names:
        try:
            to_type = resolve(name)
        except HubSpotError:
            continue  # HubSpot ignores association types it does not know here
        results = [
            {"id": other_id, "type": by_kind(node[0], to_type.name, kind).name}
            for other_id, kinds in store().associated(node, to_type.name)
            for kind in sorted(kinds)
        ]
        if results:
            found[to_type.name] = {"results": results}
    return found

"""Properties v3: ``/crm/v3/properties/{objectType}`` and its ``groups``."""

from __future__ import annotations

from flask import Blueprint, Response

from hubspot_twin.catalog import resolve
from hubspot_twin.http.api.plumbing import body_object, query_bool, respond, store
from hubspot_twin.http.api.serialize import group_json, property_json

blueprint = Blueprint("properties", __name__, url_prefix="/crm/v3/properties/<object_type>")


@blueprint.get("")
def read_all(object_type: str) -> Response:
    """List a type's properties (``archived=true``: only archived ones)."""
    otype = resolve(object_type)
    archived = query_bool("archived")
    with store().lock:
        found = [d for d in store().schema.properties[otype.name].values() if d.archived == archived]
        return respond({"results": [property_json(d) for d in found]})


@blueprint.post("")
def create(object_type: str) -> Response:
    """Create a custom property: 201."""
    otype = resolve(object_type)
    body = body_object("PropertyCreate")
    with store().lock:
        return respond(property_json(store().schema.create_property(otype, body, store().now())), 201)


@blueprint.get("/<property_name>")
def read(object_type: str, property_name: str) -> Response:
    """Read one property, or HubSpot's 404."""
    otype = resolve(object_type)
    with store().lock:
        return respond(property_json(store().schema.get_property(otype, property_name)))


@blueprint.patch("/<property_name>")
def update(object_type: str, property_name: str) -> Response:
    """Update a property's label, description, group, options or display settings."""
    otype = resolve(object_type)
    body = body_object("PropertyUpdate")
    with store().lock:
        updated = store().schema.update_property(otype, property_name, body, store().now())
        return respond(property_json(updated))


@blueprint.get("/groups")
def read_groups(object_type: str) -> Response:
    """List a type's property groups."""
    otype = resolve(object_type)
    with store().lock:
        groups = [g for g in store().schema.groups[otype.name].values() if not g.archived]
        return respond({"results": [group_json(g) for g in groups]})


@blueprint.post("/groups")
def create_group(object_type: str) -> Response:
    """Create a property group: 201."""
    otype = resolve(object_type)
    body = body_object("PropertyGroupCreate")
    with store().lock:
        return respond(group_json(store().schema.create_group(otype, body)), 201)


@blueprint.get("/groups/<group_name>")
def read_group(object_type: str, group_name: str) -> Response:
    """Read one property group, or HubSpot's 404."""
    otype = resolve(object_type)
    with store().lock:
        return respond(group_json(store().schema.get_group(otype, group_name)))


@blueprint.patch("/groups/<group_name>")
def update_group(object_type: str, group_name: str) -> Response:
    """Update a property group's label or display order."""
    otype = resolve(object_type)
    body = body_object("PropertyGroupUpdate")
    with store().lock:
        return respond(group_json(store().schema.update_group(otype, group_name, body)))

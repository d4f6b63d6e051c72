"""Merging records and GDPR deletion: ``POST /crm/v3/objects/{type}/merge`` and ``…/contacts/gdpr-delete``."""

from __future__ import annotations

from flask import Blueprint, Response

from hubspot_twin.catalog import CONTACTS, resolve
from hubspot_twin.crm import merges
from hubspot_twin.errors import missing_attributes, not_found
from hubspot_twin.http.api.plumbing import body_object, no_content, request_source, respond, store
from hubspot_twin.http.api.serialize import stored_json

blueprint = Blueprint("merges", __name__, url_prefix="/crm/v3/objects")


@blueprint.post("/<object_type>/merge")
def merge(object_type: str) -> Response:
    """Merge ``objectIdToMerge`` into ``primaryObjectId``: 200 and the primary with every stored property."""
    otype = resolve(object_type)
    body = body_object("PublicMergeInput")
    primary_id, merged_id = _text(body.get("primaryObjectId")), _text(body.get("objectIdToMerge"))
    if not primary_id or not merged_id:
        raise missing_attributes("PublicMergeInput", ["objectIdToMerge", "primaryObjectId"])
    obj = merges.merge(store(), otype, primary_id, merged_id, source=request_source())
    return respond(stored_json(obj))


@blueprint.post("/<object_type>/gdpr-delete")
def gdpr_delete(object_type: str) -> Response:
    """Delete a contact permanently (by id, or by ``idProperty`` such as email): 204."""
    if resolve(object_type) is not CONTACTS:
        raise not_found(f"resource not found: GDPR delete exists for contacts only, not {object_type}")
    body = body_object("PublicGdprDeleteInput")
    object_id = _text(body.get("objectId"))
    if not object_id:
        raise missing_attributes("PublicGdprDeleteInput", ["objectId"])
    id_property = _text(body.get("idProperty")) or None
    merges.gdpr_delete(store(), object_id, id_property=id_property, source=request_source())
    return no_content()


def _text(value: object) -> str:
    """Return an id given as a string or a number (HubSpot accepts both), or "" when there is none."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        return ""
    return str(value).strip()

"""Lists v3 (contacts only): ``POST /crm/v3/lists``, ``GET /crm/v3/lists/{listId}``,
``PUT /crm/v3/lists/{listId}/memberships/add`` and ``GET /crm/v3/lists/{listId}/memberships``."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, request

from hubspot_twin.catalog import resolve
from hubspot_twin.crm.lists import StaticList
from hubspot_twin.errors import invalid_input, missing_attributes
from hubspot_twin.http.api.plumbing import body_object, json_body, query_int, respond, store

blueprint = Blueprint("lists", __name__, url_prefix="/crm/v3/lists")
DEFAULT_PAGE = 100  # HubSpot: memberships page by 100 unless `limit` says otherwise, at most 250
MAX_PAGE = 250


@blueprint.post("/", strict_slashes=False)
def create() -> Response:
    """Create a list from a ``ListCreateRequest``; answer ``{list}``."""
    body = body_object("ListCreateRequest")
    absent = [name for name in ("name", "objectTypeId", "processingType") if not isinstance(body.get(name), str)]
    if absent:
        raise missing_attributes("ListCreateRequest", absent)
    kept = store().lists.create(body["name"], body["objectTypeId"], body["processingType"], store().now())
    return respond({"list": _list_json(kept)})


@blueprint.get("/<list_id>")
def read(list_id: str) -> Response:
    """Read one list by its ILS id, or HubSpot's 404."""
    return respond({"list": _list_json(store().lists.get(list_id))})


@blueprint.put("/<list_id>/memberships/add")
def add_members(list_id: str) -> Response:
    """Add records (a JSON array of ids) to a MANUAL or SNAPSHOT list; ids the portal lacks come back missing."""
    ids = json_body()
    if not isinstance(ids, list) or not all(isinstance(i, str | int) for i in ids):
        raise invalid_input("the body must be a JSON array of record ids")
    contacts = resolve("contacts")
    added, missing = store().lists.add(
        list_id, [str(i) for i in ids], lambda i: store().lookup(contacts, i) is not None, store().now()
    )
    return respond({"recordIdsRemoved": [], "recordsIdsAdded": added, "recordIdsMissing": missing})


@blueprint.get("/<list_id>/memberships")
def memberships(list_id: str) -> Response:
    """Page through a list's members by increasing record id (``after``, ``limit``)."""
    kept = store().lists.get(list_id)
    after, limit = query_int("after", 0), max(1, min(query_int("limit", DEFAULT_PAGE), MAX_PAGE))
    ids = sorted((int(i) for i in kept.members), key=int)
    rows = [i for i in ids if i > after] if request.args.get("after") else ids
    page = [{"recordId": str(i), "membershipTimestamp": kept.members[str(i)]} for i in rows[:limit]]
    body: dict[str, Any] = {"results": page, "total": len(ids)}
    if len(rows) > limit:
        body["paging"] = {"next": {"after": page[-1]["recordId"]}}
    return respond(body)


def _list_json(kept: StaticList) -> dict[str, Any]:
    """Return a ``PublicObjectList``."""
    return {
        "listId": kept.list_id,
        "listVersion": kept.version,
        "name": kept.name,
        "objectTypeId": kept.object_type_id,
        "processingType": kept.processing_type,
        "processingStatus": "COMPLETE",
        "createdAt": kept.created_at,
        "updatedAt": kept.updated_at,
        "size": len(kept.members),
    }

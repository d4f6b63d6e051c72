"""Owners v3 (read-only): ``GET /crm/v3/owners/`` and ``GET /crm/v3/owners/{ownerId}``."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, request

from hubspot_twin.errors import HubSpotError, not_found
from hubspot_twin.http.api.plumbing import query_bool, query_int, respond, store
from hubspot_twin.http.api.serialize import owner_json

blueprint = Blueprint("owners", __name__, url_prefix="/crm/v3/owners")
# HubSpot: 100 owners per page unless `limit` says otherwise, at most 500.
DEFAULT_LIMIT = 100
MAX_LIMIT = 500
ID_PROPERTIES = ("id", "userId")


@blueprint.get("/", strict_slashes=False)
def page() -> Response:
    """List active (or, with ``archived=true``, archived) owners by increasing id, optionally by ``email``."""
    after, limit = query_int("after", 0), max(1, min(query_int("limit", DEFAULT_LIMIT), MAX_LIMIT))
    with store().lock:
        owners = store().owners.listed(archived=query_bool("archived"), email=request.args.get("email"))
        rows = [owner_json(o) for o in owners if int(o.id) >= after]
    body: dict[str, Any] = {"results": rows[:limit]}
    if len(rows) > limit:
        next_after = rows[limit]["id"]
        body["paging"] = {"next": {"after": next_after, "link": f"{request.base_url}?after={next_after}"}}
    return respond(body)


@blueprint.get("/<owner_id>")
def read(owner_id: str) -> Response:
    """Read one owner by ``id`` (or ``userId`` with ``idProperty=userId``), or HubSpot's 404."""
    id_property = request.args.get("idProperty") or "id"
    if id_property not in ID_PROPERTIES:
        raise HubSpotError(400, f"Invalid idProperty {id_property}: must be one of id, userId")
    with store().lock:
        owner = store().owners.find(owner_id, archived=query_bool("archived"), by_user_id=id_property == "userId")
        if owner is None:
            raise not_found(f"Owner {owner_id} not found")
        return respond(owner_json(owner))

"""The twin's own control endpoints under ``/_twin/`` (not HubSpot's; no token needed, not counted)."""

from __future__ import annotations

from flask import Blueprint, Response, request

from hubspot_twin.catalog import resolve
from hubspot_twin.crm.changes import ChangeSource
from hubspot_twin.http.api.plumbing import context, respond

blueprint = Blueprint("control", __name__, url_prefix="/_twin")


@blueprint.get("/requests")
def request_counts() -> Response:
    """Return the request count per endpoint and the total."""
    counter = context().counter
    return respond({"counts": counter.counts(), "total": counter.total()})


@blueprint.post("/requests/reset")
def reset_request_counts() -> Response:
    """Forget the request counts."""
    context().counter.reset()
    return respond({"counts": {}, "total": 0})


@blueprint.post("/reset")
def reset_state() -> Response:
    """Wipe every record, association and custom property: back to a fresh portal."""
    context().store.reset()
    return respond({"status": "reset"})


@blueprint.patch("/objects/<object_type>/<object_id>")
def system_update(object_type: str, object_id: str) -> Response:
    """Write a record's properties as HubSpot's own processes do (read-only ones too, e.g. a form submission's
    `recent_conversion_date`), attributed to `changeSource` (default `FORM`); for tests driving a served twin."""
    body = request.get_json(force=True) or {}
    source = ChangeSource(str(body.get("changeSource", "FORM")), body.get("sourceId"))
    obj = context().store.update(
        resolve(object_type), object_id, body.get("properties", {}), system=True, source=source
    )
    return respond({"id": obj.id, "properties": dict(obj.properties)})

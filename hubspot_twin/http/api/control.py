"""The twin's own control endpoints under ``/_twin/`` (not HubSpot's; no token needed, not counted)."""

from __future__ import annotations

from flask import Blueprint, Response

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

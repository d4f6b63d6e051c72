"""The WSGI app: HubSpot's routes, token check and request counting before each, HubSpot's error bodies after."""

from __future__ import annotations

import logging

from flask import Flask, Response, g, request
from werkzeug.exceptions import HTTPException

from hubspot_twin.catalog import OBJECT_TYPES, resolve
from hubspot_twin.errors import HubSpotError, unauthorized
from hubspot_twin.http.api import (
    associations,
    batch,
    control,
    lists,
    merges,
    objects,
    owners,
    pipelines,
    properties,
    search,
    sequences,
    tokens,
)
from hubspot_twin.http.api.plumbing import EXTENSION, TwinContext, context, respond
from hubspot_twin.http.counters import endpoint_key

logger = logging.getLogger(__name__)
CONTROL_PREFIX = "/_twin/"
TYPE_SEGMENTS = ("object_type", "from_type", "to_type")  # the URL variables that name an object type
TYPE_ALIASES = frozenset(alias for otype in OBJECT_TYPES for alias in otype.aliases)


def create_app(twin_context: TwinContext) -> Flask:
    """Return the app serving one twin's state."""
    app = Flask("hubspot_twin")
    app.extensions[EXTENSION] = twin_context
    served = (
        control,
        objects,
        batch,
        associations,
        properties,
        search,
        merges,
        owners,
        pipelines,
        lists,
        sequences,
        tokens,
    )
    for module in served:
        app.register_blueprint(module.blueprint)
    app.before_request(_count_and_authenticate)
    app.before_request(_require_served_types)
    app.before_request(_hold_store_lock)
    app.teardown_request(_release_store_lock)
    app.register_error_handler(HubSpotError, _hubspot_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected_error)
    return app


def _count_and_authenticate() -> None:
    """Count the request and check its bearer token (control endpoints are neither counted nor checked)."""
    if request.path.startswith(CONTROL_PREFIX):
        return
    twin = context()
    twin.counter.record(endpoint_key(request.method, request.path))
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise unauthorized()
    if twin.tokens is not None and token.strip() not in twin.tokens:
        raise unauthorized()


def _require_served_types() -> None:
    """Answer HubSpot's 403 for a path naming an object type the portal lacks (Leads in a portal without them)."""
    for key in TYPE_SEGMENTS:
        segment = (request.view_args or {}).get(key)
        if isinstance(segment, str) and segment.lower() in TYPE_ALIASES:
            context().store.require_served(resolve(segment))


def _hold_store_lock() -> None:
    """Serve each API request atomically: hold the store's lock until the response body is built."""
    if not request.path.startswith(CONTROL_PREFIX):
        context().store.lock.acquire()
        g.twin_store_locked = True


def _release_store_lock(_error: BaseException | None) -> None:
    if g.pop("twin_store_locked", False):
        context().store.lock.release()


def _hubspot_error(error: HubSpotError) -> Response:
    return respond(error.body(), error.status)


def _http_error(error: HTTPException) -> Response:
    status = error.code or 500
    if status == 404:
        message = f"resource not found: {request.method} {request.path} is not an endpoint the twin serves"
        return respond(HubSpotError(404, message, "OBJECT_NOT_FOUND").body(), 404)
    return respond(HubSpotError(status, error.description or error.name).body(), status)


def _unexpected_error(error: Exception) -> Response:
    logger.exception("twin.unexpected-error", extra={"path": request.path})
    return respond(HubSpotError(500, f"internal error: {type(error).__name__}", "INTERNAL_ERROR").body(), 500)

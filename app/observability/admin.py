"""Admin endpoints (`GET /metrics`), behind `Authorization: Bearer <ADMIN_TOKEN>`.

Without ADMIN_TOKEN every admin endpoint answers 403 and says so (the endpoints are off, not hidden); a missing
or wrong token is a 401. The token is compared in constant time and never logged or echoed.
"""

from __future__ import annotations

import hmac
import logging

from flask import Blueprint, Response, jsonify, request
from prometheus_client.exposition import choose_encoder

from app.observability.collector import LeadflowCollector

logger = logging.getLogger(__name__)

REALM = 'Bearer realm="leadflow-admin"'


def create_admin_blueprint(admin_token: str | None, collector: LeadflowCollector) -> Blueprint:
    """Return the blueprint of the admin endpoints; every request to it is authorized first."""
    blueprint = Blueprint("admin", __name__)
    blueprint.before_request(lambda: _authorize(admin_token))

    @blueprint.get("/metrics")
    def metrics() -> Response:
        encode, content_type = choose_encoder(request.headers.get("Accept", ""))
        return Response(encode(collector), content_type=content_type)

    return blueprint


def _authorize(admin_token: str | None) -> tuple[Response, int] | None:
    """Return the refusal for a request without the admin token, or None to let it through."""
    if not admin_token:
        return _refuse(403, "admin-disabled", "admin endpoints are disabled: set ADMIN_TOKEN to enable them")
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), admin_token.encode()):
        response, status = _refuse(401, "unauthorized", "send Authorization: Bearer <ADMIN_TOKEN>")
        response.headers["WWW-Authenticate"] = REALM
        return response, status
    return None


def _refuse(status: int, error: str, message: str) -> tuple[Response, int]:
    logger.warning(f"admin.{error}", extra={"path": request.path, "status": status})
    return jsonify(error=error, message=message), status

"""`POST /webhooks/hubspot`: size → signature → JSON → events → ledger → 204, each failure its own answer.

HubSpot retries any 4xx/5xx for up to a day, so only a ledger that cannot be written gets a 5xx; everything
else HubSpot sends is acknowledged once it is stored (or deliberately ignored).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from flask import Blueprint, Request, Response, jsonify, request
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import RequestEntityTooLarge

from app.webhooks.events import EventsInvalid, parse_events
from app.webhooks.intake import IntakeRejected, WebhookIntake
from app.webhooks.signature import SignatureRejected, verify_v3

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class WebhookEndpoint:
    intake: WebhookIntake
    client_secret: str | None
    public_url: str | None
    max_body_bytes: int
    now: Callable[[], float] = time.time


def create_blueprint(endpoint: WebhookEndpoint) -> Blueprint:
    """Return the blueprint that receives HubSpot's webhooks."""
    blueprint = Blueprint("webhooks", __name__)

    @blueprint.post("/webhooks/hubspot")
    def receive_hubspot_webhook() -> Response | tuple[Response, int]:
        return _receive(endpoint, request)

    return blueprint


def _receive(endpoint: WebhookEndpoint, req: Request) -> Response | tuple[Response, int]:
    if req.content_length is not None and req.content_length > endpoint.max_body_bytes:
        return _refuse(413, "webhook.body-too-large", f"the body exceeds {endpoint.max_body_bytes} bytes")
    try:
        body = req.get_data(cache=False)
    except RequestEntityTooLarge:
        return _refuse(413, "webhook.body-too-large", f"the body exceeds {endpoint.max_body_bytes} bytes")
    if not endpoint.client_secret:
        return _refuse(401, "webhook.secret-missing", "HUBSPOT_CLIENT_SECRET is not configured")
    try:
        verify_v3(
            req.headers.get("X-HubSpot-Signature-v3", ""),
            req.headers.get("X-HubSpot-Request-Timestamp", ""),
            body,
            signed_uri(req, endpoint.public_url),
            endpoint.client_secret,
            endpoint.now(),
        )
    except SignatureRejected as exc:
        return _refuse(401, f"webhook.{exc.reason}", str(exc))
    try:
        events = parse_events(body)
        report = endpoint.intake.accept(events)
    except (EventsInvalid, IntakeRejected) as exc:
        return _refuse(400, "webhook.events-invalid", str(exc))
    except SQLAlchemyError as exc:
        logger.error("webhook.ledger-unavailable", extra={"error": type(exc).__name__})
        return _refuse(503, "webhook.ledger-unavailable", "the ledger is unavailable; retry later")
    logger.info("webhook.accepted", extra={"events": len(events), "outcomes": report.outcomes})
    return Response(status=204)


def signed_uri(req: Request, public_url: str | None) -> str:
    """Return the URI HubSpot signed: the public base URL (behind a proxy) plus the raw path and query."""
    raw = req.environ.get("RAW_URI") or req.environ.get("REQUEST_URI")
    path = raw if isinstance(raw, str) and raw.startswith("/") else _rebuilt_path(req)
    base = public_url.rstrip("/") if public_url else req.host_url.rstrip("/")
    return base + path


def _rebuilt_path(req: Request) -> str:
    query = req.query_string.decode("latin-1")
    return req.script_root + req.path + (f"?{query}" if query else "")


def _refuse(status: int, event: str, message: str) -> tuple[Response, int]:
    logger.warning(event, extra={"status": status, "detail": message})
    return jsonify(error=event.removeprefix("webhook."), message=message), status

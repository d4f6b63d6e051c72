"""`POST /webhooks/hubspot`: size → signature → JSON → events → ledger → 204, each failure its own answer.

HubSpot retries any 4xx/5xx for up to a day, so only a ledger that cannot be written gets a 5xx; everything
else HubSpot sends is acknowledged once it is stored (or deliberately ignored, or quarantined: an event of the
wrong shape is set aside with its reason, never at its neighbours' cost). A body that is no event array is a
400. Each request is counted once, as `accepted` or by its rejection reason (`size`, `signature`, `body`,
`ledger`); what is logged about a parsed batch carries its event ids.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from flask import Blueprint, Request, Response, jsonify, request
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import RequestEntityTooLarge

from app.logs import log_context
from app.webhooks.events import EventsInvalid, ParsedBatch, parse_batch
from app.webhooks.intake import WebhookIntake
from app.webhooks.signature import SignatureRejected, verify_v3

logger = logging.getLogger(__name__)

Answer = Response | tuple[Response, int]


def _uncounted(_outcome: str) -> None:
    """Count nothing (when no metrics are wired)."""


@dataclass(frozen=True)
class WebhookEndpoint:
    intake: WebhookIntake
    client_secret: str | None
    public_url: str | None
    max_body_bytes: int
    now: Callable[[], float] = time.time
    count: Callable[[str], None] = _uncounted  # once per request: "accepted" or the rejection reason


@dataclass(frozen=True)
class Refusal:
    status: int
    event: str  # the dotted log event, e.g. webhook.signature-invalid
    message: str  # names the problem only: never a secret, a header's value or a stack trace
    reason: str  # what the request is counted as: size, signature, body, ledger


def create_blueprint(endpoint: WebhookEndpoint) -> Blueprint:
    """Return the blueprint that receives HubSpot's webhooks."""
    blueprint = Blueprint("webhooks", __name__)

    @blueprint.post("/webhooks/hubspot")
    def receive_hubspot_webhook() -> Answer:
        return _receive(endpoint, request)

    return blueprint


def _receive(endpoint: WebhookEndpoint, req: Request) -> Answer:
    body = _read(endpoint, req)
    if isinstance(body, Refusal):
        return _answer(endpoint, body)
    refusal = _verify(endpoint, req, body)
    if refusal is not None:
        return _answer(endpoint, refusal)
    try:
        batch = parse_batch(body)
    except EventsInvalid as exc:
        return _answer(endpoint, Refusal(400, "webhook.events-invalid", str(exc), "body"))
    with log_context(event_ids=[event.eventId for event in batch.events]):
        return _answer(endpoint, _store(endpoint, batch))


def _read(endpoint: WebhookEndpoint, req: Request) -> bytes | Refusal:
    too_large = Refusal(413, "webhook.body-too-large", f"the body exceeds {endpoint.max_body_bytes} bytes", "size")
    if req.content_length is not None and req.content_length > endpoint.max_body_bytes:
        return too_large
    if req.content_length is None and req.environ.get("wsgi.input_terminated"):
        # A chunked body: werkzeug would quietly cut it at the limit, so read one byte past it ourselves.
        body: bytes = req.environ["wsgi.input"].read(endpoint.max_body_bytes + 1)
        return too_large if len(body) > endpoint.max_body_bytes else body
    try:
        return req.get_data(cache=False)
    except RequestEntityTooLarge:
        return too_large


def _verify(endpoint: WebhookEndpoint, req: Request, body: bytes) -> Refusal | None:
    if not endpoint.client_secret:
        return Refusal(401, "webhook.secret-missing", "HUBSPOT_CLIENT_SECRET is not configured", "signature")
    try:
        verify_request(req, body, endpoint.public_url, endpoint.client_secret, endpoint.now())
    except SignatureRejected as exc:
        return Refusal(401, f"webhook.{exc.reason}", str(exc), "signature")
    return None


def _store(endpoint: WebhookEndpoint, batch: ParsedBatch) -> Refusal | None:
    try:
        report = endpoint.intake.accept_batch(batch)
    except SQLAlchemyError as exc:
        logger.error("webhook.ledger-unavailable", extra={"error": type(exc).__name__})
        return Refusal(503, "webhook.ledger-unavailable", "the ledger is unavailable; retry later", "ledger")
    if report.reasons:
        logger.warning("webhook.events-quarantined", extra={"events": len(report.reasons), "reasons": report.reasons})
    events = len(batch.events) + len(batch.rejected)
    logger.info("webhook.accepted", extra={"events": events, "outcomes": report.outcomes})
    return None


def _answer(endpoint: WebhookEndpoint, refusal: Refusal | None) -> Answer:
    """Count the request, then acknowledge it (204) or refuse it with its status and a JSON body."""
    endpoint.count("accepted" if refusal is None else refusal.reason)
    if refusal is None:
        return Response(status=204)
    logger.warning(refusal.event, extra={"status": refusal.status, "detail": refusal.message})
    return jsonify(error=refusal.event.removeprefix("webhook."), message=refusal.message), refusal.status


def verify_request(req: Request, body: bytes, public_url: str | None, client_secret: str, now: float) -> None:
    """Raise `SignatureRejected` unless HubSpot signed this request (v3 headers, its method, the URI it called):
    its webhook deliveries and an app card's `hubspot.fetch` calls alike."""
    verify_v3(
        req.headers.get("X-HubSpot-Signature-v3", ""),
        req.headers.get("X-HubSpot-Request-Timestamp", ""),
        body,
        signed_uri(req, public_url),
        client_secret,
        now,
        method=req.method,
    )


def signed_uri(req: Request, public_url: str | None) -> str:
    """Return the URI HubSpot signed: the public base URL (behind a proxy) plus the raw path and query."""
    raw = req.environ.get("RAW_URI") or req.environ.get("REQUEST_URI")
    path = raw if isinstance(raw, str) and raw.startswith("/") else _rebuilt_path(req)
    base = public_url.rstrip("/") if public_url else req.host_url.rstrip("/")
    return base + path


def _rebuilt_path(req: Request) -> str:
    query = req.query_string.decode("latin-1")
    return req.script_root + req.path + (f"?{query}" if query else "")

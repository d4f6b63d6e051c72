"""`GET /card/contacts/<id>` and `POST /card/contacts/<id>/answer`: signature → portal → input → the card's shell.

Each failure is its own early answer with its own status and a JSON body naming it: 401 for a request HubSpot did
not sign (missing, stale or wrong v3 signature; no client secret configured), 403 for another portal's request,
413 for a body over 4 KiB, 400 for input the card may not send, 404 for a contact Leadflow has not scored, 409 for an
answer the handovers do not allow now, 502/503 when HubSpot refused or failed the answer's write, 503 when the
ledger is unavailable. Nothing is written before every check has passed.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Request, Response, jsonify, request
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

from app.rules.card import AnswerRefused
from app.sync.card import AnswerNotWritten, ContactCards, UnknownContact
from app.sync.hubspot.errors import HubSpotError, PermanentHubSpotError
from app.webhooks.signature import SignatureRejected
from app.webhooks.views import verify_request

logger = logging.getLogger(__name__)

Answer = tuple[Response, int]
MAX_BODY_BYTES = 4096  # {"answer": ..., "reason": ...} is a few dozen bytes
CONFLICTS = frozenset({"no-open-handover", "handover-not-configured", "answer-not-configured"})


@dataclass(frozen=True)
class CardEndpoint:
    cards: ContactCards
    client_secret: str | None
    public_url: str | None
    portal_id: str | None  # HUBSPOT_PORTAL_ID: the one portal Leadflow is installed in (None: not checked)
    now: Callable[[], float] = time.time


class Refused(Exception):
    """A request the card endpoint answers with `status` and a JSON `error` code."""

    def __init__(self, status: int, error: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.error = error


def create_card_blueprint(endpoint: CardEndpoint) -> Blueprint:
    """Return the blueprint that answers the contact card's `hubspot.fetch` calls."""
    blueprint = Blueprint("card", __name__)

    @blueprint.get("/card/contacts/<contact_id>")
    def contact_card(contact_id: str) -> Answer:
        return _answered(lambda: _read(endpoint, request, contact_id))

    @blueprint.post("/card/contacts/<contact_id>/answer")
    def contact_answer(contact_id: str) -> Answer:
        return _answered(lambda: _answer(endpoint, request, contact_id))

    return blueprint


def _read(endpoint: CardEndpoint, req: Request, contact_id: str) -> Answer:
    _authenticate(endpoint, req, b"")
    return jsonify(endpoint.cards.read(_contact_id(contact_id))), 200


def _answer(endpoint: CardEndpoint, req: Request, contact_id: str) -> Answer:
    body = _body(req)
    user_id = _authenticate(endpoint, req, body)
    answer, reason = _answer_of(body)
    given = endpoint.cards.answer(_contact_id(contact_id), answer, reason, user_id)
    document = {
        "contact_id": contact_id, "handover": given.handover_key, "answer": answer, "reason": reason,
        "written": dict(given.writes), "recorded": False,
        "message": "written to HubSpot; Leadflow records the answer with its next drain",
    }  # fmt: skip
    return jsonify(document), 202


def _authenticate(endpoint: CardEndpoint, req: Request, body: bytes) -> str | None:
    """Check HubSpot's v3 signature and the portal; return the signed user id (None when HubSpot sent none)."""
    if not endpoint.client_secret:
        raise Refused(401, "secret-missing", "HUBSPOT_CLIENT_SECRET is not configured")
    try:
        verify_request(req, body, endpoint.public_url, endpoint.client_secret, endpoint.now())
    except SignatureRejected as exc:
        raise Refused(401, exc.reason, str(exc)) from None
    portal = req.args.get("portalId")
    if endpoint.portal_id is not None and portal != endpoint.portal_id:
        raise Refused(403, "portal-mismatch", "the request comes from another portal than Leadflow's")
    return req.args.get("userId") or None


def _body(req: Request) -> bytes:
    if req.content_length is not None and req.content_length > MAX_BODY_BYTES:
        raise Refused(413, "body-too-large", f"the body exceeds {MAX_BODY_BYTES} bytes")
    body = req.get_data(cache=False)
    if len(body) > MAX_BODY_BYTES:
        raise Refused(413, "body-too-large", f"the body exceeds {MAX_BODY_BYTES} bytes")
    return body


def _answer_of(body: bytes) -> tuple[str, str | None]:
    """Return the answer and its reason from `{"answer": "accepted"|"rejected", "reason": "..."}`."""
    try:
        document: Any = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        raise Refused(400, "body-invalid", "the body is not JSON") from None
    if not isinstance(document, dict):
        raise Refused(400, "body-invalid", 'the body must be an object: {"answer": ..., "reason": ...}')
    unknown = sorted(set(document) - {"answer", "reason"})
    if unknown:
        raise Refused(400, "body-invalid", f"unknown field(s): {', '.join(unknown)}")
    answer, reason = document.get("answer"), document.get("reason")
    if not isinstance(answer, str):
        raise Refused(400, "answer-unknown", 'the body needs "answer": "accepted" or "rejected"')
    if reason is not None and not isinstance(reason, str):
        raise Refused(400, "reason-unknown", '"reason" must be a string')
    return answer, reason


def _contact_id(contact_id: str) -> str:
    if not (contact_id.isascii() and contact_id.isdigit()) or len(contact_id) > 20:
        raise Refused(400, "contact-id-invalid", f"{contact_id[:40]!r} is not a HubSpot contact id")
    return contact_id


def _answered(handle: Callable[[], Answer]) -> Answer:
    """Run `handle`, answering each failure with its status and a JSON body (never a stack trace)."""
    try:
        return handle()
    except Refused as exc:
        return _refusal(exc.status, exc.error, str(exc))
    except UnknownContact as exc:
        return _refusal(404, "unknown-contact", str(exc))
    except AnswerRefused as exc:
        return _refusal(409 if exc.code in CONFLICTS else 400, exc.code, str(exc))
    except AnswerNotWritten as exc:
        error = "hubspot-unconfirmed" if exc.unconfirmed else "hubspot-refused"
        return _refusal(503 if exc.unconfirmed else 502, error, f"HubSpot did not take the answer: {exc}")
    except HubSpotError as exc:
        status = 502 if isinstance(exc, PermanentHubSpotError) else 503
        return _refusal(status, "hubspot-unavailable" if status == 503 else "hubspot-refused", f"HubSpot: {exc}")
    except (SQLAlchemyError, RedisError) as exc:
        logger.error("card.store-unavailable", extra={"error": type(exc).__name__})
        return _refusal(503, "store-unavailable", "the ledger or Redis is unavailable; retry later")


def _refusal(status: int, error: str, message: str) -> Answer:
    logger.warning(f"card.{error}", extra={"status": status, "detail": message})
    return jsonify(error=error, message=message), status

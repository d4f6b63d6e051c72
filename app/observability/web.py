"""Operability for the web app: request ids in the log context, `/readyz`, and the admin `/metrics`."""

from __future__ import annotations

import re
import uuid
from contextlib import ExitStack

from flask import Flask, Response, g, request

from app.logs import log_context
from app.observability.admin import create_admin_blueprint
from app.observability.collector import LeadflowCollector, ScrapeSources
from app.observability.readiness import create_readiness_blueprint, ledger_answers, redis_answers, schema_current

REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")  # a proxy's X-Request-Id is kept only when it looks like one


def install_operability(app: Flask, sources: ScrapeSources, admin_token: str | None) -> None:
    """Register `/readyz` and the admin `/metrics`, and give every request an id in the log context."""
    engine = sources.ledger.engine
    checks = {
        "ledger": ledger_answers(engine),
        "schema": schema_current(engine),
        "redis": redis_answers(sources.metrics.redis),
    }
    app.register_blueprint(create_readiness_blueprint(checks))
    app.register_blueprint(create_admin_blueprint(admin_token, LeadflowCollector(sources)))
    app.before_request(_open_request_log)
    app.after_request(_tag_response)
    app.teardown_request(_close_request_log)


def _open_request_log() -> None:
    given = request.headers.get("X-Request-Id", "")
    g.request_id = given if REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
    g.log_scope = ExitStack()
    g.log_scope.enter_context(log_context(request_id=g.request_id))


def _tag_response(response: Response) -> Response:
    if "request_id" in g:
        response.headers["X-Request-Id"] = g.request_id
    return response


def _close_request_log(_exc: BaseException | None) -> None:
    scope = g.pop("log_scope", None)
    if scope is not None:
        scope.close()

"""`GET /readyz`: 200 when the ledger answers, its schema is current and Redis answers; else 503 naming what is not.

The checks run side by side in daemon threads and the answer waits at most `READY_TIMEOUT` seconds: a check
still running then (a database host that swallows packets) is reported as `timeout`. The body names only the
failed dependency and a short reason, never a URL, a message from the driver or a stack trace; the cause is
logged (redacted).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from contextvars import copy_context

from flask import Blueprint, Response, jsonify
from redis import Redis
from sqlalchemy import Engine, text

from app.ledger.database import schema_is_current

logger = logging.getLogger(__name__)

READY_TIMEOUT = 2.0
OK = "ok"

Check = Callable[[], str]  # returns "ok" or what is wrong; raising means the dependency does not answer


def ledger_answers(engine: Engine) -> Check:
    def check() -> str:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return OK

    return check


def schema_current(engine: Engine) -> Check:
    return lambda: OK if schema_is_current(engine) else "behind the newest migration"


def redis_answers(redis: Redis) -> Check:
    return lambda: OK if redis.ping() else "no answer to PING"


def run_checks(checks: Mapping[str, Check], timeout: float = READY_TIMEOUT) -> dict[str, str]:
    """Run the checks side by side; return each one's outcome (`timeout` for those still running)."""
    outcomes: dict[str, str] = {}
    threads = [  # each in a copy of this context, so what the checks log carries the request's log context
        threading.Thread(
            target=copy_context().run, args=(_run, name, check, outcomes), name=f"readyz-{name}", daemon=True
        )
        for name, check in checks.items()
    ]
    deadline = time.monotonic() + timeout
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    return {name: outcomes.get(name, "timeout") for name in checks}


def _run(name: str, check: Check, outcomes: dict[str, str]) -> None:
    try:
        outcomes[name] = check()
    except Exception as exc:  # whatever the driver raises, the dependency is not ready
        logger.warning("readyz.check-failed", extra={"check": name, "error": f"{type(exc).__name__}: {exc}"[:300]})
        outcomes[name] = "unreachable"


def create_readiness_blueprint(checks: Mapping[str, Check]) -> Blueprint:
    """Return the blueprint answering `GET /readyz` from these checks."""
    blueprint = Blueprint("readiness", __name__)

    @blueprint.get("/readyz")
    def readyz() -> tuple[Response, int]:
        outcomes = run_checks(checks)
        if all(outcome == OK for outcome in outcomes.values()):
            return jsonify(status="ready", checks=outcomes), 200
        logger.warning("readyz.not-ready", extra={"checks": outcomes})
        return jsonify(status="not-ready", checks=outcomes), 503

    return blueprint

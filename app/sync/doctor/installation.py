"""Read the installation as `leadflow doctor` checks it: Redis, the ledger, RQ's registries of workers and of cron
schedulers (the clock), and PUBLIC_URL answering a signed probe: an empty batch, which the webhook receiver
acknowledges (204) and stores nothing of. The judgements are `app/rules/doctor/installation.py`'s."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

import requests
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, Worker
from rq.cron import CronScheduler
from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

from app.ledger.database import schema_is_current
from app.rules.app_project.webhooks import target_url
from app.rules.doctor import installation as judge
from app.rules.doctor.findings import Finding, fail
from app.rules.doctor.installation import ClockSeen, ProbeAnswer, WorkerSeen
from app.sync.doctor.context import DoctorContext

PROBE_BODY = "[]"  # an empty batch: verified like any delivery, then acknowledged with nothing to store


def installation_findings(context: DoctorContext) -> list[Finding]:
    """Check Redis, the ledger, the workers and the clock (when Redis answers), and the signed round trip to
    PUBLIC_URL."""
    redis_outcome = _redis_outcome(context.redis)
    found = [judge.redis_finding(redis_outcome), *judge.ledger_findings(*_ledger_outcomes(context.engine))]
    if redis_outcome == "ok":
        found += [*_worker_findings(context), _clock_finding(context)]
    else:
        found.append(fail("workers", "not checked: RQ keeps its worker registry in Redis", "start Redis first"))
        found.append(fail("clock", "not checked: RQ keeps its cron schedulers' registry in Redis", "start Redis first"))
    url = target_url(context.public_url) if context.public_url else None
    answer = probe(url, context.client_secret, context.probe_timeout) if url and context.client_secret else None
    found.append(judge.probe_finding(url, answer))
    return found


def _redis_outcome(redis: Redis) -> str:
    try:
        return "ok" if redis.ping() else "no answer to PING"
    except RedisError as exc:
        return type(exc).__name__


def _ledger_outcomes(engine: Engine) -> tuple[str, str]:
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return "ok", "ok" if schema_is_current(engine) else "behind the newest migration"
    except SQLAlchemyError as exc:
        return type(exc).__name__, "unknown"


def _worker_findings(context: DoctorContext) -> list[Finding]:
    queue = Queue(context.queue_name, connection=context.redis)
    workers = [WorkerSeen(w.name, str(w.get_state()), w.last_heartbeat) for w in Worker.all(queue=queue)]
    return judge.worker_findings(context.queue_name, workers, context.clock())


def _clock_finding(context: DoctorContext) -> Finding:
    # cleanup=False: RQ would otherwise delete the stale entries it finds, and doctor writes nothing.
    clocks = [ClockSeen(c.name, c.last_heartbeat) for c in CronScheduler.all(context.redis, cleanup=False)]
    return judge.clock_finding(clocks, context.clock())


def probe(url: str, client_secret: str, timeout: float) -> ProbeAnswer:
    """POST an empty batch to `url`, signed (v3) with `client_secret` as HubSpot signs; return the answer."""
    timestamp = str(int(time.time() * 1000))
    headers = {
        "Content-Type": "application/json",
        "X-HubSpot-Signature-v3": sign_v3(client_secret, url, PROBE_BODY, timestamp),
        "X-HubSpot-Request-Timestamp": timestamp,
    }
    try:
        response = requests.post(url, data=PROBE_BODY.encode(), headers=headers, timeout=timeout)
    except requests.RequestException as exc:
        return ProbeAnswer(None, type(exc).__name__)
    return ProbeAnswer(response.status_code, _error_name(response))


def sign_v3(client_secret: str, uri: str, body: str, timestamp: str) -> str:
    """HubSpot's v3 signature: base64 HMAC-SHA256 of method, URI, body and timestamp."""
    message = f"POST{uri}{body}{timestamp}".encode()
    return base64.b64encode(hmac.new(client_secret.encode(), message, hashlib.sha256).digest()).decode()


def _error_name(response: requests.Response) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return str(body.get("error")) if isinstance(body, dict) and body.get("error") else None

"""Operability on a real ledger (SQLite and PostgreSQL), a real Redis and the twin: /healthz, /readyz, /metrics
behind the admin token, counters shared by every process, and the request, event, job and contact ids in the logs.
"""

from __future__ import annotations

import io
import json
import logging
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import redis
from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import create_engine, text

from app import create_app
from app.bootstrap import Container, connect_redis
from app.ledger.database import create_ledger_engine
from app.ledger.store import Ledger
from app.logs import JsonFormatter
from app.observability.catalog import HUBSPOT_DURATION, JOBS
from app.observability.collector import LeadflowCollector, ScrapeSources
from app.observability.metrics import Metrics
from app.observability.readiness import run_checks
from app.observability.recorders import HubSpotCallRecorder
from app.sync.hubspot.retry import RetryPolicy
from app.sync.hubspot.sdk import SdkGateway
from app.sync.setup import run_setup
from app.workers import ThreadWorker
from hubspot_twin import Twin, TwinServer
from hubspot_twin.webhooks.handmade import EventFactory
from hubspot_twin.webhooks.signing import signed_headers
from tests.conftest import POSTGRES_URL, REDIS_URL
from tests.support.app import ACCESS_TOKEN, CLIENT_SECRET, make_container
from tests.support.faults import Fault, FaultyHubSpot

ADMIN_TOKEN = "admin-token-for-the-tests-0123"
URI = "http://localhost/webhooks/hubspot"
BATCH_READ = "/crm/v3/objects/contacts/batch/read"
FAST_RETRIES = RetryPolicy(attempts=3, max_seconds=5, initial_backoff=0.001, max_backoff=0.002)


def rate_limited_once() -> Fault:
    """HubSpot's 429 for the ten-second window, once, on the contacts' batch read."""
    body = {"status": "error", "message": "You have reached your ten_secondly_rolling limit.",
            "errorType": "RATE_LIMIT", "policyName": "TEN_SECONDLY_ROLLING"}  # fmt: skip
    return Fault("POST", BATCH_READ, times=1, status=429, body=body, headers={"Retry-After": "0"})


@dataclass
class Leadflow:
    """The web app and an RQ worker on one container, HubSpot played by the twin behind a fault layer."""

    twin: Twin
    faulty: FaultyHubSpot
    container: Container
    client: FlaskClient
    events: EventFactory

    def post(self, events: list[dict[str, Any]], secret: str = CLIENT_SECRET) -> int:
        body = json.dumps(events)
        response = self.client.post("/webhooks/hubspot", data=body, headers=signed_headers(secret, URI, body))
        return response.status_code

    def work(self) -> None:
        """Run the queue empty in this thread, as `leadflow worker --burst` does."""
        worker = ThreadWorker(self.container)
        worker.work(burst=True, logging_level="WARNING")

    def scrape(self) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
        response = self.client.get("/metrics", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
        assert response.status_code == 200
        return samples(response.get_data(as_text=True))


def samples(exposition: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Return every sample of a Prometheus text exposition, by name and label set."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(exposition)
        for sample in family.samples
    }


def value(scraped: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str) -> float | None:
    return scraped.get((name, frozenset(labels.items())))


@pytest.fixture
def leadflow(ledger_url: str, redis_client: redis.Redis) -> Iterator[Leadflow]:
    twin = Twin(access_tokens={ACCESS_TOKEN})
    faulty = FaultyHubSpot(twin.app)
    observer = HubSpotCallRecorder(Metrics(redis_client))
    with TwinServer(faulty).start() as server:  # type: ignore[arg-type]
        container = make_container(
            ledger_url,
            redis_client,
            gateway_factory=lambda: SdkGateway(ACCESS_TOKEN, server.url, (2.0, 10.0), FAST_RETRIES, observer=observer),
            settings={"hubspot_api_base": server.url, "admin_token": ADMIN_TOKEN},
        )
        run_setup(
            container.gateway(), container.ledger, container.model, container.clock, nurture=container.nurture_config
        )
        client = create_app(container=container).test_client()
        yield Leadflow(twin, faulty, container, client, EventFactory(app_id=4242))
        container.ledger.engine.dispose()


@pytest.fixture
def container(ledger_url: str, redis_client: redis.Redis) -> Iterator[Container]:
    built = make_container(ledger_url, redis_client, settings={"admin_token": ADMIN_TOKEN})
    yield built
    built.ledger.engine.dispose()


# /healthz and /readyz


def test_healthz_answers_while_redis_is_down(ledger_url: str) -> None:
    container = make_container(ledger_url, connect_redis("redis://127.0.0.1:1/0"))
    response = create_app(container=container).test_client().get("/healthz")
    assert (response.status_code, response.json) == (200, {"status": "ok"})
    container.ledger.engine.dispose()


def test_readyz_is_green_when_the_ledger_its_schema_and_redis_answer(container: Container) -> None:
    response = create_app(container=container).test_client().get("/readyz")
    assert response.status_code == 200
    assert response.json == {"status": "ready", "checks": {"ledger": "ok", "schema": "ok", "redis": "ok"}}


def test_readyz_is_red_and_names_redis_when_redis_is_unreachable(ledger_url: str) -> None:
    container = make_container(ledger_url, connect_redis("redis://:redis-password@127.0.0.1:1/0"))
    started = time.monotonic()
    response = create_app(container=container).test_client().get("/readyz")
    assert time.monotonic() - started < 2.5
    assert response.status_code == 503
    assert response.json == {"status": "not-ready", "checks": {"ledger": "ok", "schema": "ok", "redis": "unreachable"}}
    assert "redis-password" not in response.get_data(as_text=True)
    container.ledger.engine.dispose()


@contextmanager
def unmigrated_database(ledger_url: str, tmp_path: Path) -> Iterator[str]:
    """Yield the URL of an empty database of the same kind as `ledger_url`: no tables, no migrations."""
    if ledger_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    schema = f"leadflow_fresh_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL.replace("postgresql://", "postgresql+psycopg://", 1))
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def test_readyz_is_red_and_names_the_schema_when_the_ledger_is_not_migrated(
    container: Container, ledger_url: str, tmp_path: Path
) -> None:
    migrated = container.ledger
    with unmigrated_database(ledger_url, tmp_path) as fresh_url:
        container.ledger = Ledger(create_ledger_engine(fresh_url))
        response = create_app(container=container).test_client().get("/readyz")
        container.ledger.engine.dispose()
    container.ledger = migrated
    assert response.status_code == 503
    assert response.json == {
        "status": "not-ready",
        "checks": {"ledger": "ok", "schema": "behind the newest migration", "redis": "ok"},
    }


def test_a_check_that_does_not_finish_in_time_is_reported_as_a_timeout() -> None:
    release = threading.Event()
    started = time.monotonic()
    outcomes = run_checks({"slow": lambda: "ok" if release.wait(5) else "late", "fast": lambda: "ok"}, timeout=0.2)
    release.set()
    assert outcomes == {"slow": "timeout", "fast": "ok"}
    assert time.monotonic() - started < 1


# /metrics and the admin token


def test_metrics_are_off_without_an_admin_token(ledger_url: str, redis_client: redis.Redis) -> None:
    container = make_container(ledger_url, redis_client)
    response = create_app(container=container).test_client().get("/metrics", headers={"Authorization": "Bearer x"})
    assert response.status_code == 403
    assert response.json == {
        "error": "admin-disabled",
        "message": "admin endpoints are disabled: set ADMIN_TOKEN to enable them",
    }
    container.ledger.engine.dispose()


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        f"Bearer {ADMIN_TOKEN}x",
        "Bearer wrong-token",
        f"Basic {ADMIN_TOKEN}",
        f"Token {ADMIN_TOKEN}",
        ADMIN_TOKEN,
    ],
)
def test_metrics_refuse_a_request_without_the_right_bearer_token(
    container: Container, authorization: str | None
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    response = create_app(container=container).test_client().get("/metrics", headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="leadflow-admin"'
    assert response.json == {"error": "unauthorized", "message": "send Authorization: Bearer <ADMIN_TOKEN>"}


def test_metrics_answer_the_prometheus_text_format_with_the_token(container: Container) -> None:
    response = (
        create_app(container=container)
        .test_client()
        .get("/metrics", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    )
    assert response.status_code == 200
    assert response.content_type.startswith("text/plain; version=")
    scraped = samples(response.get_data(as_text=True))
    assert value(scraped, "leadflow_metrics_source_up", source="redis") == 1
    assert value(scraped, "leadflow_metrics_source_up", source="ledger") == 1
    assert value(scraped, "leadflow_handovers_total") == 0


def test_metrics_count_webhooks_a_drain_and_hubspot_calls_by_status(leadflow: Leadflow) -> None:
    contact = leadflow.twin.create_object("contacts", {"email": "anna.keller@kessler.de", "country": "Germany"})
    events = leadflow.events
    assert leadflow.post([events.creation("contact", contact)]) == 204
    assert leadflow.post([events.creation("contact", contact)], secret="not-the-secret") == 401
    assert leadflow.post([{"eventId": 1}] * 101) == 400  # no batch HubSpot sends
    echo = events.property_change("contact", contact, "leadflow_score", "40", source="INTEGRATION", sourceId="4242")
    assert leadflow.post([echo, events.event("ticket.creation", objectId=3), {"eventId": 1}]) == 204

    before = leadflow.scrape()
    assert value(before, "leadflow_worklist_contacts", state="dirty") == 1
    assert value(before, "leadflow_queue_jobs", queue="leadflow", state="queued") == 1
    assert value(before, "leadflow_ledger_unprocessed_signals") == 1
    assert value(before, "leadflow_ledger_quarantined_events") == 1  # {"eventId": 1}, its neighbours accepted

    leadflow.faulty.add(rate_limited_once())
    leadflow.work()
    after = leadflow.scrape()

    assert value(after, "leadflow_webhook_requests_total", result="accepted", reason="none") == 2
    assert value(after, "leadflow_webhook_requests_total", result="rejected", reason="signature") == 1
    assert value(after, "leadflow_webhook_requests_total", result="rejected", reason="body") == 1
    assert value(after, "leadflow_webhook_events_total", outcome="accepted", subscription_type="contact.creation") == 1
    assert (
        value(after, "leadflow_webhook_events_total", outcome="echo", subscription_type="contact.propertyChange") == 1
    )
    assert value(after, "leadflow_webhook_events_total", outcome="ignored", subscription_type="ticket.creation") == 1
    assert value(after, "leadflow_webhook_events_total", outcome="quarantined", subscription_type="other") == 1
    assert value(after, "leadflow_signals_stored_total") == 1

    assert value(after, "leadflow_jobs_total", job="drain", result="ok") == 1
    assert value(after, "leadflow_job_duration_seconds_count", job="drain") == 1
    assert value(after, "leadflow_drained_contacts_total", outcome="written") == 1
    assert value(after, "leadflow_signals_processed_total", job="drain") == 1
    assert value(after, "leadflow_webhook_to_write_seconds_count") == 1
    assert value(after, "leadflow_webhook_to_write_seconds_bucket", le="+Inf") == 1

    assert value(after, "leadflow_hubspot_requests_total", operation="batch-read contacts", status="429") == 1
    assert value(after, "leadflow_hubspot_requests_total", operation="batch-read contacts", status="200") == 1
    assert value(after, "leadflow_hubspot_requests_total", operation="batch-update contacts", status="200") == 1
    assert value(after, "leadflow_hubspot_request_duration_seconds_count", operation="batch-read contacts") == 2

    assert value(after, "leadflow_worklist_contacts", state="dirty") == 0
    assert value(after, "leadflow_worklist_contacts", state="claimed") == 0
    assert value(after, "leadflow_queue_jobs", queue="leadflow", state="queued") == 0
    assert value(after, "leadflow_queue_jobs", queue="leadflow", state="failed") == 0
    assert value(after, "leadflow_ledger_unprocessed_signals") == 0


def test_counters_recorded_by_separate_processes_add_up(redis_client: redis.Redis, container: Container) -> None:
    """Each "process" has its own Redis connection, as gunicorn's workers and RQ's work-horses do."""

    def record(times: int) -> None:
        client = redis.Redis.from_url(REDIS_URL)
        metrics = Metrics(client)
        for _ in range(times):
            metrics.add(JOBS, job="drain", result="ok")
            metrics.observe(HUBSPOT_DURATION, 0.07, 3.0, operation="batch-read contacts")
        client.close()

    threads = [threading.Thread(target=record, args=(100,)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    sources = ScrapeSources(Metrics(redis_client), container.queue, container.worklist, container.ledger)
    families = {family.name: family for family in LeadflowCollector(sources).collect()}

    (jobs,) = [s for s in families["leadflow_jobs"].samples if s.name == "leadflow_jobs_total"]
    assert (jobs.labels, jobs.value) == ({"job": "drain", "result": "ok"}, 400)
    durations = {
        s.name + s.labels.get("le", ""): s.value for s in families["leadflow_hubspot_request_duration_seconds"].samples
    }
    assert durations["leadflow_hubspot_request_duration_seconds_count"] == 800
    assert durations["leadflow_hubspot_request_duration_seconds_bucket0.05"] == 0
    assert durations["leadflow_hubspot_request_duration_seconds_bucket0.1"] == 400
    assert durations["leadflow_hubspot_request_duration_seconds_bucket2.5"] == 400
    assert durations["leadflow_hubspot_request_duration_seconds_bucket5.0"] == 800
    assert durations["leadflow_hubspot_request_duration_seconds_sum"] == pytest.approx(400 * 3.07)


def test_a_scrape_while_redis_is_down_still_shows_the_ledger(ledger_url: str) -> None:
    container = make_container(
        ledger_url, connect_redis("redis://127.0.0.1:1/0"), settings={"admin_token": ADMIN_TOKEN}
    )
    client = create_app(container=container).test_client()
    response = client.get("/metrics", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    assert response.status_code == 200
    scraped = samples(response.get_data(as_text=True))
    assert value(scraped, "leadflow_metrics_source_up", source="redis") == 0
    assert value(scraped, "leadflow_metrics_source_up", source="ledger") == 1
    assert value(scraped, "leadflow_ledger_unprocessed_signals") == 0
    assert value(scraped, "leadflow_jobs_total", job="drain", result="ok") is None
    container.ledger.engine.dispose()


# The ids in the logs


@contextmanager
def json_log_lines() -> Iterator[list[dict[str, Any]]]:
    """Capture what the root logger sees (at DEBUG), formatted as Leadflow's JSON lines."""
    stream, lines = io.StringIO(), []
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield lines
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
        lines.extend(json.loads(line) for line in stream.getvalue().splitlines())


def test_log_lines_carry_the_request_event_job_and_contact_ids(leadflow: Leadflow) -> None:
    contact = leadflow.twin.create_object("contacts", {"email": "anna.keller@kessler.de"})
    event = leadflow.events.creation("contact", contact)
    leadflow.faulty.add(rate_limited_once())
    with json_log_lines() as lines:
        assert leadflow.post([event]) == 204
        (job_id,) = leadflow.container.queue.job_ids
        leadflow.work()

    (accepted,) = [line for line in lines if line["event"] == "webhook.accepted"]
    assert (accepted["event_ids"], accepted["event_count"]) == ([str(event["eventId"])], 1)
    assert len(accepted["request_id"]) == 32
    (retry,) = [line for line in lines if line["event"] == "hubspot.retry"]
    assert (retry["job"], retry["job_id"], retry["contact_ids"], retry["contact_count"]) == (
        "drain",
        job_id,
        [contact],
        1,
    )
    (drained,) = [line for line in lines if line["event"] == "job.drain"]
    assert (drained["job_id"], drained["written"]) == (job_id, 1)
    assert "contact_ids" not in drained  # the contacts' context ends with their scoring


def test_a_request_keeps_the_id_a_proxy_gave_it_and_answers_with_it(container: Container) -> None:
    client = create_app(container=container).test_client()
    given = client.get("/healthz", headers={"X-Request-Id": "edge-4f2a.7"})
    assert given.headers["X-Request-Id"] == "edge-4f2a.7"
    odd = client.get("/healthz", headers={"X-Request-Id": "<script>"})
    assert odd.headers["X-Request-Id"] != "<script>"
    assert len(odd.headers["X-Request-Id"]) == 32

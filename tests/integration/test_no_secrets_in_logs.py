"""No secret ever reaches a log line, an HTTP answer or an error message.

A setup, a webhook with a bad signature, a good one, a drain against the twin, the admin endpoints with wrong and
right tokens and a readiness check against a database that does not answer all run with every logger at DEBUG
(urllib3, the HubSpot SDK, SQLAlchemy, RQ included). The records are captured as they were logged, before the
formatter's masking, so the test proves Leadflow does not log secrets at all; the formatted lines are checked too.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient

from app import create_app
from app.bootstrap import Container, build_container
from app.ledger.database import create_ledger_engine
from app.ledger.store import Ledger
from app.logs import JsonFormatter
from app.observability.secrets import secret_values
from app.sync.hubspot.retry import RetryPolicy
from app.sync.hubspot.sdk import SdkGateway
from app.sync.setup import run_setup
from app.workers import ThreadWorker
from hubspot_twin import Twin
from hubspot_twin.webhooks.handmade import EventFactory
from hubspot_twin.webhooks.signing import signed_headers
from tests.support.app import make_settings

ACCESS_TOKEN = "pat-na1-ACCESS-0f3c9e1b-secret"
CLIENT_SECRET = "CLIENT-7d41aa90-secret-value"
ADMIN_TOKEN = "ADMIN-51c2e8d4-secret-token"
DB_PASSWORD = "DBPASS-93be07c1-secret"
SECRETS = (ACCESS_TOKEN, CLIENT_SECRET, ADMIN_TOKEN, DB_PASSWORD)
URI = "http://localhost/webhooks/hubspot"
FAST_RETRIES = RetryPolicy(attempts=3, max_seconds=5, initial_backoff=0.001, max_backoff=0.002)


class Capture(logging.Handler):
    """Every record as it was logged (message, arguments, fields, traceback), and as Leadflow formats it."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.raw: list[str] = []
        self.formatted: list[str] = []
        self.json = JsonFormatter(SECRETS)
        self.levels: dict[logging.Logger, int] = {}

    def emit(self, record: logging.LogRecord) -> None:
        trace = logging.Formatter().formatException(record.exc_info) if record.exc_info else ""
        self.raw.append(f"{record.getMessage()} {record.__dict__!r} {trace}")
        self.formatted.append(self.json.format(record))

    def everything(self) -> None:
        """Put every logger at DEBUG (again: the HubSpot SDK sets urllib3's and its own to WARNING when built)."""
        loggers = [logging.getLogger(), *(logging.getLogger(name) for name in ("urllib3", "hubspot", "rq.worker"))]
        loggers += [item for item in logging.root.manager.loggerDict.values() if isinstance(item, logging.Logger)]
        for logger in loggers:
            self.levels.setdefault(logger, logger.level)
            logger.setLevel(logging.DEBUG)
            if (logger is logging.getLogger() or not logger.propagate) and self not in logger.handlers:
                logger.addHandler(self)  # RQ's loggers do not propagate to the root logger

    def detach(self) -> None:
        for logger, level in self.levels.items():
            logger.setLevel(level)
            if self in logger.handlers:
                logger.removeHandler(self)


@pytest.fixture
def capture() -> Iterator[Capture]:
    """Capture every logger at DEBUG; put them back afterwards."""
    handler = Capture()
    handler.everything()
    yield handler
    handler.detach()


def with_password(ledger_url: str) -> str:
    """Put the password into a PostgreSQL URL (the test server trusts local connections, so any password works)."""
    return ledger_url.replace("postgresql://postgres@", f"postgresql://postgres:{DB_PASSWORD}@", 1)


@dataclass
class Leadflow:
    container: Container
    client: FlaskClient
    events: EventFactory
    twin: Twin
    answers: list[str] = field(default_factory=list)

    def request(self, method: str, path: str, **kwargs: Any) -> int:
        response = self.client.open(path, method=method, **kwargs)
        self.answers.append(f"{response.status} {dict(response.headers)!r} {response.get_data(as_text=True)}")
        return response.status_code

    def post(self, events: list[dict[str, Any]], secret: str = CLIENT_SECRET) -> int:
        body = json.dumps(events)
        return self.request("POST", "/webhooks/hubspot", data=body, headers=signed_headers(secret, URI, body))

    def work(self) -> None:
        worker = ThreadWorker(self.container)
        worker.work(burst=True, logging_level="DEBUG")


@pytest.fixture
def leadflow(capture: Capture, ledger_url: str, redis_client: redis.Redis) -> Iterator[Leadflow]:
    twin = Twin(access_tokens={ACCESS_TOKEN})
    with twin.serve() as server:
        settings = make_settings(
            with_password(ledger_url),
            hubspot_access_token=ACCESS_TOKEN,
            hubspot_client_secret=CLIENT_SECRET,
            admin_token=ADMIN_TOKEN,
            hubspot_api_base=server.url,
        )
        container = build_container(
            settings,
            redis=redis_client,
            gateway_factory=lambda: SdkGateway(ACCESS_TOKEN, server.url, (2.0, 10.0), FAST_RETRIES),
        )
        yield Leadflow(container, create_app(container=container).test_client(), EventFactory(app_id=4242), twin)
        container.ledger.engine.dispose()


def assert_no_secret_in(texts: list[str], where: str) -> None:
    for secret in SECRETS:
        leaks = [text for text in texts if secret in text]
        assert not leaks, f"{secret!r} appears in {len(leaks)} {where}, e.g. {leaks[0][:500]}"


def test_no_secret_is_logged_or_answered_through_setup_webhooks_a_drain_and_the_admin_endpoints(
    leadflow: Leadflow, capture: Capture, ledger_url: str
) -> None:
    container = leadflow.container
    container.gateway()
    capture.everything()
    run_setup(container.gateway(), container.ledger, container.model, container.clock, nurture=container.nurture_config)
    contact = leadflow.twin.create_object("contacts", {"email": "anna.keller@kessler.de", "country": "Germany"})

    assert leadflow.post([leadflow.events.creation("contact", contact)], secret="not-the-client-secret") == 401
    assert leadflow.post([leadflow.events.creation("contact", contact)]) == 204
    leadflow.work()
    assert leadflow.twin.get_object("contacts", contact)["leadflow_score"]
    assert leadflow.request("GET", "/metrics", headers={"Authorization": "Bearer wrong-token-0123456789"}) == 401
    assert leadflow.request("GET", "/metrics", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}) == 200
    assert leadflow.request("GET", "/readyz") == 200

    unreachable = Ledger(create_ledger_engine(f"postgresql://leadflow:{DB_PASSWORD}@127.0.0.1:1/leadflow"))
    probe = create_app(container=replace(container, ledger=unreachable)).test_client()
    answer = probe.get("/readyz")
    leadflow.answers.append(answer.get_data(as_text=True))
    assert answer.status_code == 503
    unreachable.engine.dispose()

    assert len(capture.raw) > 100  # DEBUG really was on: urllib3, SQLAlchemy, RQ and Leadflow all logged
    assert any(record.startswith("http://127.0.0.1") for record in capture.raw)  # urllib3's request lines
    assert_no_secret_in(capture.raw, "log records")
    assert_no_secret_in(capture.formatted, "formatted log lines")
    assert_no_secret_in(leadflow.answers, "HTTP answers")
    if ledger_url.startswith("postgresql"):
        assert DB_PASSWORD in container.settings.database_url  # the ledger really ran on a URL with a password


def test_an_unexpected_error_answers_a_generic_500_and_its_log_line_is_masked(
    leadflow: Leadflow, capture: Capture
) -> None:
    app = create_app(container=leadflow.container)
    fail_with_secrets(app)
    answer = app.test_client().get("/fail")
    assert answer.status_code == 500
    assert answer.json == {"error": "internal-error", "message": "Leadflow could not handle this request"}
    (line,) = [line for line in capture.formatted if '"web.unexpected-error"' in line]
    assert "RuntimeError" in json.loads(line)["exception"]
    assert_no_secret_in([*capture.formatted, answer.get_data(as_text=True)], "answers or formatted lines")


def fail_with_secrets(app: Flask) -> None:
    def fail() -> str:
        raise RuntimeError(f"HubSpot said no to {ACCESS_TOKEN} with {CLIENT_SECRET} for Bearer {ADMIN_TOKEN}")

    app.add_url_rule("/fail", "fail", fail)


def test_the_settings_name_every_secret_the_formatter_must_mask() -> None:
    settings = make_settings(
        "postgresql://leadflow:p%40ss-word-1@db:5432/leadflow",
        hubspot_access_token=ACCESS_TOKEN,
        hubspot_client_secret=CLIENT_SECRET,
        admin_token=ADMIN_TOKEN,
        redis_url="redis://:redis-pass-0123@cache:6379/0",
        handover_webhook_url="https://hooks.slack.test/services/T000/B000/XYZsecretpath",
    )
    assert set(secret_values(settings)) == {
        ACCESS_TOKEN,
        CLIENT_SECRET,
        ADMIN_TOKEN,
        "p%40ss-word-1",
        "p@ss-word-1",
        "redis-pass-0123",
        "https://hooks.slack.test/services/T000/B000/XYZsecretpath",
        "/services/T000/B000/XYZsecretpath",
    }

"""POST /webhooks/hubspot end to end over a real ledger (SQLite and PostgreSQL) and a real Redis."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from flask.testing import FlaskClient

from app import create_app
from app.bootstrap import Container, connect_redis
from hubspot_twin.webhooks.handmade import EventFactory
from hubspot_twin.webhooks.signing import signed_headers
from tests.support.app import CLIENT_SECRET, make_container

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "hubspot"
URI = "http://localhost/webhooks/hubspot"


@pytest.fixture
def container(ledger_url: str, redis_client: redis.Redis) -> Iterator[Container]:
    built = make_container(ledger_url, redis_client)
    yield built
    built.ledger.engine.dispose()


@pytest.fixture
def client(container: Container) -> FlaskClient:
    return create_app(container=container).test_client()


def post(client: FlaskClient, body: str | bytes, headers: dict[str, str] | None = None) -> Any:
    text = body.decode() if isinstance(body, bytes) else body
    return client.post(
        "/webhooks/hubspot",
        data=body,
        headers=headers if headers is not None else signed_headers(CLIENT_SECRET, URI, text),
    )


def fixture_body(*names: str) -> str:
    return json.dumps([json.loads((FIXTURES / f"{name}.json").read_text())[0] for name in names])


def test_a_signed_batch_of_hubspot_events_is_stored_and_acknowledged(client: FlaskClient, container: Container) -> None:
    body = fixture_body("contact.creation__from_ui", "contact.propertyChange__whitepaper_conversion")
    response = post(client, body)
    assert response.status_code == 204
    counts = container.ledger.counts()
    assert (counts.signals, counts.engagements) == (2, 1)
    assert container.worklist.dirty_count() == 1
    assert container.queue.count == 1


def test_every_captured_payload_is_acknowledged(client: FlaskClient) -> None:
    for fixture in sorted(FIXTURES.glob("*.json")):
        assert post(client, fixture.read_text()).status_code == 204, fixture.name


def test_a_duplicate_delivery_stores_nothing_new(client: FlaskClient, container: Container) -> None:
    body = fixture_body("contact.propertyChange__whitepaper_conversion")
    assert post(client, body).status_code == 204
    queued = container.queue.count
    assert post(client, body).status_code == 204
    counts = container.ledger.counts()
    assert (counts.signals, counts.engagements) == (1, 1)
    assert container.queue.count == queued
    assert container.worklist.event_counts()["duplicate"] == 1


def test_a_wrong_signature_is_refused_and_nothing_stored(client: FlaskClient, container: Container) -> None:
    body = fixture_body("contact.creation__from_ui")
    headers = signed_headers("not-the-secret", URI, body)
    response = post(client, body, headers)
    assert response.status_code == 401
    assert response.json["error"] == "signature-invalid"
    assert container.ledger.counts().signals == 0


def test_a_stale_timestamp_is_a_401_not_a_500(client: FlaskClient, container: Container) -> None:
    body = fixture_body("contact.creation__from_ui")
    headers = signed_headers(CLIENT_SECRET, URI, body, timestamp_ms=int((time.time() - 600) * 1000))
    assert post(client, body, headers).status_code == 401
    del headers["X-HubSpot-Request-Timestamp"]
    assert post(client, body, headers).status_code == 401
    assert container.ledger.counts().signals == 0


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("{not json", "not valid JSON"),
        ('{"eventId": 1}', "JSON array"),
        ("[" + ",".join(['{"x": 1}'] * 101) + "]", "at most 100 events"),
        ('[{"subscriptionType": "contact.creation"}]', "eventId"),
        ('[{"subscriptionType": "contact.propertyChange", "eventId": 1, "subscriptionId": 1, "portalId": 1,'
         ' "occurredAt": 1764150000000, "objectId": 5}]', "needs propertyName"),
    ],
)  # fmt: skip
def test_a_malformed_body_gets_a_400_saying_what_is_wrong(
    client: FlaskClient, container: Container, body: str, message: str
) -> None:
    response = post(client, body)
    assert response.status_code == 400
    assert message in response.json["message"]
    assert container.ledger.counts().signals == 0


def test_a_batch_with_one_malformed_event_stores_none_of_it(client: FlaskClient, container: Container) -> None:
    good = json.loads(fixture_body("contact.creation__from_ui"))
    bad = {**good[0], "eventId": 99, "subscriptionType": "contact.propertyChange"}
    assert post(client, json.dumps([*good, bad])).status_code == 400
    assert container.ledger.counts().signals == 0


def test_an_oversized_body_is_refused_before_it_is_read(container: Container) -> None:
    container.settings = container.settings.model_copy(update={"webhook_max_body_bytes": 2048})
    client = create_app(container=container).test_client()
    body = "[" + " " * 4096 + "]"
    assert post(client, body).status_code == 413
    assert container.ledger.counts().signals == 0


def test_without_a_configured_client_secret_every_request_is_refused(container: Container) -> None:
    container.settings = container.settings.model_copy(update={"hubspot_client_secret": None})
    client = create_app(container=container).test_client()
    assert post(client, fixture_body("contact.creation__from_ui")).status_code == 401


def test_an_unreachable_redis_still_acknowledges_what_the_ledger_stored(ledger_url: str) -> None:
    dead = connect_redis("redis://127.0.0.1:1/0")
    container = make_container(ledger_url, dead)
    client = create_app(container=container).test_client()
    started = time.monotonic()
    response = post(client, fixture_body("contact.creation__from_ui"))
    assert response.status_code == 204
    assert time.monotonic() - started < 2
    assert container.ledger.counts().pending_signals == 1
    container.ledger.engine.dispose()


def test_echoes_and_unknown_types_are_acknowledged_and_counted(client: FlaskClient, container: Container) -> None:
    events = EventFactory(app_id=4242)
    body = json.dumps(
        [
            events.property_change("contact", 7, "leadflow_score", "40", source="INTEGRATION", sourceId="4242"),
            events.event("ticket.creation", objectId=3),
        ]
    )
    assert post(client, body).status_code == 204
    assert container.ledger.counts().signals == 0
    counts = container.worklist.event_counts()
    assert counts["echo:contact.propertyChange"] == 1
    assert counts["ignored:ticket.creation"] == 1


def test_a_privacy_deletion_removes_what_the_ledger_held_about_the_contact(
    client: FlaskClient, container: Container
) -> None:
    post(client, fixture_body("contact.propertyChange__whitepaper_conversion"))
    assert post(client, fixture_body("contact.privacyDeletion__gdpr")).status_code == 204
    counts = container.ledger.counts()
    assert (counts.signals, counts.engagements) == (0, 0)
    assert container.worklist.dirty_count() == 0

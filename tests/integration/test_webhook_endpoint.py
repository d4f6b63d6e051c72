"""POST /webhooks/hubspot end to end over a real ledger (SQLite and PostgreSQL) and a real Redis."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import redis
from flask.testing import FlaskClient

from app import create_app
from app.bootstrap import Container, connect_redis
from app.ledger.records import Intake, LedgerCounts
from app.webhooks.quarantine import quarantined
from hubspot_twin.webhooks.handmade import EventFactory
from hubspot_twin.webhooks.signing import signed_headers
from tests.support.app import CLIENT_SECRET, make_container

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "hubspot"
URI = "http://localhost/webhooks/hubspot"
NOW = datetime(2026, 12, 1, tzinfo=UTC)


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
    body = fixture_body("contact.creation__from_ui", "contact.propertyChange__newsletter_click")
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
    body = fixture_body("contact.propertyChange__newsletter_click")
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
        ("[" * 10_000 + "]" * 10_000, "deeper than 16 levels"),
        ('[{"a": ' * 40 + "1" + "}]" * 40, "deeper than 16 levels"),
    ],
)  # fmt: skip
def test_a_malformed_body_gets_a_400_saying_what_is_wrong(
    client: FlaskClient, container: Container, body: str, message: str
) -> None:
    response = post(client, body)
    assert response.status_code == 400
    assert message in response.json["message"]
    assert container.ledger.counts().signals == 0


def test_a_deeply_nested_signed_body_is_a_400_with_no_error_logged(
    client: FlaskClient, container: Container, caplog: pytest.LogCaptureFixture
) -> None:
    response = post(client, "[" * 10_000 + "]" * 10_000)
    assert response.status_code == 400
    assert container.ledger.counts() == LedgerCounts(signals=0, pending_signals=0, engagements=0, contacts=0)
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR or record.exc_info]


def test_a_batch_with_malformed_events_stores_the_others_and_quarantines_those(
    client: FlaskClient, container: Container
) -> None:
    good = json.loads(fixture_body("contact.creation__from_ui"))
    untranslatable = {**good[0], "eventId": 99, "subscriptionType": "contact.propertyChange"}  # no propertyName
    misshapen = {**good[0], "eventId": "ninety-eight"}
    assert post(client, json.dumps([untranslatable, *good, misshapen, 7])).status_code == 204
    counts = container.ledger.counts()
    assert (counts.signals, counts.quarantined) == (1, 3)
    reasons = sorted(entry.reason for entry in container.ledger.quarantine.entries())
    assert reasons == [
        "contact.propertyChange: contact.propertyChange needs propertyName",
        "event 2: eventId: Input should be a valid integer, unable to parse string as an integer",
        "event 3: must be a JSON object, not a JSON number",
    ]
    assert {entry.portal_id for entry in container.ledger.quarantine.entries()} == {str(good[0]["portalId"]), None}
    assert container.worklist.event_counts()["quarantined:contact.propertyChange"] == 1
    assert post(client, json.dumps([misshapen, *good])).status_code == 204  # HubSpot's redelivery
    assert (container.ledger.counts().signals, container.ledger.counts().quarantined) == (1, 3)


def test_a_quarantined_event_is_replayed_once_acceptable_and_dropped_on_demand(
    client: FlaskClient, container: Container
) -> None:
    good = json.loads(fixture_body("contact.creation__from_ui"))[0]
    refused = {**good, "eventId": 5, "subscriptionType": "contact.propertyChange"}
    post(client, json.dumps([refused]))
    # An event an older version set aside, acceptable now (e.g. after a translation fix):
    container.ledger.signals.record_intake(Intake(quarantined=(quarantined(good, "was refused"),)), NOW)
    waiting = {entry.reason: entry.id for entry in container.ledger.quarantine.entries()}
    intake = container.webhook_intake()
    report = intake.replay(list(waiting.values()))
    assert report.replayed == (waiting["was refused"],)
    assert list(report.refused) == [waiting["contact.propertyChange: contact.propertyChange needs propertyName"]]
    counts = container.ledger.counts()
    assert (counts.signals, counts.quarantined) == (1, 1)
    assert container.worklist.dirty_count() == 1
    assert intake.replay([waiting["was refused"]]).replayed == (waiting["was refused"],)  # again: a duplicate
    assert container.ledger.counts().signals == 1
    assert container.ledger.quarantine.drop(list(waiting.values())) == 2
    assert container.ledger.quarantine.entries() == []


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


def test_a_privacy_deletion_erases_the_contacts_quarantined_events(client: FlaskClient, container: Container) -> None:
    deletion = json.loads(fixture_body("contact.privacyDeletion__gdpr"))[0]
    other = {**deletion, "objectId": deletion["objectId"] + 1}
    malformed = [{**event, "eventId": "x", "propertyValue": "jane@example.com"} for event in (deletion, other)]
    assert post(client, json.dumps(malformed)).status_code == 204
    assert container.ledger.counts().quarantined == 2
    assert post(client, json.dumps([deletion])).status_code == 204
    assert [entry.object_id for entry in container.ledger.quarantine.entries()] == [str(other["objectId"])]


def test_leadflow_quarantine_lists_replays_and_drops_and_status_counts_them(
    client: FlaskClient, container: Container, ledger_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from app.cli import main
    from tests.conftest import REDIS_URL

    good = json.loads(fixture_body("contact.creation__from_ui"))[0]
    post(client, json.dumps([{**good, "eventId": "x"}]))
    container.ledger.signals.record_intake(Intake(quarantined=(quarantined(good, "was refused"),)), NOW)
    for name, value in {"LEADFLOW_ENV": "development", "HUBSPOT_ACCESS_TOKEN": "pat-test", "DATABASE_URL": ledger_url,
                        "REDIS_URL": REDIS_URL}.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    ids = {entry.reason: entry.id for entry in container.ledger.quarantine.entries()}
    listed = CliRunner().invoke(main, ["quarantine"])
    assert listed.exit_code == 0, listed.output
    assert f"{ids['was refused']}  " in listed.output and "eventId: Input should be a valid integer" in listed.output
    assert "quarantined events  2" in CliRunner().invoke(main, ["status"]).output
    replayed = CliRunner().invoke(main, ["quarantine", "--replay", *map(str, ids.values())])
    assert "replayed 1 event(s); 1 still refused" in replayed.output, replayed.output
    assert container.ledger.counts().signals == 1
    dropped = CliRunner().invoke(main, ["quarantine", "--drop", *map(str, ids.values())])
    assert "dropped 2 quarantined event(s)" in dropped.output

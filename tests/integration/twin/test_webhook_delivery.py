"""The twin delivering webhooks like HubSpot: changes published into a feed, POSTed to a real local endpoint.

A `Receiver` (werkzeug on a free port) records every request and answers with a configurable status and delay;
the last tests point the dispatcher at Leadflow's own receiver and check what its ledger stored.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import redis
from hubspot import HubSpot
from hubspot.crm.contacts import SimplePublicObjectInput, SimplePublicObjectInputForCreate
from hubspot.utils.signature import Signature
from werkzeug.datastructures import EnvironHeaders
from werkzeug.serving import WSGIRequestHandler, make_server

from app import create_app
from hubspot_twin import Twin, TwinServer
from hubspot_twin.crm.changes import Change, ChangeFeed, integration
from hubspot_twin.webhooks.delivery import RetrySchedule
from hubspot_twin.webhooks.dispatch import DispatchOptions, WebhookDispatcher
from hubspot_twin.webhooks.subscriptions import Subscription, WebhookSettings
from tests.support.app import APP_ID, CLIENT_SECRET, make_container

AT = 1764150000000
FAST_RETRIES = RetrySchedule.compressed(total_s=0.2)
SUBSCRIPTIONS = (
    Subscription("contact.creation"),
    Subscription("contact.propertyChange", "jobtitle"),
    Subscription("contact.propertyChange", "recent_conversion_event_name"),
    Subscription("contact.propertyChange", "hs_email_last_click_date"),
    Subscription("contact.deletion"),
    Subscription("contact.privacyDeletion"),
    Subscription("contact.associationChange"),
    Subscription("company.associationChange"),
    Subscription("object.creation", object_type_id="0-47"),
)
Answerer = Callable[[int, list[dict[str, Any]]], tuple[int, float]]  # (request index, events) -> (status, delay)


@dataclass(frozen=True)
class Received:
    headers: dict[str, str]
    body: str
    events: list[dict[str, Any]]


class _Quiet(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return None


class Receiver:
    """A local webhook endpoint recording requests; `answer` picks each request's status and delay."""

    def __init__(self, answer: Answerer | None = None) -> None:
        self.answer: Answerer = answer or (lambda _index, _events: (204, 0.0))
        self.requests: list[Received] = []
        self.max_active = 0
        self._active = 0
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server = make_server("127.0.0.1", 0, self._app, threaded=True, request_handler=_Quiet)
        self.url = f"http://127.0.0.1:{self._server.server_port}/webhooks/hubspot"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02})

    def __enter__(self) -> Receiver:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stopping.set()
        self._server.shutdown()
        self._thread.join()
        deadline = time.monotonic() + 2
        while self._active and time.monotonic() < deadline:
            time.sleep(0.01)
        self._server.server_close()

    def events(self) -> list[dict[str, Any]]:
        return [event for request in self.requests for event in request.events]

    def _app(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0)).decode()
        with self._lock:
            index = len(self.requests)
            self.requests.append(Received(dict(EnvironHeaders(environ)), body, json.loads(body)))
            self._active += 1
            self.max_active = max(self.max_active, self._active)
        try:
            status, delay = self.answer(index, self.requests[index].events)
            self._stopping.wait(delay)
        finally:
            with self._lock:
                self._active -= 1
        start_response(f"{status} Twin", [("Content-Length", "0")])
        return [b""]


def settings(url: str, **overrides: Any) -> WebhookSettings:
    values: dict[str, Any] = {"app_id": int(APP_ID), "portal_id": 62515, "subscriptions": SUBSCRIPTIONS}
    return WebhookSettings(url, CLIENT_SECRET, **(values | overrides))


def contact_created(contact_id: int, **fields: Any) -> Change:
    return Change("created", "contacts", str(contact_id), AT, **fields)


def deliver(url: str, changes: Iterable[Change], *, concurrency: int = 10, **options: Any) -> WebhookDispatcher:
    """Publish `changes` into a feed, let a dispatcher deliver them to `url`, stop it and return it."""
    feed = ChangeFeed()
    dispatcher = WebhookDispatcher(
        feed, settings(url, max_concurrent_requests=concurrency), DispatchOptions(**({"retry": FAST_RETRIES} | options))
    ).start()
    try:
        for change in changes:
            feed.publish(change)
        assert dispatcher.wait_idle(timeout=8), dispatcher.stats()
    finally:
        dispatcher.stop(drain=False)
    return dispatcher


def fail_first(failures: int, status: int = 500, delay: float = 0.0) -> Answerer:
    def answer(_index: int, events: list[dict[str, Any]]) -> tuple[int, float]:
        return (status, delay) if events[0]["attemptNumber"] < failures else (204, 0.0)

    return answer


def test_events_arriving_together_are_batched_at_most_100_per_request() -> None:
    with Receiver() as receiver:
        deliver(receiver.url, [contact_created(1000 + n) for n in range(250)], linger_s=0.2)
    sizes = [len(request.events) for request in receiver.requests]
    assert max(sizes) == 100 and sum(sizes) == 250
    assert sorted(e["objectId"] for e in receiver.events()) == list(range(1000, 1250))


def test_no_more_requests_than_max_concurrent_requests_are_ever_in_flight() -> None:
    with Receiver(lambda _i, _e: (204, 0.05)) as receiver:
        dispatcher = deliver(receiver.url, [contact_created(n) for n in range(24)], concurrency=3, max_batch_size=1)
    assert receiver.max_active == 3 == dispatcher.stats().max_in_flight
    assert len(receiver.requests) == 24


def test_every_request_is_signed_v3_and_v1_as_the_official_sdk_checks() -> None:
    with Receiver() as receiver:
        deliver(receiver.url, [contact_created(1, properties={"jobtitle": "CTO"})])
    (request,) = receiver.requests
    headers = request.headers
    assert headers["X-Hubspot-Signature-Version"] == "v1"
    assert Signature.is_valid(
        signature=headers["X-Hubspot-Signature-V3"],
        client_secret=CLIENT_SECRET,
        request_body=request.body,
        http_uri=receiver.url,
        signature_version="v3",
        timestamp=headers["X-Hubspot-Request-Timestamp"],
    )
    assert Signature.is_valid(
        signature=headers["X-Hubspot-Signature"],
        client_secret=CLIENT_SECRET,
        request_body=request.body,
        signature_version="v1",
    )
    assert not Signature.is_valid(headers["X-Hubspot-Signature"], "other", request.body, signature_version="v1")


@pytest.mark.parametrize(
    "answer",
    [fail_first(2, 500), fail_first(2, 400), fail_first(2, 401), fail_first(2, 204, delay=0.3)],
    ids=["500", "400", "401", "slower-than-the-timeout"],
)
def test_a_failed_request_is_retried_with_attempt_number_increasing_and_a_fresh_signature(answer: Answerer) -> None:
    with Receiver(answer) as receiver:
        dispatcher = deliver(receiver.url, [contact_created(7)], request_timeout_s=0.1)
    assert [r.events[0]["attemptNumber"] for r in receiver.requests] == [0, 1, 2]
    assert len({r.headers["X-Hubspot-Signature-V3"] for r in receiver.requests}) == 3
    assert {r.events[0]["eventId"] for r in receiver.requests} == {1}
    log = dispatcher.log
    assert [(a.attempt_number, a.outcome) for a in log] == [(0, "retrying"), (1, "retrying"), (2, "delivered")]
    assert len({a.batch_id for a in log}) == 1


def test_a_refused_connection_is_retried_and_given_up_after_ten_attempts() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    dispatcher = deliver(f"http://127.0.0.1:{port}/webhooks/hubspot", [contact_created(7)])
    log = dispatcher.log
    assert [a.attempt_number for a in log] == list(range(10))
    assert all(a.status is None and a.error == "connection refused" for a in log)
    assert [a.outcome for a in log][-2:] == ["retrying", "gave-up"]
    stats = dispatcher.stats()
    assert (stats.attempts, stats.failed_attempts, stats.retries, stats.given_up) == (10, 10, 9, 1)


def test_an_endpoint_that_always_fails_gets_ten_attempts_on_the_compressed_schedule() -> None:
    started = time.monotonic()
    with Receiver(lambda _i, _e: (503, 0.0)) as receiver:
        deliver(receiver.url, [contact_created(7)], retry=RetrySchedule.compressed(total_s=0.5))
    elapsed = time.monotonic() - started
    assert [r.events[0]["attemptNumber"] for r in receiver.requests] == list(range(10))
    assert 0.5 * 0.75 <= elapsed < 3


def test_stopping_with_drain_delivers_what_is_queued_without_waiting_for_the_linger() -> None:
    feed = ChangeFeed()
    with Receiver() as receiver:
        dispatcher = WebhookDispatcher(feed, settings(receiver.url), DispatchOptions(linger_s=30)).start()
        for n in range(3):
            feed.publish(contact_created(n))
        started = time.monotonic()
        dispatcher.stop(drain=True)
        assert time.monotonic() - started < 2
    assert [len(request.events) for request in receiver.requests] == [3]
    assert dispatcher.stats().delivered_events == 3


def test_some_batches_are_delivered_twice_when_asked() -> None:
    with Receiver() as receiver:
        changes = [contact_created(n) for n in range(30)]
        dispatcher = deliver(receiver.url, changes, max_batch_size=3, duplicate_share=1.0)
    ids = [event["eventId"] for event in receiver.events()]
    assert sorted(ids) == sorted(list(range(1, 31)) * 2)
    assert sum(a.duplicate for a in dispatcher.log) == 10 == dispatcher.stats().duplicates
    assert sorted(dispatcher.delivery_times()) == list(range(1, 31))


def test_events_are_shuffled_across_batches_and_batches_delivered_out_of_order_when_asked() -> None:
    with Receiver() as receiver:
        deliver(receiver.url, [contact_created(n) for n in range(60)], max_batch_size=5, reorder=True, seed=7)
    ids = [event["eventId"] for event in receiver.events()]
    assert sorted(ids) == list(range(1, 61)) and ids != sorted(ids)
    first_batch = [event["eventId"] for event in receiver.requests[0].events]
    assert first_batch != list(range(first_batch[0], first_batch[0] + 5))


def test_changes_map_to_hubspots_events_on_the_wire() -> None:
    changes = [
        Change("updated", "contacts", "7", AT, integration(APP_ID), properties={"jobtitle": "CTO"}),
        Change("privacy_deleted", "contacts", "8", AT),
        Change("associated", "contacts", "7", AT, to_object_type="companies", to_object_id="501",
               association_type_ids=(279,)),
        Change("created", "meetings", "900", AT),
    ]  # fmt: skip
    with Receiver() as receiver:
        deliver(receiver.url, changes)
    events = sorted(receiver.events(), key=lambda event: event["eventId"])
    echo, privacy, deletion, *associations, meeting = events
    assert (echo["changeSource"], echo["sourceId"], echo["appId"]) == ("INTEGRATION", APP_ID, int(APP_ID))
    assert privacy["subscriptionType"] == "contact.privacyDeletion"
    assert deletion["subscriptionType"] == "contact.deletion"
    assert [(a["associationType"], a["fromObjectId"], a["toObjectId"]) for a in associations] == [
        ("CONTACT_TO_COMPANY", 7, 501),
        ("COMPANY_TO_CONTACT", 501, 7),
    ]
    assert (meeting["subscriptionType"], meeting["objectTypeId"]) == ("object.creation", "0-47")


def test_the_twins_own_store_drives_the_webhooks_of_writes_made_through_the_sdk() -> None:
    twin = Twin(access_tokens={"sdk-token"}, apps={"sdk-token": APP_ID})
    with Receiver() as receiver, twin.serve() as server:
        dispatcher = WebhookDispatcher(twin.feed, settings(receiver.url), DispatchOptions(retry=FAST_RETRIES)).start()
        try:
            client = HubSpot(access_token="sdk-token", host=server.url)
            created = client.crm.contacts.basic_api.create(
                SimplePublicObjectInputForCreate(properties={"email": "ada@example.com", "jobtitle": "CTO"})
            )
            client.crm.contacts.basic_api.update(created.id, SimplePublicObjectInput(properties={"jobtitle": ""}))
            company_id = twin.create_object("companies", {"name": "Acme"})
            twin.associate("contacts", created.id, "companies", company_id, primary=True)
            assert dispatcher.wait_idle(timeout=5)
        finally:
            dispatcher.stop()
    events = sorted(receiver.events(), key=lambda event: event["eventId"])
    contact_id = int(created.id)
    summary = [(e["subscriptionType"], e.get("propertyValue"), e["changeSource"], e.get("sourceId")) for e in events]
    assert summary[:3] == [
        ("contact.creation", None, "INTEGRATION", APP_ID),
        ("contact.propertyChange", "CTO", "INTEGRATION", APP_ID),
        ("contact.propertyChange", "", "INTEGRATION", APP_ID),
    ]
    assert all(e["objectId"] == contact_id for e in events[:3])
    links = [(e["associationType"], e["isPrimaryAssociation"], e["changeSource"]) for e in events[3:]]
    assert sorted(links) == [
        ("COMPANY_TO_CONTACT", False, "CRM_UI"),
        ("COMPANY_TO_CONTACT", True, "CRM_UI"),
        ("CONTACT_TO_COMPANY", False, "CRM_UI"),
        ("CONTACT_TO_COMPANY", True, "CRM_UI"),
    ]


@pytest.fixture
def leadflow(tmp_path: Path, redis_client: redis.Redis) -> Iterator[tuple[str, Any]]:
    """Serve Leadflow's web app (SQLite ledger, the tests' Redis db); yield its webhook URL and container."""
    container = make_container(f"sqlite:///{tmp_path / 'ledger.db'}", redis_client)
    server = TwinServer(create_app(container=container)).start()
    try:
        yield f"{server.url}/webhooks/hubspot", container
    finally:
        server.stop()
        container.ledger.engine.dispose()


def test_leadflows_receiver_accepts_the_deliveries_stores_the_signals_and_drops_the_echoes(
    leadflow: tuple[str, Any],
) -> None:
    url, container = leadflow
    changes = [
        contact_created(101),
        Change("updated", "contacts", "101", AT + 1, integration(APP_ID), properties={"jobtitle": "CTO"}),
        Change("updated", "contacts", "101", AT + 2, integration("999"), properties={"jobtitle": "CEO"}),
        Change("updated", "contacts", "101", AT + 3, properties={"hs_email_last_click_date": str(AT + 3)}),
        Change("associated", "contacts", "101", AT + 4, to_object_type="companies", to_object_id="501"),
    ]
    dispatcher = deliver(url, changes, duplicate_share=1.0, seed=3)
    assert dispatcher.log and all(attempt.status == 204 for attempt in dispatcher.log)
    counts = container.ledger.counts()
    assert (counts.signals, counts.engagements) == (5, 1)  # creation, CEO, click, both association sides
    outcomes = container.worklist.event_counts()
    assert outcomes["echo:contact.propertyChange"] == 2  # once per delivery of the duplicated batch
    assert outcomes["duplicate"] == 5

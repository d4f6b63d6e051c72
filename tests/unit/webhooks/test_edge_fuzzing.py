"""Fuzzing the webhook edge: whatever arrives, no 5xx, and nothing stored unless HubSpot signed a valid batch.

`POST /webhooks/hubspot` of `create_app(container=...)` over a real ledger (a SQLite file) and the real Redis
database 11. Hypothesis sends arbitrary bytes, JSON of any shape and near-valid HubSpot events (captured payloads
with fields changed, removed or added), with arbitrary headers: signatures missing, wrong, signed with another
secret or over another body, non-ASCII, timestamps missing, stale, huge or not numbers, JSON nested thousands of
levels deep. The ledger (signals, engagements, contact state, quarantine) and the worklist (dirty contacts, queued
jobs) are counted before and after each request: only a correctly signed JSON array of events may change them;
its well-formed events are stored once, its malformed ones quarantined with a reason.

The fixtures are built once per test, not once per example: each example compares its own before and after,
so what earlier examples stored does not matter (hence the function-scoped-fixture health check is suppressed).
"""

from __future__ import annotations

import itertools
import json
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import redis
from flask.testing import FlaskClient
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from app import create_app
from app.bootstrap import Container
from app.webhooks.quarantine import MAX_EVENT_CHARS
from hubspot_twin.webhooks.signing import sign_v3
from tests.conftest import migrate_url, postgres_schema
from tests.support.app import CLIENT_SECRET, make_container

pytestmark = pytest.mark.redis

PATH = "/webhooks/hubspot"
URI = f"http://localhost{PATH}"
MAX_BODY = 4096
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "hubspot"
CAPTURED = [event for path in sorted(FIXTURES.glob("*.json")) for event in json.loads(path.read_text())]
FIELDS = sorted({name for event in CAPTURED for name in event})
REQUIRED = ("eventId", "subscriptionId", "portalId", "occurredAt", "subscriptionType")
FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@dataclass
class Edge:
    """The web app on a real ledger and Redis, and what it has stored so far."""

    container: Container
    client: FlaskClient

    def stored(self) -> tuple[int, ...]:
        counts = self.container.ledger.counts()
        worklist = self.container.worklist
        dirty, queued = worklist.dirty_count(), self.container.queue.count
        return counts.signals, counts.engagements, counts.contacts, dirty, queued, counts.quarantined

    def quarantined_events(self) -> set[str]:
        """The quarantined events as stored, and as the quarantine tells them apart (one row per event, whichever
        delivery or key order of it came first)."""
        stored = {entry.event for entry in self.container.ledger.quarantine.entries(limit=100_000)}
        return stored | {without_attempt(event) for event in stored}

    def post(self, body: bytes, headers: dict[str, str], method: str = "POST") -> int:
        """Send the request; return the status (an answer never echoes the secret or a stack trace)."""
        # A chunked body has no Content-Length; servers mark its stream as terminated (gunicorn does).
        chunked = {"wsgi.input_terminated": True} if "Transfer-Encoding" in headers else {}
        response = self.client.open(PATH, method=method, data=body, headers=headers, environ_overrides=chunked)
        status, text = response.status_code, response.get_data(as_text=True)
        response.close()
        assert CLIENT_SECRET not in text and "Traceback" not in text, text
        return status


@contextmanager
def edge_on(url: str, client: redis.Redis) -> Iterator[Edge]:
    container = make_container(url, client, settings={"webhook_max_body_bytes": MAX_BODY})
    yield Edge(container, create_app(container=container).test_client())
    container.ledger.engine.dispose()


@pytest.fixture
def edge(tmp_path: Path, redis_client: redis.Redis) -> Iterator[Edge]:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    migrate_url(url)
    with edge_on(url, redis_client) as ready:
        yield ready


@pytest.fixture
def postgres_edge(redis_client: redis.Redis) -> Iterator[Edge]:
    with postgres_schema() as url, edge_on(url, redis_client) as ready:
        yield ready


def now_ms() -> str:
    return str(int(time.time() * 1000))


def signed(body: str, secret: str = CLIENT_SECRET, uri: str = URI, timestamp: str | None = None) -> dict[str, str]:
    stamp = timestamp if timestamp is not None else now_ms()
    return {
        "Content-Type": "application/json",
        "X-HubSpot-Signature-v3": sign_v3(secret, "POST", uri, body, stamp),
        "X-HubSpot-Request-Timestamp": stamp,
    }


# Strategies ------------------------------------------------------------------------------------------------------

header_text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n"), max_size=80)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=12,
)
odd_numbers = st.sampled_from([0, -1, 2**31, 2**63, 2**64, 10**30, 253402300799999, 253402300800000, 1.5, 1e300])


@st.composite
def near_valid_events(draw: st.DrawFn) -> dict[str, Any]:
    """A captured HubSpot event with some fields changed, removed or added."""
    event = dict(draw(st.sampled_from(CAPTURED)))
    for name in draw(st.sets(st.sampled_from(sorted(event)), max_size=2)):
        del event[name]
    changes = draw(st.dictionaries(st.sampled_from([*FIELDS, "unexpected"]), json_values | odd_numbers, max_size=3))
    return {**event, **changes}


json_bodies = st.one_of(
    json_values.map(json.dumps),
    st.lists(near_valid_events(), max_size=6).map(json.dumps),
    st.lists(st.sampled_from(CAPTURED), min_size=101, max_size=103).map(json.dumps),  # more than HubSpot sends
    near_valid_events().map(json.dumps),  # one event, not in an array
)
any_bodies = st.one_of(st.binary(max_size=600), st.binary(min_size=MAX_BODY - 8, max_size=MAX_BODY + 64),
                       st.text(max_size=300).map(str.encode), json_bodies.map(str.encode))  # fmt: skip


@st.composite
def unsigned_headers(draw: st.DrawFn, body: bytes) -> dict[str, str]:
    """Headers that are not HubSpot's signature of this request: missing, wrong, forged, stale, garbage."""
    text = body.decode("utf-8", errors="replace")
    fresh = now_ms()
    forged = draw(
        st.sampled_from(["none", "garbage", "other-secret", "other-body", "other-uri", "stale", "future", "odd-stamp"])
    )
    headers: dict[str, str] = {}
    if forged == "garbage":
        headers["X-HubSpot-Signature-v3"] = draw(header_text)
        headers["X-HubSpot-Request-Timestamp"] = draw(header_text | st.integers(-(10**20), 10**20).map(str))
    elif forged == "other-secret":
        headers = signed(text, secret=draw(st.text(min_size=1, max_size=40).filter(lambda s: s != CLIENT_SECRET)))
    elif forged == "other-body":
        headers = signed(text + draw(st.text(min_size=1, max_size=5)))
    elif forged == "other-uri":
        headers = signed(text, uri=URI + draw(st.sampled_from(["/", "?x=1", "s", "%2F"])))
    elif forged in ("stale", "future"):
        skew = draw(st.integers(301_000, 10**15)) * (-1 if forged == "stale" else 1)
        headers = signed(text, timestamp=str(max(0, int(fresh) + skew)))
    elif forged == "odd-stamp":  # a signature made over a timestamp the header does not carry
        headers = signed(text)
        headers["X-HubSpot-Request-Timestamp"] = draw(
            st.sampled_from(["", " " + fresh, fresh + "0", "1" * 40, "-" + fresh, "٣" * 13, f"{fresh}.0"])
        )
    extra = draw(st.dictionaries(st.from_regex(r"X-[A-Za-z][A-Za-z-]{0,20}", fullmatch=True), header_text, max_size=3))
    return {**extra, **headers}


valid_events = st.lists(
    st.fixed_dictionaries(
        {
            "eventId": st.integers(1, 10**12),
            "subscriptionId": st.integers(1, 10**6),
            "portalId": st.just(62515),
            "occurredAt": st.integers(1_500_000_000_000, 1_900_000_000_000),
            "subscriptionType": st.just("contact.propertyChange"),
            "objectId": st.integers(1, 10**9),
            "propertyName": st.sampled_from(["recent_conversion_event_name", "jobtitle", "country"]),
            "propertyValue": st.text(max_size=30),
            "changeSource": st.sampled_from(["FORM", "CRM_UI", "IMPORT"]),
        }
    ),
    min_size=1,
    max_size=10,
)


FRESH_EVENT_IDS = itertools.count(10**13)  # ids no earlier example used: each good event is new to the ledger


def event_array(body: bytes) -> list[Any] | None:
    """The body's elements, when it is what the edge must accept as a batch: a JSON array of at most 100 elements,
    nested at most 16 levels (HubSpot's events nest three); None otherwise."""
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        return None
    if not isinstance(document, list) or len(document) > 100 or depth(document) > 16:
        return None
    return document


def depth(value: Any) -> int:
    children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else None
    return 0 if children is None else 1 + max(map(depth, children), default=0)


def well_formed(event: Any) -> bool:
    """An independent necessary condition for a valid event: an object with HubSpot's common fields present and a
    non-empty string as its subscription type."""
    return (
        isinstance(event, dict)
        and all(event.get(name) is not None for name in REQUIRED)
        and isinstance(event["subscriptionType"], str)
        and bool(event["subscriptionType"])
    )


def as_quarantined(event: Any) -> str:
    """The event as the quarantine tells events apart: without `attemptNumber` (HubSpot's deliveries differ only
    there) and whatever the order of its keys."""
    if isinstance(event, dict):
        event = {key: value for key, value in event.items() if key != "attemptNumber"}
    return json.dumps(event, ensure_ascii=False, sort_keys=True)[:MAX_EVENT_CHARS]


def without_attempt(stored: str) -> str:
    try:
        event = json.loads(stored)
    except ValueError:  # cut at the quarantine's size limit
        return stored
    return as_quarantined(event)


deep_bodies = st.builds(  # up to 2,000 levels: past the JSON decoder's recursion limit, within MAX_BODY
    lambda levels, shape, inside: shape[0] * levels + inside + shape[1] * levels,
    st.integers(17, 2_000),
    st.sampled_from([("[", "]"), ('[{"a":', "}]"), ('[{"x":[', "]}]")]),
    st.sampled_from(["", "1", "null"]),
)
bad_events = st.one_of(
    near_valid_events().filter(lambda event: not well_formed(event)),
    valid_events.map(lambda events: {**events[0], "eventId": "not a number"}),
    valid_events.map(lambda events: {k: v for k, v in events[0].items() if k != "objectId"}),  # untranslatable
    json_values.filter(lambda value: not isinstance(value, dict)),
)


# Properties ------------------------------------------------------------------------------------------------------


@FUZZ
@given(data=st.data())
def test_requests_without_hubspots_signature_never_get_a_5xx_and_store_nothing(edge: Edge, data: st.DataObject) -> None:
    body = data.draw(any_bodies, label="body")
    headers = data.draw(unsigned_headers(body), label="headers")
    method = data.draw(st.sampled_from(["POST", "POST", "POST", "PUT", "GET"]), label="method")
    before = edge.stored()
    status = edge.post(body, headers, method)
    assert 400 <= status < 500, status
    assert edge.stored() == before


@FUZZ
@given(body=st.one_of(json_bodies, st.text(max_size=300)))
def test_correctly_signed_bodies_are_stored_only_when_they_are_an_event_array(edge: Edge, body: str) -> None:
    raw = body.encode()
    before = edge.stored()
    status = edge.post(raw, signed(body))
    elements = event_array(raw)
    if len(raw) > MAX_BODY:
        assert status == 413
    elif elements is None:
        assert status == 400, f"{status} for a body that is no array of events"
    else:
        assert status == 204, f"{status} for an array of events"
    if status != 204:
        assert edge.stored() == before
        return
    quarantined = edge.quarantined_events()
    forgets = any(
        isinstance(item, dict) and item.get("subscriptionType") == "contact.privacyDeletion" for item in elements
    )
    kept = [item for item in elements if not (forgets and isinstance(item, dict))]  # erased with its contact
    assert all(as_quarantined(item) in quarantined for item in kept if not well_formed(item))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=deep_bodies)
def test_deeply_nested_signed_bodies_are_a_400_storing_nothing_and_logging_no_error(
    edge: Edge, body: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.clear()
    before = edge.stored()
    assert edge.post(body.encode(), signed(body)) in (400, 413)
    assert edge.stored() == before
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR or record.exc_info]


@FUZZ
@given(good=valid_events, bad=st.lists(bad_events, min_size=1, max_size=5), order=st.randoms())
def test_a_batch_of_good_and_bad_events_stores_the_good_once_and_quarantines_the_bad(
    edge: Edge, good: list[dict[str, Any]], bad: list[Any], order: Any
) -> None:
    good = [{**event, "eventId": next(FRESH_EVENT_IDS)} for event in good]
    batch = [*good, *bad]
    order.shuffle(batch)
    body = json.dumps(batch)
    assume(len(body.encode()) <= MAX_BODY)
    before = edge.stored()
    assert edge.post(body.encode(), signed(body)) == 204
    after = edge.stored()
    assert after[0] - before[0] == len(good)  # every good event stored, none lost for a neighbour's sake
    quarantined = edge.quarantined_events()
    assert all(as_quarantined(item) in quarantined for item in bad)
    reasons = [entry.reason for entry in edge.container.ledger.quarantine.entries(limit=len(bad))]
    assert all(reasons)
    assert edge.post(body.encode(), signed(body)) == 204  # HubSpot's redelivery: nothing new, nothing twice
    assert edge.stored()[:3] == after[:3] and edge.stored()[5] == after[5]


@FUZZ
@given(events=valid_events)
def test_correctly_signed_valid_events_are_stored_once_however_often_they_arrive(
    edge: Edge, events: list[dict[str, Any]]
) -> None:
    body = json.dumps(events)
    before = edge.stored()
    assert edge.post(body.encode(), signed(body)) == 204
    after = edge.stored()
    assert after[0] > before[0] or after == before  # new signals, or every event was a duplicate of an earlier one
    assert edge.post(body.encode(), signed(body)) == 204  # HubSpot's retry of the same batch
    assert edge.stored()[:3] == after[:3]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(size=st.integers(MAX_BODY + 1, 4 * MAX_BODY), chunked=st.booleans())
def test_bodies_over_the_limit_are_refused_and_store_nothing_signed_or_not(
    edge: Edge, size: int, chunked: bool
) -> None:
    body = json.dumps([CAPTURED[0]] * 200)[:size].ljust(size)
    headers = signed(body)
    if chunked:  # no Content-Length to refuse it by
        headers["Transfer-Encoding"] = "chunked"
    before = edge.stored()
    assert 400 <= edge.post(body.encode(), headers) < 500
    assert edge.stored() == before


def test_a_body_over_the_limit_with_a_content_length_is_refused_with_413(edge: Edge) -> None:
    body = json.dumps([CAPTURED[0]] * 100).ljust(MAX_BODY + 1)
    assert edge.post(body.encode(), signed(body)) == 413


def test_a_chunked_body_over_the_limit_is_refused_with_413(edge: Edge) -> None:
    body = json.dumps([CAPTURED[0]] * 100).ljust(MAX_BODY + 1)
    headers = {**signed(body), "Transfer-Encoding": "chunked"}
    assert edge.post(body.encode(), headers) == 413


@pytest.mark.postgres
def test_a_signed_event_with_an_id_too_long_for_the_ledger_is_quarantined_not_answered_503(
    postgres_edge: Edge,
) -> None:
    event = {**CAPTURED[0], "subscriptionType": "contact.creation", "objectId": 10**32}
    body = json.dumps([event, {**CAPTURED[0], "subscriptionType": "contact.creation", "eventId": 7, "objectId": 101}])
    before = postgres_edge.stored()
    assert postgres_edge.post(body.encode(), signed(body)) == 204
    after = postgres_edge.stored()
    assert (after[0] - before[0], after[5] - before[5]) == (1, 1)
    (entry,) = [
        e
        for e in postgres_edge.container.ledger.quarantine.entries()
        if without_attempt(e.event) == as_quarantined(event)
    ]
    assert entry.object_id is None and "objectId" in entry.reason

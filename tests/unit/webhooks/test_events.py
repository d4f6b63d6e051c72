"""Parsing webhook bodies: a JSON array of at most 100 well-formed events, or a 400 saying what is wrong."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.webhooks.events import EventsInvalid, parse_batch, parse_events

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "hubspot"


@pytest.mark.parametrize("fixture", sorted(FIXTURES.glob("*.json")), ids=lambda p: p.stem)
def test_every_captured_hubspot_payload_parses(fixture: Path) -> None:
    events = parse_events(fixture.read_bytes())
    expected = json.loads(fixture.read_text())
    assert [event.subscriptionType for event in events] == [item["subscriptionType"] for item in expected]
    assert events[0].eventId == expected[0]["eventId"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{not json", "not valid JSON"),
        (b'{"eventId": 1}', "must be a JSON array of events, not a JSON object"),
        (b'"events"', "not a JSON string"),
        (b"[1]", "event 0: must be a JSON object, not a JSON number"),
        (b'[{"subscriptionType": "contact.creation"}]', "event 0: eventId: Field required"),
        (
            b'[{"subscriptionType": "", "eventId": 1, "subscriptionId": 1, "portalId": 1, "occurredAt": 1}]',
            "subscriptionType",
        ),
        (
            b'[{"subscriptionType": "x", "eventId": 1, "subscriptionId": 1, "portalId": 1, "occurredAt": -5}]',
            "occurredAt",
        ),
        (
            b'[{"subscriptionType": "x", "eventId": "one", "subscriptionId": 1, "portalId": 1, "occurredAt": 5}]',
            "eventId",
        ),
        (  # found by the edge fuzzing: a number is no subscription type, nor 0 a boolean
            b'[{"subscriptionType": 0, "eventId": 1, "subscriptionId": 1, "portalId": 1, "occurredAt": 5}]',
            "subscriptionType: Input should be a valid string",
        ),
        (
            b'[{"subscriptionType": "contact.associationChange", "eventId": 1, "subscriptionId": 1, "portalId": 1,'
            b' "occurredAt": 5, "associationRemoved": 0}]',
            "associationRemoved: Input should be a valid boolean",
        ),
    ],
)
def test_a_malformed_body_is_refused_with_what_is_wrong(body: bytes, message: str) -> None:
    with pytest.raises(EventsInvalid, match=message):
        parse_events(body)


def test_more_than_a_hundred_events_are_refused() -> None:
    event = json.loads((FIXTURES / "contact.creation__from_ui.json").read_text())[0]
    with pytest.raises(EventsInvalid, match="at most 100 events per request; this one has 101"):
        parse_events(json.dumps([event] * 101).encode())
    assert len(parse_events(json.dumps([event] * 100).encode())) == 100


def test_an_empty_array_is_a_valid_empty_batch() -> None:
    assert parse_events(b"[]") == []


def test_unknown_fields_are_kept_for_the_ledger() -> None:
    event = json.loads((FIXTURES / "contact.merge__two_contacts.json").read_text())
    parsed = parse_events(json.dumps(event).encode())[0]
    assert parsed.model_dump()["numberOfPropertiesMoved"] == 12


@pytest.mark.parametrize(
    "body",
    [b"[" * 10_000 + b"]" * 10_000, b"[" * 17 + b"]" * 17, b'[{"a": ' * 16 + b"1" + b"}]" * 16],
)
def test_a_body_nested_deeper_than_any_event_is_refused_not_crashed_on(body: bytes) -> None:
    with pytest.raises(EventsInvalid, match="deeper than 16 levels"):
        parse_batch(body)


def test_a_body_nested_as_deep_as_allowed_is_still_an_array() -> None:
    assert [rejected.index for rejected in parse_batch(b"[" * 16 + b"]" * 16).rejected] == [0]


def test_a_malformed_event_is_set_aside_with_its_reason_and_its_neighbours_kept() -> None:
    event = json.loads((FIXTURES / "contact.creation__from_ui.json").read_text())[0]
    batch = parse_batch(json.dumps([event, {**event, "portalId": "x"}, "text", event]).encode())
    assert len(batch.events) == 2
    assert [(r.index, r.reason.split(":")[0]) for r in batch.rejected] == [
        (1, "portalId"),
        (2, "must be a JSON object, not a JSON string"),
    ]
    assert batch.rejected[1].item == "text"

"""Parsing a webhook body: a JSON array of at most 100 HubSpot events, each checked against its shape.

A body that is not such an array (not JSON, nested deeper than `MAX_DEPTH`, not an array, over `MAX_EVENTS`) is
refused whole; inside an array, an event of the wrong shape is set aside with its reason, its neighbours kept.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

MAX_EVENTS = 100  # HubSpot sends at most 100 events per request
MAX_OCCURRED_AT = 253402300799999  # 9999-12-31T23:59:59.999Z in epoch milliseconds
MAX_DEPTH = 16  # HubSpot's events nest three levels (array, event, mergedObjectIds); JSON deeper is no batch
MAX_ID = 2**63 - 1  # HubSpot's ids are 64-bit; the ledger keeps them in 32 characters
ObjectId = Annotated[int, Field(ge=0, le=MAX_ID)]


class EventsInvalid(Exception):
    """The body is not a list of HubSpot events; the message says what is wrong (sent back with a 400)."""


@dataclass(frozen=True)
class RejectedEvent:
    """An element of the batch that is no well-formed event: its position, its JSON value and what is wrong."""

    index: int
    item: Any
    reason: str


@dataclass(frozen=True)
class ParsedBatch:
    """The well-formed events (with `sources`, each one's JSON as sent) and the rejected elements of a batch."""

    events: list[HubSpotEvent]
    rejected: list[RejectedEvent]
    sources: list[Any]


class HubSpotEvent(BaseModel):
    """One webhook event as HubSpot sends it; fields other than the common ones depend on the type."""

    model_config = ConfigDict(frozen=True, extra="allow", coerce_numbers_to_str=True)

    subscriptionType: str = Field(min_length=1, max_length=128, strict=True)  # noqa: N815 (HubSpot's field names)
    eventId: int  # noqa: N815
    subscriptionId: int  # noqa: N815
    portalId: int  # noqa: N815
    occurredAt: int = Field(ge=0, le=MAX_OCCURRED_AT)  # noqa: N815
    appId: int | None = None  # noqa: N815
    attemptNumber: int | None = None  # noqa: N815
    objectId: ObjectId | None = None  # noqa: N815
    objectTypeId: str | None = None  # noqa: N815
    changeSource: str | None = None  # noqa: N815
    sourceId: str | None = None  # noqa: N815
    changeFlag: str | None = None  # noqa: N815
    propertyName: str | None = Field(default=None, max_length=256)  # noqa: N815
    propertyValue: str | None = None  # noqa: N815
    primaryObjectId: ObjectId | None = None  # noqa: N815
    mergedObjectIds: list[ObjectId] = Field(default_factory=list, max_length=100)  # noqa: N815
    newObjectId: ObjectId | None = None  # noqa: N815
    associationType: str | None = None  # noqa: N815
    fromObjectId: ObjectId | None = None  # noqa: N815
    toObjectId: ObjectId | None = None  # noqa: N815
    associationRemoved: bool | None = Field(default=None, strict=True)  # noqa: N815
    isPrimaryAssociation: bool | None = Field(default=None, strict=True)  # noqa: N815


def parse_batch(body: bytes) -> ParsedBatch:
    """Parse a webhook body into its well-formed events and its rejected elements, or raise `EventsInvalid`
    when the body as a whole is no array of events."""
    document = _load(body)
    if not isinstance(document, list):
        raise EventsInvalid(f"the body must be a JSON array of events, not a JSON {_kind(document)}")
    if len(document) > MAX_EVENTS:
        raise EventsInvalid(f"HubSpot sends at most {MAX_EVENTS} events per request; this one has {len(document)}")
    batch = ParsedBatch([], [], [])
    for index, item in enumerate(document):
        try:
            batch.events.append(parse_event(item))
        except EventsInvalid as exc:
            batch.rejected.append(RejectedEvent(index, item, str(exc)))
            continue
        batch.sources.append(item)
    return batch


def parse_events(body: bytes) -> list[HubSpotEvent]:
    """Parse a webhook body whose every event must be well-formed, or raise `EventsInvalid` saying what is wrong."""
    batch = parse_batch(body)
    if batch.rejected:
        first = batch.rejected[0]
        raise EventsInvalid(f"event {first.index}: {first.reason}")
    return batch.events


def parse_event(item: Any) -> HubSpotEvent:
    """Check one decoded JSON value against an event's shape, or raise `EventsInvalid` saying what is wrong."""
    if not isinstance(item, dict):
        raise EventsInvalid(f"must be a JSON object, not a JSON {_kind(item)}")
    try:
        return HubSpotEvent.model_validate(item)
    except ValidationError as exc:
        raise EventsInvalid("; ".join(_describe(error) for error in exc.errors())) from None


def _load(body: bytes) -> Any:
    try:
        document: Any = json.loads(body)
    except RecursionError:
        raise EventsInvalid(f"the body nests JSON deeper than {MAX_DEPTH} levels") from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise EventsInvalid(f"the body is not valid JSON: {exc}") from None
    if _deeper_than(document, MAX_DEPTH):
        raise EventsInvalid(f"the body nests JSON deeper than {MAX_DEPTH} levels")
    return document


def _deeper_than(document: Any, limit: int) -> bool:
    """Return whether arrays and objects nest more than `limit` levels (walked without recursion)."""
    pending: list[tuple[Any, int]] = [(document, 1)]
    while pending:
        value, depth = pending.pop()
        children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else None
        if children is None:
            continue
        if depth > limit:
            return True
        pending.extend((child, depth + 1) for child in children)
    return False


def _describe(error: Any) -> str:
    location = ".".join(str(part) for part in error["loc"])
    return f"{location}: {error['msg']}" if location else str(error["msg"])


def _kind(value: Any) -> str:
    names = {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}
    return names.get(type(value), "number")

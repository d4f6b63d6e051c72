"""Parsing a webhook body: a JSON array of at most 100 HubSpot events, each checked against its shape."""

from __future__ import annotations

import json
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

MAX_EVENTS = 100  # HubSpot sends at most 100 events per request
MAX_OCCURRED_AT = 253402300799999  # 9999-12-31T23:59:59.999Z in epoch milliseconds
MAX_ID = 2**63 - 1  # HubSpot's ids are 64-bit; the ledger keeps them in 32 characters
ObjectId = Annotated[int, Field(ge=0, le=MAX_ID)]


class EventsInvalid(Exception):
    """The body is not a list of HubSpot events; the message says what is wrong (sent back with a 400)."""


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


def parse_events(body: bytes) -> list[HubSpotEvent]:
    """Parse a webhook body, or raise `EventsInvalid` saying what is wrong with it."""
    try:
        document: Any = json.loads(body)
    except (UnicodeDecodeError, ValueError) as exc:
        raise EventsInvalid(f"the body is not valid JSON: {exc}") from None
    if not isinstance(document, list):
        raise EventsInvalid(f"the body must be a JSON array of events, not a JSON {_kind(document)}")
    if len(document) > MAX_EVENTS:
        raise EventsInvalid(f"HubSpot sends at most {MAX_EVENTS} events per request; this one has {len(document)}")
    return [_parse_event(index, item) for index, item in enumerate(document)]


def _parse_event(index: int, item: Any) -> HubSpotEvent:
    if not isinstance(item, dict):
        raise EventsInvalid(f"event {index}: must be a JSON object, not a JSON {_kind(item)}")
    try:
        return HubSpotEvent.model_validate(item)
    except ValidationError as exc:
        problems = "; ".join(_describe(error) for error in exc.errors())
        raise EventsInvalid(f"event {index}: {problems}") from None


def _describe(error: Any) -> str:
    location = ".".join(str(part) for part in error["loc"])
    return f"{location}: {error['msg']}" if location else str(error["msg"])


def _kind(value: Any) -> str:
    names = {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}
    return names.get(type(value), "number")

"""Webhooks made by hand: `EventFactory` builds events shaped like HubSpot's, `deliver` POSTs one signed batch.

Used by the benchmarks and the tests to play HubSpot without the twin's dispatcher.
"""

from __future__ import annotations

import itertools
import json
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from hubspot_twin.webhooks.signing import signed_headers


@dataclass
class EventFactory:
    """Builds webhook events of one portal and app, with HubSpot's fields and increasing event ids."""

    portal_id: int = 62515
    app_id: int = 4242
    subscription_ids: dict[str, int] = field(default_factory=dict)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def event(self, subscription_type: str, occurred_at_ms: int | None = None, **fields: Any) -> dict[str, Any]:
        """Return one event of `subscription_type` with the given type-specific fields."""
        subscription_id = self.subscription_ids.setdefault(subscription_type, 1000 + len(self.subscription_ids))
        return {
            "eventId": next(self._ids),
            "subscriptionId": subscription_id,
            "portalId": self.portal_id,
            "appId": self.app_id,
            "occurredAt": occurred_at_ms if occurred_at_ms is not None else int(time.time() * 1000),
            "subscriptionType": subscription_type,
            "attemptNumber": 0,
            **fields,
        }

    def property_change(
        self, object_type: str, object_id: str | int, name: str, value: str, source: str = "CRM_UI", **extra: Any
    ) -> dict[str, Any]:
        """Return a `<object>.propertyChange` event (`source` is HubSpot's changeSource)."""
        return self.event(
            f"{object_type}.propertyChange",
            objectId=int(object_id),
            propertyName=name,
            propertyValue=value,
            changeSource=source,
            **extra,
        )

    def creation(self, object_type: str, object_id: str | int, **extra: Any) -> dict[str, Any]:
        return self.event(
            f"{object_type}.creation", objectId=int(object_id), changeFlag="CREATED", changeSource="CRM_UI", **extra
        )

    def object_creation(self, object_type_id: str, object_id: str | int, **extra: Any) -> dict[str, Any]:
        """Return a generic `object.creation` event (e.g. `0-47` for a meeting)."""
        return self.event(
            "object.creation", objectTypeId=object_type_id, objectId=int(object_id), changeFlag="CREATED", **extra
        )


@dataclass(frozen=True)
class Delivery:
    status: int
    body: str


def deliver(url: str, events: Sequence[Mapping[str, Any]], client_secret: str, timeout: float = 5.0) -> Delivery:
    """POST one signed batch of events to `url`, as HubSpot does, and return the answer."""
    body = json.dumps(list(events), separators=(",", ":"))
    request = urllib.request.Request(
        url, data=body.encode(), headers=signed_headers(client_secret, url, body), method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return Delivery(response.status, response.read().decode())
    except urllib.error.HTTPError as exc:
        return Delivery(exc.code, exc.read().decode())

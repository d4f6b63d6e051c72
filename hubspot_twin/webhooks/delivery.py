"""HubSpot's side of webhooks: events shaped like HubSpot's, signed (v3 and v1) the way HubSpot signs them.

Used by the demo and the tests to play HubSpot; the official SDK's `Signature.is_valid` accepts these
signatures. `post_signed` is one delivery attempt as HubSpot makes it and `RetrySchedule` HubSpot's retry rule;
`hubspot_twin.webhooks.dispatch.WebhookDispatcher` delivers the twin's changes with them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import itertools
import json
import random
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

# HubSpot decodes these escapes in the URI before it signs (v3); the receiver must do the same.
V3_DECODED = {
    "%3A": ":", "%2F": "/", "%3F": "?", "%40": "@", "%21": "!", "%24": "$",
    "%27": "'", "%28": "(", "%29": ")", "%2A": "*", "%2C": ",", "%3B": ";",
}  # fmt: skip


def v3_uri(uri: str) -> str:
    """Return `uri` with HubSpot's v3 list of escapes decoded."""
    for escape, character in V3_DECODED.items():
        uri = uri.replace(escape, character).replace(escape.lower(), character)
    return uri


def sign_v3(client_secret: str, method: str, uri: str, body: str, timestamp_ms: str) -> str:
    """Return HubSpot's v3 signature: base64 HMAC-SHA256 of method + URI + body + timestamp."""
    message = f"{method}{v3_uri(uri)}{body}{timestamp_ms}".encode()
    return base64.b64encode(hmac.new(client_secret.encode(), message, hashlib.sha256).digest()).decode()


def sign_v1(client_secret: str, body: str) -> str:
    """Return HubSpot's v1 signature: hex SHA-256 of secret + body."""
    return hashlib.sha256(f"{client_secret}{body}".encode()).hexdigest()


def signed_headers(client_secret: str, uri: str, body: str, timestamp_ms: int | None = None) -> dict[str, str]:
    """Return the headers HubSpot sends with a webhook request to `uri`."""
    timestamp = str(timestamp_ms if timestamp_ms is not None else int(time.time() * 1000))
    return {
        "Content-Type": "application/json",
        "User-Agent": "HubSpot Connect 2.0 (http://dev.hubspot.com/) - WebhooksExecutorDaemon (twin)",
        "X-HubSpot-Signature": sign_v1(client_secret, body),
        "X-HubSpot-Signature-Version": "v1",
        "X-HubSpot-Signature-v3": sign_v3(client_secret, "POST", uri, body, timestamp),
        "X-HubSpot-Request-Timestamp": timestamp,
    }


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


@dataclass(frozen=True)
class Answer:
    """The outcome of one POST: the status (None without an answer), the body or the error, the duration."""

    status: int | None
    body: str = ""
    error: str | None = None
    duration_s: float = 0.0

    @property
    def ok(self) -> bool:
        """Return whether HubSpot would count it delivered: an answer in time that is not a 4xx or 5xx."""
        return self.status is not None and self.status < 400


def post_signed(url: str, body: str, client_secret: str, timeout: float = 5.0) -> Answer:
    """POST one signed body to `url` and return the answer; connection errors and timeouts are answers too."""
    parts = urllib.parse.urlsplit(url)
    connection_class = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    connection = connection_class(parts.hostname or "", parts.port, timeout=timeout)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    started = time.monotonic()
    try:
        connection.request("POST", path, body=body.encode(), headers=signed_headers(client_secret, url, body))
        response = connection.getresponse()
        text = response.read().decode("utf-8", "replace")
        return Answer(response.status, text, None, time.monotonic() - started)
    except (OSError, http.client.HTTPException) as exc:
        return Answer(None, "", _describe(exc), time.monotonic() - started)
    finally:
        connection.close()


def _describe(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "timeout: no answer in time"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    return f"{type(exc).__name__}: {exc}"


# Delays before retries 1..9 of a failed batch: ten attempts within 24 hours of the first failure.
HUBSPOT_RETRY_DELAYS_S = (60.0, 300.0, 900.0, 1800.0, 3600.0, 7200.0, 14400.0, 21600.0, 36000.0)


@dataclass(frozen=True)
class RetrySchedule:
    """When HubSpot retries a failed batch: `delays_s[k]` before retry k+1, each shortened by up to `jitter`."""

    delays_s: tuple[float, ...] = HUBSPOT_RETRY_DELAYS_S
    jitter: float = 0.25

    @property
    def max_attempts(self) -> int:
        """Return the number of attempts, the first included."""
        return len(self.delays_s) + 1

    def delay(self, retry: int, rng: random.Random) -> float:
        """Return the randomized delay before retry number `retry` (1-based)."""
        return self.delays_s[retry - 1] * (1 - self.jitter * rng.random())

    @classmethod
    def hubspot(cls) -> RetrySchedule:
        """Return HubSpot's schedule: 10 attempts spread over about 24 hours, randomized."""
        return cls()

    @classmethod
    def compressed(cls, total_s: float = 1.0, attempts: int = 10, jitter: float = 0.25) -> RetrySchedule:
        """Return HubSpot's shape scaled so that the retries of one batch fit in `total_s` (for tests)."""
        delays = HUBSPOT_RETRY_DELAYS_S[: attempts - 1]
        scale = total_s / sum(HUBSPOT_RETRY_DELAYS_S)
        return cls(tuple(delay * scale for delay in delays), jitter)

"""One delivery attempt as HubSpot makes it (`post_signed`) and HubSpot's retry rule (`RetrySchedule`).

`hubspot_twin.webhooks.dispatch.WebhookDispatcher` delivers the twin's changes with them.
"""

from __future__ import annotations

import http.client
import random
import time
import urllib.parse
from dataclasses import dataclass

from hubspot_twin.webhooks.signing import signed_headers


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

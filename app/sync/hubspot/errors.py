"""HubSpot failures, mapped from the SDK's exceptions in exactly one place.

HubSpotError
├── RateLimited            429; `retry_after` seconds; `daily` when the portal's daily budget is spent
│   └── DailyLimitReached  the daily budget is spent: nothing goes to HubSpot before `resume_at` (never retried)
├── TransientHubSpotError  5xx, 423 Locked, timeouts, dropped connections: worth retrying
└── PermanentHubSpotError  any other 4xx: retrying the same request cannot help
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from urllib3.exceptions import HTTPError as Urllib3Error

TRANSIENT_STATUSES = frozenset({408, 423, 477, 500, 502, 503, 504, 521, 523, 524})
DEFAULT_RATE_LIMIT_WAIT = 10.0  # HubSpot's rolling window is ten seconds


class HubSpotError(Exception):
    """HubSpot refused or failed a request."""

    def __init__(self, message: str, status: int | None = None, category: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.category = category


class RateLimited(HubSpotError):
    """HubSpot answered 429."""

    def __init__(self, message: str, retry_after: float, daily: bool) -> None:
        super().__init__(message, status=429, category="RATE_LIMITS")
        self.retry_after = retry_after
        self.daily = daily


class DailyLimitReached(RateLimited):
    """The portal's daily request budget is spent (a `policyName: DAILY` 429, or the shared pause it started).

    `resume_at` is the portal's next midnight (an aware datetime in its time zone), when HubSpot resets the
    budget; until then every worker's calls fail fast with this error instead of reaching HubSpot.
    """

    def __init__(self, message: str, resume_at: datetime, retry_after: float) -> None:
        super().__init__(message, retry_after=retry_after, daily=True)
        self.resume_at = resume_at


class TransientHubSpotError(HubSpotError):
    """A failure that a later retry may not see."""


class PermanentHubSpotError(HubSpotError):
    """HubSpot rejected the request itself."""


def classify(exc: BaseException, operation: str) -> HubSpotError | None:
    """Return the `HubSpotError` for an SDK or transport exception, or None if it is neither."""
    status = getattr(exc, "status", None)
    if isinstance(status, int) and hasattr(exc, "body"):
        return _from_response(status, getattr(exc, "body", None), getattr(exc, "headers", None), operation)
    if isinstance(exc, Urllib3Error | OSError | TimeoutError):
        return TransientHubSpotError(f"{operation}: {type(exc).__name__}: no answer from HubSpot")
    return None


def _from_response(status: int, body: Any, headers: Any, operation: str) -> HubSpotError:
    details = _error_body(body)
    category = details.get("category") if isinstance(details.get("category"), str) else None
    message = f"{operation}: HubSpot answered {status}" + (f": {details['message']}" if details.get("message") else "")
    if status == 429:
        daily = details.get("policyName") == "DAILY"
        return RateLimited(message, retry_after=_retry_after(headers), daily=daily)
    if status in TRANSIENT_STATUSES or status >= 500:
        return TransientHubSpotError(message, status, category)
    return PermanentHubSpotError(message, status, category)


def _error_body(body: Any) -> dict[str, Any]:
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    try:
        parsed = json.loads(body) if isinstance(body, str) else None
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _retry_after(headers: Any) -> float:
    value = headers.get("Retry-After") if headers is not None else None
    try:
        return max(0.0, min(float(value), 3600.0)) if value is not None else DEFAULT_RATE_LIMIT_WAIT
    except ValueError:
        return DEFAULT_RATE_LIMIT_WAIT

"""HubSpot's rate limits per bearer token: the rolling ten-second window, the daily budget and search's 5/s.

Every request that carries a bearer token counts once in its window (search: the one-second search window;
anything else: the ten-second window) and once in the daily count, whatever it is answered — requests that
reached HubSpot count, refused ones (429) included. ``RateLimiter.admit`` returns a ``Verdict``: the policy that
refuses the request (or None), the ``Retry-After`` seconds and the ``X-HubSpot-RateLimit-*`` headers to send.
"""

from __future__ import annotations

import math
import re
import threading
import uuid
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from hubspot_twin.crm.timestamps import Clock

TEN_SECONDLY = "TEN_SECONDLY_ROLLING"
DAILY = "DAILY"
SECONDLY = "SECONDLY"
MESSAGES = {
    TEN_SECONDLY: "You have reached your ten_secondly_rolling limit.",
    DAILY: "You have reached your daily limit.",
    SECONDLY: "You have reached your secondly limit.",
}
TEN_SECONDS = 10.0
ONE_SECOND = 1.0
_SEARCH_PATH = re.compile(r"/crm/v3/objects/[^/]+/search/?")

Headers = tuple[tuple[str, str], ...]


def is_search(method: str, path: str) -> bool:
    """Return True for ``POST /crm/v3/objects/{type}/search`` (limited per second, sent without headers)."""
    return method.upper() == "POST" and _SEARCH_PATH.fullmatch(path) is not None


def rate_limit_body(policy: str) -> dict[str, Any]:
    """Return HubSpot's 429 body for a policy, keys in HubSpot's order."""
    return {
        "status": "error",
        "message": MESSAGES[policy],
        "errorType": "RATE_LIMIT",
        "correlationId": str(uuid.uuid4()),
        "policyName": policy,
        "requestId": uuid.uuid4().hex,
    }


def _check_limit(name: str, value: object) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
        raise ValueError(f"{name} must be a positive integer or null, not {value!r}")


@dataclass(frozen=True)
class Limits:
    """The limits of every token (None disables a limit), the time zone whose midnight resets the day, and
    whether a 429 carries ``Retry-After``."""

    ten_second_limit: int | None = 190
    daily_limit: int | None = 625_000
    search_per_second: int | None = 5
    timezone: str = "UTC"
    send_retry_after: bool = True

    def __post_init__(self) -> None:
        for name in ("ten_second_limit", "daily_limit", "search_per_second"):
            _check_limit(name, getattr(self, name))
        if not isinstance(self.send_retry_after, bool):
            raise ValueError(f"send_retry_after must be true or false, not {self.send_retry_after!r}")
        if not isinstance(self.timezone, str):
            raise ValueError(f"timezone must be an IANA time zone name, not {self.timezone!r}")
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {self.timezone!r}") from None

    @property
    def zone(self) -> ZoneInfo:
        """Return the time zone whose midnight resets the daily counts."""
        return ZoneInfo(self.timezone)

    def merged(self, changes: Mapping[str, Any]) -> Limits:
        """Return a copy with ``changes`` applied; ValueError for unknown names or invalid values."""
        unknown = sorted(set(changes) - {f.name for f in fields(self)})
        if unknown:
            raise ValueError(f"unknown limit settings: {', '.join(unknown)}")
        return replace(self, **changes)

    def to_json(self) -> dict[str, Any]:
        """Return the settings as ``GET /_twin/limits`` answers them."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True)
class Verdict:
    """What the limits say about one request."""

    policy: str | None = None
    retry_after: int | None = None  # whole seconds until the refusing limit admits a request again
    headers: Headers = ()

    @property
    def allowed(self) -> bool:
        """Return True when no limit refuses the request."""
        return self.policy is None


@dataclass
class _Usage:
    """One token's counted requests: monotonic instants per window, and today's count."""

    window: deque[float] = field(default_factory=deque)
    search: deque[float] = field(default_factory=deque)
    day: date | None = None
    daily_used: int = 0


class RateLimiter:
    """Thread-safe rate limits per token; ``clock`` is monotonic seconds, ``wall_clock`` an aware datetime."""

    def __init__(self, limits: Limits, clock: Callable[[], float], wall_clock: Clock) -> None:
        self._lock = threading.Lock()
        self._limits = limits
        self._clock = clock
        self._wall_clock = wall_clock
        self._usage: dict[str, _Usage] = {}

    @property
    def limits(self) -> Limits:
        """Return the current limits."""
        with self._lock:
            return self._limits

    def configure(self, limits: Limits) -> None:
        """Apply new limits; what each token already used still counts."""
        with self._lock:
            self._limits = limits

    def update(self, changes: Mapping[str, Any]) -> Limits:
        """Apply ``changes`` to the current limits atomically; return the new limits (ValueError if invalid)."""
        with self._lock:
            self._limits = self._limits.merged(changes)
            return self._limits

    def reset(self) -> None:
        """Forget every token's usage (fresh windows and daily budgets)."""
        with self._lock:
            self._usage.clear()

    def admit(self, token: str, search: bool) -> Verdict:
        """Count one request of ``token`` and return whether a limit refuses it."""
        with self._lock:
            limits, now = self._limits, self._clock()
            usage = self._usage.setdefault(token, _Usage())
            local_now = self._wall_clock().astimezone(limits.zone)
            if usage.day != local_now.date():
                usage.day, usage.daily_used = local_now.date(), 0
            window, span = (usage.search, ONE_SECOND) if search else (usage.window, TEN_SECONDS)
            limit = limits.search_per_second if search else limits.ten_second_limit
            while window and window[0] <= now - span:
                window.popleft()
            exhausted = limits.daily_limit is not None and usage.daily_used >= limits.daily_limit
            usage.daily_used += 1
            if limit is not None:
                window.append(now)
            headers = () if search else _headers(limits, usage)
            if exhausted:
                policy, wait = DAILY, _seconds_to_midnight(local_now)
            elif limit is not None and len(window) > limit:
                # A slot frees when enough of the oldest counted requests (this one included) leave the window.
                policy, wait = SECONDLY if search else TEN_SECONDLY, window[len(window) - limit] + span - now
            else:
                return Verdict(headers=headers)
            return Verdict(policy, max(1, math.ceil(wait)) if limits.send_retry_after else None, headers)


def _headers(limits: Limits, usage: _Usage) -> Headers:
    """Return the ``X-HubSpot-RateLimit-*`` headers after counting a request, in HubSpot's order."""
    headers: list[tuple[str, str]] = []
    if limits.daily_limit is not None:
        remaining = max(0, limits.daily_limit - usage.daily_used)
        headers += [("X-HubSpot-RateLimit-Daily", str(limits.daily_limit))]
        headers += [("X-HubSpot-RateLimit-Daily-Remaining", str(remaining))]
    if limits.ten_second_limit is not None:
        remaining = max(0, limits.ten_second_limit - len(usage.window))
        headers += [("X-HubSpot-RateLimit-Interval-Milliseconds", str(int(TEN_SECONDS * 1000)))]
        headers += [("X-HubSpot-RateLimit-Max", str(limits.ten_second_limit))]
        headers += [("X-HubSpot-RateLimit-Remaining", str(remaining))]
    return tuple(headers)


def _seconds_to_midnight(local_now: datetime) -> float:
    """Return the seconds until the next midnight of ``local_now``'s zone."""
    midnight = datetime.combine(local_now.date() + timedelta(days=1), time(0), tzinfo=local_now.tzinfo)
    # Subtract in UTC: aware datetimes sharing a tzinfo subtract as wall times, which is wrong across DST.
    return (midnight.astimezone(UTC) - local_now.astimezone(UTC)).total_seconds()

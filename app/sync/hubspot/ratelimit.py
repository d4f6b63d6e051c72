"""One HubSpot budget for every worker process: sliding windows in Redis, the portal's own headers, a daily pause.

HubSpot counts a private app's requests in a rolling ten-second window (190 on Professional) and search
requests in a one-second window of their own (5); past either it answers 429. Each worker process builds its
own `HubSpotBudget` on the same Redis keys, so together they keep under the limit:

- `acquire(kind)` runs one Lua script (atomic in Redis): it drops the requests older than the window from a
  sorted set and admits the new one only while fewer than `limit` remain (the limit is `margin`, by default
  97 % (HUBSPOT_RATE_LIMIT_MARGIN), of the configured one); otherwise it answers when the oldest counted request
  leaves the window, and `acquire` sleeps until then and tries again. Any `window_seconds` span therefore
  holds at most `limit` admissions.
- `finished(slot)` moves the request's time in the window to the moment its answer came (never earlier), so
  the window also covers the time the request spent travelling: HubSpot counts it when it arrives, which lies
  between the two. Admission times come from each process's `clock`, but never go back across processes (the
  script admits at the latest time any process used), so a process delayed between reading its clock and
  running the script cannot be judged against a window another one already moved on. Keep the hosts
  NTP-synchronised: a host whose clock runs ahead moves every window forward by its lead (the margin absorbs
  milliseconds).
- `observe(headers)` reads the portal's own view, which also counts the requests of the portal's other apps:
  when `X-HubSpot-RateLimit-Remaining` falls to `remaining_reserve`, new requests are held back for
  `-Interval-Milliseconds`; when `-Daily-Remaining` reaches 0 the day's budget is spent. Search answers carry
  no such headers. `hold(kind, seconds)` holds every process back after a ten-second 429.
- A spent daily budget (a `policyName: DAILY` 429, see `daily_limit_reached`) sets one shared pause until the
  next midnight in the portal's time zone, plus `resume_grace_seconds` for clock skew; while it lasts,
  `acquire` raises `DailyLimitReached` at once instead of letting a request reach HubSpot.
"""

from __future__ import annotations

import math
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from datetime import time as time_of_day
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from redis import Redis

from app.sync.hubspot.errors import DailyLimitReached

Kind = Literal["api", "search"]
DEFAULT_MARGIN = 0.97  # 184 of 190: the portal's headers report what its other apps use
TEN_SECONDS = 10.0
ONE_SECOND = 1.0
MIN_SLEEP = 0.001  # never spin: a wake-up time rounded to the microsecond may lie a hair in the past
KEY_SLACK_MS = 60_000  # keys outlive what they hold by a minute, whatever the clocks do
REMAINING = "x-hubspot-ratelimit-remaining"
INTERVAL_MS = "x-hubspot-ratelimit-interval-milliseconds"
DAILY_REMAINING = "x-hubspot-ratelimit-daily-remaining"

# KEYS: the window (sorted set), the hold, the daily pause, the latest time any process acquired at.
# ARGV: now, window seconds, limit, member, key slack in ms.
# Answers {'admitted', at} | {'wait', when to try again} | {'paused', when the pause ends}.
# `now` never goes back: a process that read its clock, then lost the CPU before its script ran, acquires at the
# latest time already used, so no window is ever judged after a later one dropped requests that still count in it.
ACQUIRE_SCRIPT = """
local now = math.max(tonumber(ARGV[1]), tonumber(redis.call('GET', KEYS[4]) or '0'))
local paused = tonumber(redis.call('GET', KEYS[3]) or '0')
if paused > now then return {'paused', string.format('%.6f', paused)} end
local hold = tonumber(redis.call('GET', KEYS[2]) or '0')
if hold > now then return {'wait', string.format('%.6f', hold)} end
local window = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[1])
local ttl = math.ceil(window * 1000) + tonumber(ARGV[5])
redis.call('SET', KEYS[4], string.format('%.6f', now), 'PX', ttl)
if count < limit then
  redis.call('ZADD', KEYS[1], now, ARGV[4])
  redis.call('PEXPIRE', KEYS[1], ttl)
  return {'admitted', string.format('%.6f', now)}
end
local freeing = redis.call('ZRANGE', KEYS[1], count - limit, count - limit, 'WITHSCORES')
return {'wait', string.format('%.6f', tonumber(freeing[2]) + window)}
"""

# KEYS: a time limit (hold or pause). ARGV: the wanted end, its time to live in ms. Never shortens it; answers the end.
EXTEND_SCRIPT = """
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) <= current then return string.format('%.6f', current) end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return ARGV[1]
"""


@dataclass(frozen=True)
class Window:
    """At most `limit` requests in any `seconds`."""

    limit: int
    seconds: float


@dataclass(frozen=True)
class Slot:
    """One admitted request: its window, its member in the window's sorted set, when it was admitted."""

    kind: Kind
    member: str
    at: float


def budget_limit(configured: int, margin: float) -> int:
    """Return how many requests a window admits: `margin` of the configured limit, at least one."""
    return max(1, math.floor(configured * margin))


def resume_time(now: float, zone: ZoneInfo, grace_seconds: float) -> datetime:
    """Return when a daily budget spent at `now` comes back: the zone's next midnight plus the grace.

    A budget refused within the grace after our midnight was HubSpot's previous day (its clock lags ours):
    it comes back at this midnight plus the grace, not a whole day later.
    """
    local = datetime.fromtimestamp(now - grace_seconds, zone)
    midnight = datetime.combine(local.date() + timedelta(days=1), time_of_day(0), tzinfo=zone)
    return datetime.fromtimestamp(midnight.timestamp() + grace_seconds, zone)


class HubSpotBudget:
    """HubSpot's request limits shared through Redis by every process that calls HubSpot; thread-safe."""

    def __init__(
        self,
        redis: Redis,
        key_prefix: str,
        per_ten_seconds: int,
        search_per_second: int,
        timezone: str,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        *,
        margin: float = DEFAULT_MARGIN,
        window_seconds: float = TEN_SECONDS,
        search_window_seconds: float = ONE_SECOND,
        remaining_reserve: int | None = None,
        resume_grace_seconds: float = 60.0,
    ) -> None:
        if not 0 < margin <= 1:
            raise ValueError(f"margin must lie in (0, 1], not {margin}")
        if per_ten_seconds < 1 or search_per_second < 1:
            raise ValueError("the rate limits must be positive")
        self._redis = redis
        self._clock = clock
        self._sleep = sleep
        self._zone = _zone(timezone)
        self._grace = resume_grace_seconds
        self.windows: dict[Kind, Window] = {
            "api": Window(budget_limit(per_ten_seconds, margin), window_seconds),
            "search": Window(budget_limit(search_per_second, margin), search_window_seconds),
        }
        # Below the headroom the margin leaves, so our own full use of the budget never triggers a hold.
        headroom = per_ten_seconds - self.windows["api"].limit
        self.remaining_reserve = remaining_reserve if remaining_reserve is not None else max(1, headroom // 2)
        self._prefix = f"{key_prefix}:hubspot"
        self.pause_key = f"{self._prefix}:paused-until"
        self._latest_key = f"{self._prefix}:latest"
        self._acquire_script = redis.register_script(ACQUIRE_SCRIPT)
        self._extend_script = redis.register_script(EXTEND_SCRIPT)

    def window_key(self, kind: Kind) -> str:
        return f"{self._prefix}:window:{kind}"

    def hold_key(self, kind: Kind) -> str:
        return f"{self._prefix}:hold:{kind}"

    def acquire(self, kind: Kind = "api") -> Slot:
        """Wait until one more `kind` request fits the budget and count it; raise `DailyLimitReached` while paused."""
        window = self.windows[kind]
        member = uuid.uuid4().hex
        keys = [self.window_key(kind), self.hold_key(kind), self.pause_key, self._latest_key]
        while True:
            now = self._clock()
            verdict, value = self._acquire_script(
                keys=keys, args=[repr(now), repr(window.seconds), window.limit, member, KEY_SLACK_MS]
            )
            when = float(_text(value))
            if _text(verdict) == "admitted":
                return Slot(kind, member, when)
            if _text(verdict) == "paused":
                raise self._paused(when, now)
            self._sleep(max(when - now, MIN_SLEEP))

    def finished(self, slot: Slot) -> None:
        """Count `slot`'s request from now, when its answer came (HubSpot counted it at some time before)."""
        key, window = self.window_key(slot.kind), self.windows[slot.kind]
        pipeline = self._redis.pipeline(transaction=False)
        pipeline.zadd(key, {slot.member: self._clock()}, gt=True)
        pipeline.pexpire(key, math.ceil(window.seconds * 1000) + KEY_SLACK_MS)
        pipeline.execute()

    def observe(self, headers: Mapping[str, Any] | None) -> None:
        """Hold back or pause on the portal's `X-HubSpot-RateLimit-*` headers (absent: nothing to learn)."""
        values = {str(name).lower(): value for name, value in (headers or {}).items()}
        remaining = _number(values.get(REMAINING))
        if remaining is not None and remaining <= self.remaining_reserve:
            interval_ms = _number(values.get(INTERVAL_MS)) or self.windows["api"].seconds * 1000
            self.hold("api", interval_ms / 1000)
        daily_remaining = _number(values.get(DAILY_REMAINING))
        if daily_remaining is not None and daily_remaining <= 0:
            self.pause_for_the_day()

    def hold(self, kind: Kind, seconds: float) -> None:
        """Admit no `kind` request, in any process, for `seconds` from now (an earlier hold's end is kept if later)."""
        now = self._clock()
        self._extend(self.hold_key(kind), now + seconds, now)

    def pause_for_the_day(self) -> datetime:
        """Pause every process's calls until the daily budget comes back; return when (a later pause is kept)."""
        now = self._clock()
        until = self._extend(self.pause_key, resume_time(now, self._zone, self._grace).timestamp(), now)
        return datetime.fromtimestamp(until, self._zone)

    def daily_limit_reached(self, message: str) -> DailyLimitReached:
        """Pause for the day (HubSpot answered a daily-limit 429) and return the error to raise."""
        now = self._clock()
        until = self.pause_for_the_day().timestamp()
        return DailyLimitReached(message, datetime.fromtimestamp(until, self._zone), retry_after=until - now)

    def paused_until(self) -> datetime | None:
        """Return when the daily pause ends, or None when calls may go out."""
        value = self._redis.get(self.pause_key)
        until = float(_text(value)) if value is not None else 0.0
        return datetime.fromtimestamp(until, self._zone) if until > self._clock() else None

    def _paused(self, until: float, now: float) -> DailyLimitReached:
        resume_at = datetime.fromtimestamp(until, self._zone)
        message = f"HubSpot's daily limit is spent: no call goes out before {resume_at.isoformat()}"
        return DailyLimitReached(message, resume_at, retry_after=until - now)

    def _extend(self, key: str, until: float, now: float) -> float:
        ttl_ms = max(0, math.ceil((until - now) * 1000)) + KEY_SLACK_MS
        return float(_text(self._extend_script(keys=[key], args=[repr(until), ttl_ms])))


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r}: HUBSPOT_TIMEZONE must be an IANA name (Europe/Berlin)") from None


def _number(value: object) -> float | None:
    try:
        return float(str(value)) if value is not None else None
    except ValueError:
        return None


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)

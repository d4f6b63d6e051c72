"""The shared HubSpot budget's arithmetic, on an in-process Redis (fakeredis with Lua) and a fake clock.

Nothing here waits for real time: `sleep` advances the fake clock and records how long the budget asked to wait.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import fakeredis
import pytest

from app.sync.hubspot.errors import DailyLimitReached, RateLimited
from app.sync.hubspot.ratelimit import HubSpotBudget, budget_limit, resume_time


@dataclass
class FakeTime:
    now: float = 1_000_000.0
    slept: list[float] = field(default_factory=list)

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(round(seconds, 6))
        self.now += seconds


@pytest.fixture
def server() -> fakeredis.FakeServer:
    return fakeredis.FakeServer()


def budget(
    server: fakeredis.FakeServer, clock: FakeTime, per_ten_seconds: int = 10, timezone: str = "UTC", **options: float
) -> HubSpotBudget:
    """A budget on its own connection to the shared fake server (as another process would have)."""
    redis = fakeredis.FakeRedis(server=server)
    return HubSpotBudget(redis, "t", per_ten_seconds, 5, timezone, clock=clock, sleep=clock.sleep, **options)  # type: ignore[arg-type]


def admitted(limiter: HubSpotBudget, count: int, kind: str = "api") -> list[float]:
    return [limiter.acquire(kind).at for _ in range(count)]  # type: ignore[arg-type]


# The window


@pytest.mark.parametrize(
    ("configured", "margin", "limit"), [(190, 0.9, 171), (100, 0.9, 90), (20, 0.9, 18), (5, 0.9, 4), (1, 0.9, 1)]
)
def test_a_window_admits_the_margin_of_the_configured_limit_and_at_least_one(
    configured: int, margin: float, limit: int
) -> None:
    assert budget_limit(configured, margin) == limit


def test_a_full_window_waits_until_its_oldest_request_leaves(server: fakeredis.FakeServer) -> None:
    clock = FakeTime()
    limiter = budget(server, clock)  # 10 per 10 s, 90 %: 9
    start = clock.now
    assert admitted(limiter, 9) == [start] * 9
    assert clock.slept == []
    assert admitted(limiter, 1) == [start + 10]
    assert clock.slept == [10.0]


def test_the_window_slides_request_by_request(server: fakeredis.FakeServer) -> None:
    clock = FakeTime()
    limiter = budget(server, clock, per_ten_seconds=3, margin=1.0)
    start = clock.now
    times = []
    for gap in (0, 4, 4):
        clock.now += gap
        times.append(limiter.acquire().at)
    assert times == [start, start + 4, start + 8]
    assert admitted(limiter, 3) == [start + 10, start + 14, start + 18]  # each waits for one to leave
    assert clock.slept == [2.0, 4.0, 4.0]


def test_a_request_exactly_one_window_old_no_longer_counts(server: fakeredis.FakeServer) -> None:
    clock = FakeTime()
    limiter = budget(server, clock, per_ten_seconds=1, margin=1.0)
    limiter.acquire()
    clock.now += 9.999
    assert limiter.acquire().at == pytest.approx(clock.now)
    assert clock.slept == [pytest.approx(0.001)]


def test_the_window_length_is_a_parameter(server: fakeredis.FakeServer) -> None:
    clock = FakeTime()
    limiter = budget(server, clock, per_ten_seconds=2, margin=1.0, window_seconds=0.5)
    assert admitted(limiter, 3) == [clock.now - 0.5, clock.now - 0.5, clock.now]
    assert clock.slept == [0.5]


def test_a_finished_request_counts_from_when_its_answer_came(server: fakeredis.FakeServer) -> None:
    clock = FakeTime()
    limiter = budget(server, clock, per_ten_seconds=1, margin=1.0)
    start = clock.now
    slot = limiter.acquire()
    clock.now += 3  # the request travelled for three seconds: HubSpot counted it somewhere in between
    limiter.finished(slot)
    assert limiter.acquire().at == start + 13
    clock.now -= 20  # a clock that goes back never makes a request count earlier
    limiter.finished(slot)
    clock.now += 20
    assert limiter.acquire().at == start + 23


def test_processes_share_one_window(server: fakeredis.FakeServer) -> None:
    clock = FakeTime()
    first, second = budget(server, clock), budget(server, clock)
    admitted(first, 5)
    admitted(second, 4)
    assert admitted(first, 1) == [clock.now] and clock.slept == [10.0]


def test_a_process_whose_clock_reading_went_stale_acquires_at_the_latest_time_used(
    server: fakeredis.FakeServer,
) -> None:
    first, later, stale = FakeTime(100.0), FakeTime(110.5), FakeTime(105.0)
    assert budget(server, first, per_ten_seconds=1, margin=1.0).acquire().at == 100.0
    assert budget(server, later, per_ten_seconds=1, margin=1.0).acquire().at == 110.5  # the first one has left
    # Read at 105 (before the one at 110.5 ran), it must not be judged at 105, when the window looked empty.
    assert budget(server, stale, per_ten_seconds=1, margin=1.0).acquire().at == 120.5
    assert stale.slept == [15.5]


def test_search_has_its_own_window_of_one_second(server: fakeredis.FakeServer) -> None:
    clock = FakeTime()
    limiter = budget(server, clock)
    start = clock.now
    assert admitted(limiter, 4, "search") == [start] * 4  # 5 per second, 90 %: 4
    assert admitted(limiter, 9) == [start] * 9  # searches take nothing from the ten-second window
    assert admitted(limiter, 1, "search") == [start + 1]


# The portal's headers


def test_few_remaining_requests_hold_every_process_back_for_the_interval(server: fakeredis.FakeServer) -> None:
    clock = FakeTime()
    first, second = budget(server, clock, per_ten_seconds=190), budget(server, clock, per_ten_seconds=190)
    assert first.remaining_reserve == 3  # half the headroom the margin leaves (190 - 184)
    start = clock.now
    first.observe({"X-HubSpot-RateLimit-Remaining": "3", "X-HubSpot-RateLimit-Interval-Milliseconds": "10000"})
    assert second.acquire().at == start + 10
    assert second.acquire("search").at == start + 10  # search has no such headers and no such hold


def test_enough_remaining_requests_hold_nothing_back(server: fakeredis.FakeServer) -> None:
    clock = FakeTime()
    limiter = budget(server, clock, per_ten_seconds=190)
    limiter.observe({"x-hubspot-ratelimit-remaining": "10", "x-hubspot-ratelimit-interval-milliseconds": "10000"})
    limiter.observe({"X-HubSpot-RateLimit-Remaining": "soon"})
    limiter.observe({})
    limiter.observe(None)
    limiter.acquire()
    assert clock.slept == []


def test_a_hold_without_an_interval_lasts_one_window(server: fakeredis.FakeServer) -> None:
    clock = FakeTime()
    limiter = budget(server, clock, window_seconds=2.0)
    limiter.observe({"X-HubSpot-RateLimit-Remaining": "0"})
    limiter.acquire()
    assert clock.slept == [2.0]


def test_a_hold_is_never_shortened(server: fakeredis.FakeServer) -> None:
    clock = FakeTime()
    limiter = budget(server, clock)
    limiter.hold("api", 5)
    limiter.hold("api", 1)
    limiter.acquire()
    assert clock.slept == [5.0]


def test_no_daily_requests_remaining_pauses_for_the_day(server: fakeredis.FakeServer) -> None:
    clock = FakeTime(datetime(2026, 11, 26, 15, 0, tzinfo=UTC).timestamp())
    limiter = budget(server, clock, resume_grace_seconds=0)
    limiter.observe({"X-HubSpot-RateLimit-Daily-Remaining": "1"})
    assert limiter.paused_until() is None
    limiter.observe({"X-HubSpot-RateLimit-Daily-Remaining": "0"})
    assert limiter.paused_until() == datetime(2026, 11, 27, tzinfo=UTC)


# The daily pause


def test_while_paused_acquire_fails_at_once_with_the_resume_time(server: fakeredis.FakeServer) -> None:
    clock = FakeTime(datetime(2026, 11, 26, 15, 0, tzinfo=UTC).timestamp())
    limiter = budget(server, clock, timezone="Europe/Berlin")
    error = limiter.daily_limit_reached("batch-read contacts: HubSpot answered 429: You have reached your daily limit.")
    resume = datetime(2026, 11, 27, 0, 1, tzinfo=ZoneInfo("Europe/Berlin"))  # midnight plus a minute of grace
    assert (error.resume_at, error.retry_after, error.daily) == (resume, 8 * 3600 + 60, True)
    assert isinstance(error, RateLimited)
    with pytest.raises(DailyLimitReached) as raised:
        limiter.acquire()
    assert raised.value.resume_at == resume
    assert clock.slept == []
    clock.now = resume.timestamp()
    assert limiter.acquire().at == clock.now


def test_a_later_pause_is_kept(server: fakeredis.FakeServer) -> None:
    clock = FakeTime(datetime(2026, 11, 26, 23, 30, tzinfo=UTC).timestamp())
    limiter = budget(server, clock, resume_grace_seconds=0)
    limiter.hold("api", 1)  # holds and pauses are separate keys
    first = limiter.pause_for_the_day()
    clock.now += 3600  # past midnight: a second pause would end a day later
    assert limiter.pause_for_the_day() == datetime(2026, 11, 28, tzinfo=UTC)
    assert first == datetime(2026, 11, 27, tzinfo=UTC)


@pytest.mark.parametrize(
    ("now", "zone", "grace", "resume"),
    [
        ("2026-11-26T15:00:00+00:00", "America/New_York", 0, "2026-11-27T00:00:00-05:00"),
        ("2026-11-27T04:59:59+00:00", "America/New_York", 0, "2026-11-27T00:00:00-05:00"),
        ("2026-11-27T05:00:00+00:00", "America/New_York", 0, "2026-11-28T00:00:00-05:00"),
        ("2026-03-07T20:00:00-05:00", "America/New_York", 0, "2026-03-08T00:00:00-05:00"),  # DST begins that night
        ("2026-03-08T20:00:00-04:00", "America/New_York", 0, "2026-03-09T00:00:00-04:00"),  # a 23-hour day
        ("2026-10-25T12:00:00+01:00", "Europe/Berlin", 60, "2026-10-26T00:01:00+01:00"),
        ("2026-11-27T00:00:30+01:00", "Europe/Berlin", 60, "2026-11-27T00:01:00+01:00"),  # HubSpot's clock lags
        ("2026-11-27T00:01:00+01:00", "Europe/Berlin", 60, "2026-11-28T00:01:00+01:00"),
        ("2026-11-26T23:59:59+13:00", "Pacific/Auckland", 0, "2026-11-27T00:00:00+13:00"),
    ],
)
def test_the_daily_budget_comes_back_at_the_portals_midnight(now: str, zone: str, grace: float, resume: str) -> None:
    found = resume_time(datetime.fromisoformat(now).timestamp(), ZoneInfo(zone), grace)
    assert found == datetime.fromisoformat(resume)
    assert found.isoformat() == resume


@pytest.mark.parametrize(
    "options", [{"margin": 0}, {"margin": 1.5}, {"per_ten_seconds": 0}], ids=["no-margin", "over-one", "no-limit"]
)
def test_a_budget_that_admits_nothing_is_refused(server: fakeredis.FakeServer, options: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="must"):
        budget(server, FakeTime(), **options)  # type: ignore[arg-type]


def test_an_unknown_time_zone_is_refused(server: fakeredis.FakeServer) -> None:
    with pytest.raises(ValueError, match="Mars/Olympus"):
        budget(server, FakeTime(), timezone="Mars/Olympus")

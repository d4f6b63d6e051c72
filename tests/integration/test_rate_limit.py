"""The shared HubSpot budget on the real Redis: several processes' limiters, the portal's headers, the daily pause;
then the SDK gateway on it against the twin's real rate limiter, and a drain that meets a spent daily budget.

Separate `HubSpotBudget`s on separate Redis connections stand for separate worker processes. Where real time
must pass, windows are short (half a second), or the twin and the budgets share a clock running ten times fast.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import redis
from rq.job import Job, JobStatus
from rq.serializers import JSONSerializer

from app.bootstrap import Container
from app.sync.drain import DrainContext, drain_dirty_contacts
from app.sync.hubspot.errors import DailyLimitReached
from app.sync.hubspot.ratelimit import HubSpotBudget
from app.sync.hubspot.retry import RetryPolicy
from app.sync.hubspot.sdk import SdkGateway
from app.workers import ThreadWorker
from hubspot_twin import Twin, TwinServer
from hubspot_twin.http.guard import GuardConfig, TwinGuard
from tests.conftest import REDIS_URL
from tests.support.app import ACCESS_TOKEN, make_container
from tests.support.faults import Fault, FaultyHubSpot, rate_limited

TOKEN = "budget-token"
PREFIX = "budget-test"
BATCH_READ = "/crm/v3/objects/contacts/batch/read"
POLICY = RetryPolicy(attempts=4, max_seconds=20, initial_backoff=0.01, max_backoff=0.02)
SPEED = 10.0  # the twin's and the budgets' shared clock runs ten times as fast as real time
NEW_YORK = ZoneInfo("America/New_York")
LOS_ANGELES = ZoneInfo("America/Los_Angeles")


@dataclass
class FakeTime:
    """One fake clock for every budget of a test; `sleep` advances it and records the wait."""

    now: float
    slept: list[float] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        with self.lock:
            self.slept.append(round(seconds, 6))
            self.now += seconds


@pytest.fixture
def connections(redis_client: redis.Redis) -> Iterator[Callable[[], redis.Redis]]:
    """Open a new connection to the tests' Redis database (as another worker process would); closed afterwards."""
    opened: list[redis.Redis] = []

    def connect() -> redis.Redis:
        opened.append(redis.Redis.from_url(REDIS_URL))
        return opened[-1]

    yield connect
    for client in opened:
        client.close()


def scaled_time() -> float:
    return time.time() * SPEED


def scaled_sleep(seconds: float) -> None:
    time.sleep(seconds / SPEED)


def most_in_any_window(times: list[float], window: float) -> int:
    """Return the largest number of `times` inside one half-open window [t, t + window)."""
    ordered = sorted(times)
    return max(sum(1 for other in ordered[i:] if other < start + window) for i, start in enumerate(ordered))


# Three processes, one budget


def test_three_processes_together_never_exceed_the_limit_in_any_window(
    connections: Callable[[], redis.Redis],
) -> None:
    limiters = [HubSpotBudget(connections(), PREFIX, 10, 5, "UTC", window_seconds=0.5) for _ in range(3)]
    admitted: list[float] = []
    lock = threading.Lock()

    def work(limiter: HubSpotBudget) -> None:
        for _ in range(12):
            at = limiter.acquire().at
            with lock:
                admitted.append(at)

    threads = [threading.Thread(target=work, args=(limiter,)) for limiter in limiters]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert len(admitted) == 36
    assert most_in_any_window(admitted, 0.5) == 9  # 10 per window, 90 %: full use, never more
    assert max(admitted) - min(admitted) >= 3 * 0.5  # 36 requests need four windows


def test_search_has_its_own_five_per_second(connections: Callable[[], redis.Redis]) -> None:
    clock = FakeTime(1_000_000.0)
    first, second = (HubSpotBudget(connections(), PREFIX, 190, 5, "UTC", clock, clock.sleep) for _ in range(2))
    start = clock.now
    searches = [limiter.acquire("search").at for limiter in (first, second, first, second, first, second)]
    assert searches == [start] * 4 + [start + 1] * 2  # 5 per second, 90 %: 4
    assert [second.acquire().at for _ in range(100)] == [start + 1] * 100  # the ten-second window is another


def test_few_remaining_requests_in_a_response_hold_back_every_process(connections: Callable[[], redis.Redis]) -> None:
    clock = FakeTime(1_000_000.0)
    first, second = (HubSpotBudget(connections(), PREFIX, 190, 5, "UTC", clock, clock.sleep) for _ in range(2))
    start = clock.now
    first.observe({"X-HubSpot-RateLimit-Remaining": "3", "X-HubSpot-RateLimit-Interval-Milliseconds": "10000"})
    assert second.acquire().at == start + 10
    assert clock.slept == [10.0]


def test_the_daily_pause_holds_across_processes_and_lifts_at_the_portals_midnight(
    connections: Callable[[], redis.Redis],
) -> None:
    clock = FakeTime(datetime(2026, 11, 26, 22, 30, tzinfo=LOS_ANGELES).timestamp())  # 06:30 the next day in UTC

    def process() -> HubSpotBudget:
        return HubSpotBudget(connections(), PREFIX, 190, 5, "America/Los_Angeles", clock, clock.sleep)

    hit, other = process(), process()
    midnight = datetime(2026, 11, 27, 0, 1, tzinfo=LOS_ANGELES)  # and a minute of grace for clock skew
    assert hit.daily_limit_reached("You have reached your daily limit.").resume_at == midnight

    for kind in ("api", "search"):
        with pytest.raises(DailyLimitReached) as raised:
            other.acquire(kind)  # type: ignore[arg-type]
        assert raised.value.resume_at == midnight
        assert raised.value.resume_at.utcoffset() == midnight.utcoffset()
    assert process().paused_until() == midnight
    assert clock.slept == []  # a paused call fails at once

    clock.now = midnight.timestamp() - 1
    with pytest.raises(DailyLimitReached):
        process().acquire()
    clock.now = midnight.timestamp()
    assert other.acquire().at == clock.now
    assert hit.paused_until() is None


# The SDK gateway on the budget, against the twin's rate limiter


@dataclass
class Portal:
    twin: Twin
    guard: TwinGuard
    url: str

    def gateway(self, budget: HubSpotBudget | None, observer: Any = None) -> SdkGateway:
        return SdkGateway(TOKEN, self.url, (2.0, 5.0), POLICY, budget=budget, observer=observer)

    def contacts(self, count: int) -> list[str]:
        return [self.twin.create_object("contacts", {"email": f"c{n}@example.com"}) for n in range(count)]


@contextmanager
def serving(config: GuardConfig, clock: Callable[[], float] = time.monotonic) -> Iterator[Portal]:
    """Serve a twin behind its rate limiter (`config`), whose windows run on `clock`."""
    twin = Twin(access_tokens={TOKEN})
    twin.guard = TwinGuard(twin.app, config, clock=clock)
    with twin.serve() as server:
        yield Portal(twin, twin.guard, server.url)


def test_two_workers_on_one_budget_get_no_429_from_a_portal_at_its_limit(
    connections: Callable[[], redis.Redis],
) -> None:
    config = GuardConfig(ten_second_limit=20, daily_limit=None)
    with serving(config, clock=lambda: time.monotonic() * SPEED) as portal:
        ids = portal.contacts(3)
        gateways = [
            portal.gateway(HubSpotBudget(connections(), PREFIX, 20, 5, "UTC", scaled_time, scaled_sleep))
            for _ in range(2)
        ]
        portal.guard.log.reset()
        found: list[int] = []
        lock = threading.Lock()

        def read(gateway: SdkGateway) -> None:
            for _ in range(10):
                count = len(gateway.read_objects("contact", ids, ["email"]))
                with lock:
                    found.append(count)

        threads = [threading.Thread(target=read, args=(g,)) for g in gateways for _ in range(3)]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        elapsed = (time.monotonic() - started) * SPEED

        stats = portal.guard.stats()
        assert found == [3] * 60
        assert stats["total"] == 60
        assert stats["rate_limited"] == {}
        assert stats["statuses"] == {"200": 60}
        assert elapsed >= 30  # 18 per ten seconds (20, 90 %): 60 reads need four windows


def test_a_daily_limit_429_pauses_every_worker_until_the_portals_midnight_without_retrying(
    connections: Callable[[], redis.Redis],
) -> None:
    clock = FakeTime(datetime(2026, 11, 26, 15, 0, tzinfo=UTC).timestamp())  # 10:00 in New York

    def budget() -> HubSpotBudget:
        return HubSpotBudget(connections(), PREFIX, 190, 5, "America/New_York", clock, clock.sleep)

    with serving(GuardConfig(daily_limit=2)) as portal:
        ids = portal.contacts(1)
        another_app = portal.gateway(None)
        for _ in range(2):
            another_app.read_objects("contact", ids, ["email"])  # the portal's daily budget is spent elsewhere
        seen: list[tuple[str, int | None]] = []
        gateway = portal.gateway(
            budget(), observer=lambda operation, status, _seconds: seen.append((operation, status))
        )

        with pytest.raises(DailyLimitReached) as raised:
            gateway.read_objects("contact", ids, ["email"])

        midnight = datetime(2026, 11, 27, 0, 1, tzinfo=NEW_YORK)  # and a minute of grace for clock skew
        assert raised.value.resume_at == midnight
        assert raised.value.retry_after == midnight.timestamp() - clock.now
        assert "You have reached your daily limit." in str(raised.value)
        assert portal.guard.stats()["rate_limited"] == {"DAILY": 1}
        assert portal.guard.stats()["total"] == 3  # no retry
        assert seen == [("batch-read contacts", 429)]

        with pytest.raises(DailyLimitReached) as again:
            portal.gateway(budget()).read_objects("contact", ids, ["email"])  # another worker
        assert again.value.resume_at == midnight
        assert portal.guard.stats()["total"] == 3  # it never reached HubSpot


def test_the_last_daily_request_pauses_before_any_429(connections: Callable[[], redis.Redis]) -> None:
    clock = FakeTime(datetime(2026, 11, 26, 15, 0, tzinfo=UTC).timestamp())
    budget = HubSpotBudget(connections(), PREFIX, 190, 5, "UTC", clock, clock.sleep, resume_grace_seconds=0)
    with serving(GuardConfig(daily_limit=2)) as portal:
        ids = portal.contacts(1)
        gateway = portal.gateway(budget)
        for _ in range(2):
            assert list(gateway.read_objects("contact", ids, ["email"])) == ids  # X-HubSpot-RateLimit-Daily-Remaining
        with pytest.raises(DailyLimitReached) as raised:
            gateway.read_objects("contact", ids, ["email"])
        assert raised.value.resume_at == datetime(2026, 11, 27, tzinfo=UTC)
        assert portal.guard.stats()["total"] == 2
        assert portal.guard.stats()["rate_limited"] == {}


# Each attempt: a slot of the budget, the observer told


@pytest.fixture
def faulty_portal() -> Iterator[tuple[Twin, FaultyHubSpot, str]]:
    twin = Twin(access_tokens={TOKEN})
    faulty = FaultyHubSpot(twin.app)
    with TwinServer(faulty).start() as server:  # type: ignore[arg-type]
        yield twin, faulty, server.url


def test_every_attempt_takes_a_slot_and_is_observed_with_its_status_or_none(
    faulty_portal: tuple[Twin, FaultyHubSpot, str], connections: Callable[[], redis.Redis]
) -> None:
    twin, faulty, url = faulty_portal
    contact = twin.create_object("contacts", {"email": "anna@example.com"})
    clock = FakeTime(1_000_000.0)
    budget = HubSpotBudget(connections(), PREFIX, 190, 5, "UTC", clock, clock.sleep)
    seen: list[tuple[str, int | None, float]] = []
    gateway = SdkGateway(TOKEN, url, (1.0, 0.3), POLICY, budget=budget, observer=lambda *call: seen.append(call))
    faulty.add(rate_limited(BATCH_READ, times=1, retry_after="0.05"))
    faulty.add(Fault("POST", BATCH_READ, times=1, status=200, delay=0.6))  # answers after the read timeout

    assert list(gateway.read_objects("contact", [contact], ["email"])) == [contact]

    assert [(operation, status) for operation, status, _ in seen] == [
        ("batch-read contacts", 429),
        ("batch-read contacts", None),
        ("batch-read contacts", 200),
    ]
    assert seen[1][2] >= 0.3  # the attempt that timed out took the read timeout
    assert clock.slept == [0.05]  # the 429's Retry-After held the next attempt back, in every process
    assert connections().zcard(budget.window_key("api")) == 3


def test_a_failing_observer_never_fails_the_call(
    faulty_portal: tuple[Twin, FaultyHubSpot, str], caplog: pytest.LogCaptureFixture
) -> None:
    twin, _faulty, url = faulty_portal
    contact = twin.create_object("contacts", {"email": "anna@example.com"})

    def broken(_operation: str, _status: int | None, _seconds: float) -> None:
        raise RuntimeError("metrics are down")

    gateway = SdkGateway(TOKEN, url, (1.0, 1.0), POLICY, observer=broken)
    with caplog.at_level(logging.ERROR, logger="app.sync.hubspot.sdk"):
        assert list(gateway.read_objects("contact", [contact], ["email"])) == [contact]
    assert [record.getMessage() for record in caplog.records] == ["hubspot.observer-failed"]


# A drain that meets a spent daily budget


@dataclass
class Paused:
    container: Container
    budget: HubSpotBudget
    twin: Twin
    resume_at: datetime


@pytest.fixture
def paused(ledger_url: str, redis_client: redis.Redis, connections: Callable[[], redis.Redis]) -> Iterator[Paused]:
    """Leadflow on the twin, after another worker hit HubSpot's daily limit (a pause in the shared budget)."""
    twin = Twin(access_tokens={ACCESS_TOKEN})
    with twin.serve() as server:

        def budget() -> HubSpotBudget:
            return HubSpotBudget(connections(), "leadflow", 190, 5, "Europe/Berlin")

        container = make_container(
            ledger_url,
            redis_client,
            gateway_factory=lambda: SdkGateway(ACCESS_TOKEN, server.url, (2.0, 5.0), POLICY, budget=budget()),
            settings={"hubspot_api_base": server.url},
        )
        resume_at = budget().pause_for_the_day()
        yield Paused(container, budget(), twin, resume_at)
        container.ledger.engine.dispose()


def test_a_drain_meeting_the_daily_limit_gives_its_contacts_back_and_reports_the_resume_time(
    paused: Paused, caplog: pytest.LogCaptureFixture
) -> None:
    worklist = paused.container.worklist
    contacts = [paused.twin.create_object("contacts", {"email": f"d{n}@example.com"}) for n in range(3)]
    worklist.mark_dirty(contacts, at=time.time() - 5)

    with caplog.at_level(logging.INFO):
        outcome = drain_dirty_contacts(paused.container.provide(DrainContext))

    assert (outcome.claimed, outcome.written, outcome.remaining) == (3, 0, 3)
    assert outcome.paused_until == paused.resume_at.isoformat()
    assert worklist.dirty_count() == 3
    assert worklist.claimed_count() == 0
    assert paused.container.queue.count == 0  # the job that ran the drain schedules the next one, at resume_at
    assert paused.twin.total_requests() == 0
    assert [r.getMessage() for r in caplog.records if "daily-limit" in r.getMessage()] == [
        "hubspot.daily-limit-reached"
    ]


def test_a_drain_job_paused_by_the_daily_limit_ends_successfully_without_burning_a_retry(paused: Paused) -> None:
    contacts = [paused.twin.create_object("contacts", {"email": f"d{n}@example.com"}) for n in range(2)]
    worklist = paused.container.worklist
    worklist.mark_dirty(contacts, at=time.time() - 5)
    assert worklist.schedule("drain")
    (job_id,) = paused.container.queue.job_ids

    queue = paused.container.queue
    ThreadWorker(paused.container).work(burst=True, logging_level="WARNING")

    job = Job.fetch(job_id, connection=queue.connection, serializer=JSONSerializer)
    assert job.get_status() == JobStatus.FINISHED
    assert job.retries_left == 3  # app.sync.jobs.JOBS["drain"]: Retry(max=3, …), untouched
    assert job.return_value()["paused_until"] == paused.resume_at.isoformat()
    assert queue.failed_job_registry.count == 0
    assert worklist.dirty_count() == 2
    assert paused.twin.total_requests() == 0
    # the next drain waits in RQ's scheduler for the reset, once however many drains met the pause
    assert queue.scheduled_job_registry.get_job_ids() == [f"drain-at-{int(paused.resume_at.timestamp())}"]

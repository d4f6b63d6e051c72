"""The RQ jobs on a real ledger, a real Redis and the twin: resolver, reconciler, a failing drain, the debounce.

The container runs on an injected clock (and, for the drain's debounce, an injected sleep), so nothing waits
for real time to pass; HubSpot is the twin behind a fault layer that answers normally unless told otherwise.
"""

from __future__ import annotations

import logging
import signal as signals
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import redis
from redis.client import PubSub
from rq.job import Job, JobStatus
from rq.results import Result
from rq.serializers import JSONSerializer

from app.bootstrap import Container
from app.ledger.records import AssessedContact, Intake, NewSignal
from app.rules.scoring.writes import SCORE
from app.sync.drain import drain
from app.sync.hubspot.retry import RetryPolicy
from app.sync.hubspot.sdk import SdkGateway
from app.sync.reconcile import reconcile
from app.sync.resolve import ASSOCIATION_GRACE, ResolveContext, resolve, resolve_pending_signals
from app.sync.setup import run_setup
from app.workers import LeadflowWorker, ThreadWorker, perform
from app.worklist import Worklist
from hubspot_twin import Twin, TwinServer
from tests.support.app import ACCESS_TOKEN, make_container
from tests.support.faults import Fault, FaultyHubSpot
from tests.support.ledger import assessment, record_drain

FAST_RETRIES = RetryPolicy(attempts=3, max_seconds=5, initial_backoff=0.001, max_backoff=0.002)
BATCH_READ = "/crm/v3/objects/contacts/batch/read"
START = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
DRAIN_RETRIES = 3  # app.sync.jobs.JOBS["drain"].retry


@dataclass
class Clock:
    """The container's clock; `sleep` records what the drain asks for and, if `sleeping_passes_time`, waits."""

    now: datetime = START
    sleeping_passes_time: bool = True
    slept: list[float] = field(default_factory=list)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        if self.sleeping_passes_time:
            self.advance(timedelta(seconds=seconds))


@dataclass
class Leadflow:
    """Leadflow's container on the test clock, the twin behind a fault layer, and the RQ worker."""

    twin: Twin
    faulty: FaultyHubSpot
    container: Container
    clock: Clock

    @property
    def worklist(self) -> Worklist:
        return self.container.worklist

    def setup(self) -> None:
        run_setup(self.container.gateway(), self.container.ledger, self.container.model, self.clock)

    def record(self, *signals: NewSignal) -> None:
        """Store signals as the webhook intake does, received now, without marking anything in Redis."""
        self.container.ledger.signals.record_intake(Intake(signals=signals), self.clock.now)

    def dirty(self) -> set[str]:
        return {member.decode() for member in self.container.redis.zrange(self.worklist.dirty_key, 0, -1)}

    def queued(self) -> list[str]:
        return [job.func_name for job in self.container.queue.get_jobs()]

    def work(self) -> None:
        """Run the queue empty in this thread, as `leadflow worker --burst` does."""
        worker = ThreadWorker(self.container)
        worker.work(burst=True, logging_level="WARNING")

    def job(self, job_id: str) -> Job:
        return Job.fetch(job_id, connection=self.container.redis, serializer=JSONSerializer)


@pytest.fixture
def setting_overrides() -> dict[str, Any]:
    """Settings of the container beyond tests.support.app's defaults (tests parametrize this)."""
    return {}


@pytest.fixture
def leadflow(ledger_url: str, redis_client: redis.Redis, setting_overrides: dict[str, Any]) -> Iterator[Leadflow]:
    twin = Twin(access_tokens={ACCESS_TOKEN})
    faulty = FaultyHubSpot(twin.app)
    clock = Clock()
    with TwinServer(faulty).start() as server:  # type: ignore[arg-type]
        container = make_container(
            ledger_url,
            redis_client,
            gateway_factory=lambda: SdkGateway(ACCESS_TOKEN, server.url, (2.0, 10.0), FAST_RETRIES),
            settings={"hubspot_api_base": server.url, **setting_overrides},
        )
        container = replace(container, clock=clock, sleep=clock.sleep)
        yield Leadflow(twin, faulty, container, clock)
        container.ledger.engine.dispose()


def signal(key: str, kind: str, object_type: str, object_id: str, occurred_at: datetime, **payload: Any) -> NewSignal:
    contact_id = object_id if object_type == "contact" else None
    return NewSignal(key, str(payload.get("subscriptionType", "")), kind, object_type, object_id, contact_id,
                     occurred_at, {"eventId": 1, "objectId": int(object_id), **payload})  # fmt: skip


def company_changed(key: str, company_id: str, at: datetime) -> NewSignal:
    return signal(key, "company.changed", "company", company_id, at, subscriptionType="company.propertyChange",
                  propertyName="industry", propertyValue="MACHINERY")  # fmt: skip


def meeting_created(key: str, meeting_id: str, at: datetime) -> NewSignal:
    return signal(key, "engagement.created", "meeting", meeting_id, at, subscriptionType="object.creation",
                  objectTypeId="0-47")  # fmt: skip


def contact_changed(key: str, contact_id: str, at: datetime) -> NewSignal:
    return signal(key, "contact.changed", "contact", contact_id, at, subscriptionType="contact.propertyChange",
                  propertyName="jobtitle", propertyValue="CTO")  # fmt: skip


def last_seen_at(leadflow: Leadflow, contact_id: str, company_id: str) -> None:
    """Record in the ledger that the contact's last assessment found it at the company."""
    seen = AssessedContact(contact_id, company_id, assessment(40, 0, "B4", None, ()), leadflow.clock.now, True)
    ledger = leadflow.container.ledger
    record_drain(ledger, [seen], [], {}, ledger.signals.watermark(), leadflow.clock.now)


# The resolver


def reconciled(leadflow: Leadflow) -> dict[str, Any]:
    """Run the reconcile job as a worker does; return its report."""
    return perform(leadflow.container, reconcile)


def test_a_company_change_resolves_to_its_contacts_in_hubspot_and_those_last_seen_there(leadflow: Leadflow) -> None:
    twin = leadflow.twin
    company = twin.create_object("companies", {"name": "Kessler Maschinenbau"})
    linked = [twin.create_object("contacts", {"email": f"k{n}@kessler.de"}) for n in range(2)]
    for contact_id in linked:
        twin.associate("contacts", contact_id, "companies", company, primary=True)
    moved_away = twin.create_object("contacts", {"email": "left@kessler.de"})
    last_seen_at(leadflow, moved_away, company)
    twin.create_object("contacts", {"email": "stranger@example.com"})
    leadflow.record(company_changed("c1", company, START))

    assert perform(leadflow.container, resolve) == {"resolved": 1, "waiting": 0, "contacts": 3}
    assert leadflow.dirty() == {*linked, moved_away}
    assert leadflow.container.ledger.signals.pending_object_signals() == []
    assert leadflow.queued() == ["app.sync.drain.drain"]


def test_a_meeting_without_contacts_waits_out_the_grace_period_then_closes_with_none(leadflow: Leadflow) -> None:
    meeting = leadflow.twin.create_object("meetings", {"hs_timestamp": "2026-11-26T09:00:00Z"})
    leadflow.record(meeting_created("m1", meeting, START))

    leadflow.clock.advance(ASSOCIATION_GRACE - timedelta(seconds=1))
    assert perform(leadflow.container, resolve) == {"resolved": 0, "waiting": 1, "contacts": 0}
    assert [s.object_id for s in leadflow.container.ledger.signals.pending_object_signals()] == [meeting]

    leadflow.clock.advance(timedelta(seconds=1))
    assert perform(leadflow.container, resolve) == {"resolved": 1, "waiting": 0, "contacts": 0}
    assert leadflow.container.ledger.signals.pending_object_signals() == []
    assert leadflow.container.ledger.counts().engagements == 0
    assert leadflow.dirty() == set()
    assert leadflow.queued() == []


def test_a_meeting_associated_during_the_grace_period_becomes_its_contacts_engagement(leadflow: Leadflow) -> None:
    contact = leadflow.twin.create_object("contacts", {"email": "anna@kessler.de"})
    meeting = leadflow.twin.create_object("meetings", {"hs_timestamp": "2026-11-26T09:00:00Z"})
    leadflow.record(meeting_created("m1", meeting, START))
    assert perform(leadflow.container, resolve)["waiting"] == 1

    leadflow.twin.associate("meetings", meeting, "contacts", contact)
    leadflow.clock.advance(timedelta(minutes=2))
    assert perform(leadflow.container, resolve) == {"resolved": 1, "waiting": 0, "contacts": 1}
    engagements = leadflow.container.ledger.contacts.engagements_of([contact])[contact]
    assert [(e.type, e.occurred_at) for e in engagements] == [("meeting_booked", START)]
    assert leadflow.dirty() == {contact}
    assert leadflow.queued() == ["app.sync.drain.drain"]


def test_meetings_waiting_for_their_contacts_do_not_hold_up_the_signals_behind_them(leadflow: Leadflow) -> None:
    contact = leadflow.twin.create_object("contacts", {"email": "anna@kessler.de"})
    company = leadflow.twin.create_object("companies", {"name": "Kessler Maschinenbau"})
    leadflow.twin.associate("contacts", contact, "companies", company, primary=True)
    meetings = [leadflow.twin.create_object("meetings", {"hs_timestamp": "2026-11-26T09:00:00Z"}) for _ in range(2)]
    leadflow.record(meeting_created("m1", meetings[0], START), meeting_created("m2", meetings[1], START))
    leadflow.record(company_changed("c1", company, START))
    context = replace(leadflow.container.provide(ResolveContext), batch_size=2)

    report = resolve_pending_signals(context)

    assert leadflow.dirty() == {contact}
    assert report.waiting == 2
    assert "app.sync.resolve.resolve" not in leadflow.queued()


# The reconciler


@pytest.mark.parametrize("setting_overrides", [{"reconcile_grace_seconds": 60}])
def test_contacts_whose_signals_stay_unprocessed_past_the_grace_period_are_marked_dirty_again(
    leadflow: Leadflow,
) -> None:
    leadflow.record(contact_changed("s1", "101", START), contact_changed("s2", "102", START))  # Redis lost the marks

    leadflow.clock.advance(timedelta(seconds=59))
    assert reconciled(leadflow) == {
        "released_claims": 0,
        "expired_claims": 0,
        "remarked": 0,
        "rechecked": 0,
        "waiting_objects": 0,
    }
    assert (leadflow.dirty(), leadflow.queued()) == (set(), [])

    leadflow.clock.advance(timedelta(seconds=2))
    assert reconciled(leadflow) == {
        "released_claims": 0,
        "expired_claims": 0,
        "remarked": 2,
        "rechecked": 0,
        "waiting_objects": 0,
    }
    assert leadflow.dirty() == {"101", "102"}
    assert leadflow.queued() == ["app.sync.drain.drain"]
    assert leadflow.worklist.oldest_dirty() == leadflow.clock.now.timestamp()

    assert reconciled(leadflow)["remarked"] == 2
    assert leadflow.queued() == ["app.sync.drain.drain"]  # one pending drain is enough


def test_a_processed_signal_is_not_marked_dirty_again(leadflow: Leadflow) -> None:
    leadflow.record(contact_changed("s1", "101", START))
    last_seen_at(leadflow, "101", "501")  # the drain recorded the contact: its signals are processed
    leadflow.clock.advance(timedelta(hours=1))
    assert reconciled(leadflow) == {
        "released_claims": 0,
        "expired_claims": 0,
        "remarked": 0,
        "rechecked": 0,
        "waiting_objects": 0,
    }
    assert leadflow.queued() == []


def test_expired_claims_go_back_to_dirty(leadflow: Leadflow) -> None:
    start = START.timestamp()
    leadflow.worklist.mark_dirty(["201", "202"], at=start)
    assert sorted(leadflow.worklist.claim(10, ready_before=start, now=start, lease_until=start + 60)) == ["201", "202"]

    leadflow.clock.advance(timedelta(seconds=30))
    assert reconciled(leadflow)["expired_claims"] == 0
    assert (leadflow.worklist.claimed_count(), leadflow.dirty(), leadflow.queued()) == (2, set(), [])

    leadflow.clock.advance(timedelta(seconds=31))
    assert reconciled(leadflow)["expired_claims"] == 2
    assert leadflow.worklist.claimed_count() == 0
    assert leadflow.dirty() == {"201", "202"}
    assert leadflow.queued() == ["app.sync.drain.drain"]


def test_contacts_to_recheck_are_marked_dirty_once_their_recheck_is_due(leadflow: Leadflow) -> None:
    start = START.timestamp()
    leadflow.worklist.recheck_later(["301"], at=start + 60)  # a write of 301 went unanswered
    leadflow.worklist.recheck_later(["301"], at=start + 30)  # an earlier time does not bring the recheck forward
    leadflow.worklist.recheck_later(["302"], at=start + 10)

    leadflow.clock.advance(timedelta(seconds=30))
    assert reconciled(leadflow)["rechecked"] == 1
    assert (leadflow.dirty(), leadflow.queued()) == ({"302"}, ["app.sync.drain.drain"])

    leadflow.clock.advance(timedelta(seconds=30))
    assert reconciled(leadflow)["rechecked"] == 1
    assert leadflow.dirty() == {"301", "302"}
    assert reconciled(leadflow)["rechecked"] == 0  # taken once


def test_company_and_meeting_signals_waiting_past_the_grace_period_schedule_the_resolver(leadflow: Leadflow) -> None:
    leadflow.record(company_changed("c1", "501", START), meeting_created("m1", "9001", START))
    leadflow.clock.advance(timedelta(seconds=leadflow.container.settings.reconcile_grace_seconds + 1))
    assert reconciled(leadflow) == {
        "released_claims": 0,
        "expired_claims": 0,
        "remarked": 0,
        "rechecked": 0,
        "waiting_objects": 2,
    }
    assert leadflow.queued() == ["app.sync.resolve.resolve"]


# A drain that fails


def refuse_unknown_properties(leadflow: Leadflow) -> str:
    """No `leadflow setup` ran: HubSpot refuses the batch update of properties it does not have."""
    return "PROPERTY_DOESNT_EXIST"


def answer_503(leadflow: Leadflow) -> str:
    leadflow.faulty.add(Fault("POST", BATCH_READ, times=1000, status=503, body={"message": "down for maintenance"}))
    return "503: down for maintenance"


@pytest.mark.parametrize(
    ("break_hubspot", "error"),
    [(refuse_unknown_properties, "PermanentHubSpotError"), (answer_503, "TransientHubSpotError")],
    ids=["refused", "unavailable"],
)
def test_a_failed_drain_gives_its_contacts_back_and_rq_retries_it_then_records_why(
    leadflow: Leadflow, caplog: pytest.LogCaptureFixture, break_hubspot: Callable[[Leadflow], str], error: str
) -> None:
    contacts = [leadflow.twin.create_object("contacts", {"email": f"d{n}@kessler.de"}) for n in range(2)]
    reason = break_hubspot(leadflow)
    leadflow.worklist.mark_dirty(contacts, at=START.timestamp())
    assert leadflow.worklist.schedule("drain")
    (job_id,) = leadflow.container.queue.job_ids

    with caplog.at_level(logging.ERROR, logger="rq.worker"):
        leadflow.work()

    assert leadflow.dirty() == set(contacts)
    assert leadflow.worklist.claimed_count() == 0
    job = leadflow.job(job_id)
    assert job.get_status() == JobStatus.SCHEDULED  # Retry(max=3, interval=[5, 30, 120])
    assert job_id in leadflow.container.queue.scheduled_job_registry.get_job_ids()
    assert job.retries_left == DRAIN_RETRIES - 1
    assert job.latest_result() is None  # RQ records no failure for a job it will retry ...
    failures = [r.getMessage() for r in caplog.records if r.name == "rq.worker" and job_id in r.getMessage()]
    assert len(failures) == 1  # ... the worker's log is where the reason shows until the last try
    assert error in failures[0]
    assert reason in failures[0]

    for _retry in range(DRAIN_RETRIES):
        leadflow.container.queue.scheduled_job_registry.requeue(job_id)  # the retry falls due
        leadflow.work()

    job = leadflow.job(job_id)
    assert job.get_status() == JobStatus.FAILED
    assert job_id in leadflow.container.queue.failed_job_registry.get_job_ids()
    result = job.latest_result()
    assert result is not None
    assert result.type == Result.Type.FAILED
    assert error in (result.exc_string or "")
    assert reason in (result.exc_string or "")
    assert leadflow.dirty() == set(contacts)
    assert leadflow.worklist.claimed_count() == 0


# The drain's debounce


@pytest.mark.parametrize("setting_overrides", [{"drain_debounce_seconds": 5}])
def test_a_contact_marked_dirty_just_now_is_not_claimed_before_the_debounce(leadflow: Leadflow) -> None:
    leadflow.setup()
    contact = leadflow.twin.create_object("contacts", {"email": "anna@kessler.de"})
    leadflow.worklist.mark_dirty([contact], at=leadflow.clock.now.timestamp())
    leadflow.clock.sleeping_passes_time = False  # the sleep returns, but no time has passed

    report = perform(leadflow.container, drain)

    assert leadflow.clock.slept == [5.0]
    assert (report["claimed"], report["written"], report["remaining"]) == (0, 0, 1)
    assert leadflow.dirty() == {contact}
    assert leadflow.worklist.claimed_count() == 0
    assert SCORE not in leadflow.twin.get_object("contacts", contact)


@pytest.mark.parametrize("setting_overrides", [{"drain_debounce_seconds": 5}])
def test_the_drain_waits_out_the_debounce_then_scores_the_contact(leadflow: Leadflow) -> None:
    leadflow.setup()
    contact = leadflow.twin.create_object("contacts", {"email": "anna@kessler.de"})
    leadflow.worklist.mark_dirty([contact], at=(leadflow.clock.now - timedelta(seconds=2)).timestamp())

    report = perform(leadflow.container, drain)

    assert leadflow.clock.slept == [3.0]  # only what is left of the five seconds
    assert (report["claimed"], report["written"], report["remaining"]) == (1, 1, 0)
    assert leadflow.dirty() == set()
    assert leadflow.worklist.claimed_count() == 0
    assert leadflow.twin.get_object("contacts", contact)[SCORE] == "0"


@pytest.mark.parametrize("setting_overrides", [{"drain_debounce_seconds": 5}])
def test_a_contact_dirty_for_longer_than_the_debounce_is_drained_without_waiting(leadflow: Leadflow) -> None:
    leadflow.setup()
    contact = leadflow.twin.create_object("contacts", {"email": "anna@kessler.de"})
    leadflow.worklist.mark_dirty([contact], at=(leadflow.clock.now - timedelta(seconds=6)).timestamp())

    assert perform(leadflow.container, drain)["claimed"] == 1
    assert leadflow.clock.slept == []


@pytest.mark.parametrize("setting_overrides", [{"drain_debounce_seconds": 5}])
def test_once_the_oldest_has_waited_the_debounce_the_drain_takes_every_dirty_contact(leadflow: Leadflow) -> None:
    """The debounce is a batching window: a contact that became dirty a moment ago goes with the rest, instead
    of waiting for a drain of its own (back-to-back drains of a few contacts spend HubSpot's budget)."""
    leadflow.setup()
    old, new = (leadflow.twin.create_object("contacts", {"email": f"{n}@kessler.de"}) for n in ("anna", "ben"))
    leadflow.worklist.mark_dirty([old], at=(leadflow.clock.now - timedelta(seconds=6)).timestamp())
    leadflow.worklist.mark_dirty([new], at=leadflow.clock.now.timestamp())

    report = perform(leadflow.container, drain)

    assert (report["claimed"], report["written"], report["remaining"]) == (2, 2, 0)
    assert leadflow.clock.slept == []
    assert leadflow.dirty() == set()


def test_a_burst_worker_stops_at_once_even_when_its_pubsub_thread_saw_the_unsubscribe_first(
    leadflow: Leadflow, monkeypatch: pytest.MonkeyPatch
) -> None:
    # redis 8.2 made PubSubWorkerThread.stop() wait for the thread; a thread that read the unsubscribe reply before
    # stop() cleared its flag then sleeps rq's 60 s in get_message, so a worker took a minute to stop (a race, hit
    # under load; pyproject.toml keeps redis below 8.2). The pause after UNSUBSCRIBE makes the thread win the race
    # every time. A hang guard, not a speed target: stopping takes about a second, the bound is far from both.
    unsubscribe = PubSub.unsubscribe

    def unsubscribe_then_pause(self: PubSub, *args: Any) -> Any:
        sent = unsubscribe(self, *args)
        time.sleep(0.3)
        return sent

    monkeypatch.setattr(PubSub, "unsubscribe", unsubscribe_then_pause)
    handlers = {signum: signals.getsignal(signum) for signum in (signals.SIGINT, signals.SIGTERM)}
    started = time.monotonic()
    try:
        for worker in (ThreadWorker(leadflow.container), LeadflowWorker(leadflow.container)):
            assert worker.work(burst=True, logging_level="WARNING") is False
    finally:  # RQ's forking worker installs its own handlers in this process: later tests must not inherit them
        for signum, handler in handlers.items():
            signals.signal(signum, handler)
    assert time.monotonic() - started < 30

"""Failed jobs through RQ on the real Redis: retried with backoff, then listed with their reason, then requeued.

Scheduled retries are made due by hand (RQ's scheduled registry), as tests/integration/test_jobs.py does, so
nothing waits for RQ's intervals; a `ThreadWorker` runs the queue in this thread.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
import redis
from rq import Queue, SimpleWorker, get_current_job
from rq.job import Job, JobStatus
from rq.serializers import JSONSerializer

from app.bootstrap import Container
from app.failed_jobs import FailedJob, list_failed, requeue_failed, summarize
from app.rules.scoring.writes import SCORE
from app.sync.hubspot.retry import RetryPolicy
from app.sync.hubspot.sdk import SdkGateway
from app.sync.setup import run_setup
from app.workers import ThreadWorker
from hubspot_twin import Twin, TwinServer
from tests.support.app import ACCESS_TOKEN, make_container
from tests.support.faults import Fault, FaultyHubSpot

FAST_RETRIES = RetryPolicy(attempts=2, max_seconds=5, initial_backoff=0.001, max_backoff=0.002)
BATCH_READ = "/crm/v3/objects/contacts/batch/read"
DRAIN_RETRIES = 3  # app.sync.jobs.JOBS["drain"]: Retry(max=3, interval=[5, 30, 120])
BROKEN = "failed-jobs-test:broken"
DOWN = "down for maintenance"
SECRET = "pat-na1-11111111-2222-3333-4444-555555555555"


def work(container: Container) -> None:
    """Run the queue empty in this thread, as `leadflow worker --burst` does."""
    ThreadWorker(container).work(burst=True, logging_level="CRITICAL")


def work_plain(queue: Queue) -> None:
    """Run a queue of plain (non-Leadflow) jobs empty in this thread."""
    SimpleWorker([queue], connection=queue.connection, serializer=JSONSerializer).work(
        burst=True, logging_level="CRITICAL"
    )


def make_retries_due(container: Container, job_id: str) -> None:
    """Run every retry RQ scheduled for the job now, instead of after its interval."""
    queue = container.queue
    while job_id in queue.scheduled_job_registry.get_job_ids():
        queue.scheduled_job_registry.requeue(job_id)
        work(container)


# The drain job, failing on HubSpot, all the way through RQ


@dataclass
class Leadflow:
    twin: Twin
    faulty: FaultyHubSpot
    container: Container


@pytest.fixture
def leadflow(ledger_url: str, redis_client: redis.Redis) -> Iterator[Leadflow]:
    twin = Twin(access_tokens={ACCESS_TOKEN})
    faulty = FaultyHubSpot(twin.app)
    with TwinServer(faulty).start() as server:  # type: ignore[arg-type]
        container = make_container(
            ledger_url,
            redis_client,
            gateway_factory=lambda: SdkGateway(ACCESS_TOKEN, server.url, (2.0, 5.0), FAST_RETRIES),
            settings={"hubspot_api_base": server.url},
        )
        yield Leadflow(twin, faulty, container)
        container.ledger.engine.dispose()


def test_a_drain_that_keeps_failing_is_retried_then_listed_then_requeued_and_done(leadflow: Leadflow) -> None:
    container, queue = leadflow.container, leadflow.container.queue
    run_setup(container.gateway(), container.ledger, container.model, container.clock, nurture=container.nurture_config)
    contact = leadflow.twin.create_object("contacts", {"email": "anna@example.com"})
    leadflow.faulty.add(Fault("POST", BATCH_READ, times=1000, status=503, body={"message": DOWN}))
    container.worklist.mark_dirty([contact], at=container.clock().timestamp() - 5)
    before = datetime.now(UTC)
    assert container.worklist.schedule("drain")
    (job_id,) = queue.job_ids

    work(container)
    assert list_failed(queue) == []  # a job RQ will retry is not failed yet
    assert queue.scheduled_job_registry.get_job_ids() == [job_id]
    make_retries_due(container, job_id)

    (failed,) = list_failed(queue)
    assert failed == FailedJob(
        id=job_id,
        function="app.sync.drain.drain",
        enqueued_at=failed.enqueued_at,
        ended_at=failed.ended_at,
        exc_summary=f"app.sync.hubspot.errors.TransientHubSpotError: batch-read contacts: HubSpot answered 503: {DOWN}",
        retries_left=0,
    )
    assert failed.enqueued_at is not None and failed.ended_at is not None
    assert (
        before - timedelta(seconds=1) <= failed.enqueued_at.replace(tzinfo=UTC) <= failed.ended_at.replace(tzinfo=UTC)
    )
    attempts = [seen for seen in leadflow.faulty.seen if seen[1] == BATCH_READ]
    assert len(attempts) == (1 + DRAIN_RETRIES) * FAST_RETRIES.attempts
    assert ACCESS_TOKEN not in failed.exc_summary

    leadflow.faulty.faults.clear()  # HubSpot is back
    assert requeue_failed(queue) == 1
    assert list_failed(queue) == []
    work(container)

    job = Job.fetch(job_id, connection=queue.connection, serializer=JSONSerializer)
    assert job.get_status() == JobStatus.FINISHED
    assert leadflow.twin.get_object("contacts", contact)[SCORE] == "0"
    assert container.worklist.dirty_count() == 0


# Listing and requeueing, on jobs of this module


def flaky(name: str) -> str:
    """A job that fails, naming a credential the way a careless library might, while its name is broken."""
    job = get_current_job()
    assert job is not None
    if job.connection.sismember(BROKEN, name):
        raise ConnectionError(f"{name}: POST https://api.hubapi.com failed (Authorization: Bearer {SECRET})")
    return name


@pytest.fixture
def queue(redis_client: redis.Redis) -> Queue:
    return Queue("failed-jobs-test", connection=redis_client, serializer=JSONSerializer)


def enqueue_broken(queue: Queue, *names: str) -> list[str]:
    queue.connection.sadd(BROKEN, *names)
    return [queue.enqueue(flaky, name, failure_ttl=3600).id for name in names]


def test_failed_jobs_are_listed_oldest_first_with_the_last_line_of_their_error_and_no_secret(queue: Queue) -> None:
    first, second = enqueue_broken(queue, "first", "second")
    work_plain(queue)

    listed = list_failed(queue)

    assert [job.id for job in listed] == [first, second]
    assert [job.function for job in listed] == [f"{__name__}.flaky"] * 2
    assert listed[0].exc_summary == (
        "ConnectionError: first: POST https://api.hubapi.com failed (Authorization: Bearer ***)"
    )
    assert all(SECRET not in job.exc_summary for job in listed)
    assert [job.retries_left for job in listed] == [None, None]  # enqueued without retries


def test_only_the_given_failed_jobs_are_requeued(queue: Queue) -> None:
    first, second = enqueue_broken(queue, "first", "second")
    work_plain(queue)
    queue.connection.srem(BROKEN, "first")

    assert requeue_failed(queue, [first, first, "no-such-job"]) == 1
    work_plain(queue)

    assert Job.fetch(first, connection=queue.connection, serializer=JSONSerializer).return_value() == "first"
    assert [job.id for job in list_failed(queue)] == [second]
    assert requeue_failed(queue, [first]) == 0  # it is not failed any more


def test_a_failed_job_that_fails_again_is_listed_again(queue: Queue) -> None:
    (job_id,) = enqueue_broken(queue, "stubborn")
    work_plain(queue)
    assert requeue_failed(queue) == 1
    work_plain(queue)
    assert [job.id for job in list_failed(queue)] == [job_id]


def test_no_failed_jobs_list_nothing_and_requeue_nothing(queue: Queue) -> None:
    assert list_failed(queue) == []
    assert requeue_failed(queue) == 0


@pytest.mark.parametrize(
    ("traceback", "summary"),
    [
        ("Traceback (most recent call last):\n  File x\nValueError: bad\n\n", "ValueError: bad"),
        ("", "no reason recorded"),
        (None, "no reason recorded"),
        ("KeyError: token=abc123 secret: s3cr3t", "KeyError: token=*** secret: ***"),
        (
            "OperationalError: postgresql://leadflow:hunter2@db/leadflow",
            "OperationalError: postgresql://***@db/leadflow",
        ),
        (f"HTTPError: {SECRET} refused", "HTTPError: *** refused"),
        ("RuntimeError: Authorization: Basic dXNlcjpwYXNz", "RuntimeError: Authorization: Basic ***"),
        ("E: " + "x" * 400, "E: " + "x" * 296 + "…"),
    ],
)
def test_the_summary_is_the_last_line_without_credentials(traceback: str | None, summary: str) -> None:
    assert summarize(traceback) == summary

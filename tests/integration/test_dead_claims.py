"""The claims of a drain whose worker died come back at the next reconcile, not when their lease runs out.

RQ's own records in a real Redis: a worker registered as RQ registers it, a drain job started on it as RQ starts
one, and the worker's death as RQ sees a SIGKILLed one (its heartbeat's time to live runs out).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from rq import Worker
from rq.job import Job
from rq.serializers import JSONSerializer

from app.bootstrap import Container
from app.sync.holders import RqHolders, current_holder
from app.sync.reconcile import reconcile
from app.workers import perform
from tests.support.app import make_container

LEASE = 900.0
CONTACTS = ["101", "102", "103"]


@pytest.fixture
def container(ledger_url: str, redis_client: redis.Redis) -> Iterator[Container]:
    built = make_container(ledger_url, redis_client)
    yield built
    built.ledger.engine.dispose()


def started_drain(container: Container, name: str) -> tuple[Worker, Job]:
    """A worker as RQ registers it, running a drain job as RQ starts one; return both."""
    worker = Worker([container.queue], connection=container.redis, serializer=JSONSerializer, name=name)
    worker.register_birth()
    job = container.queue.create_job("app.sync.drain.drain")  # dequeued already
    job.save()
    with container.redis.pipeline() as pipeline:
        job.prepare_for_execution(worker.name, pipeline)
        pipeline.execute()
    return worker, job


def claim_as(container: Container, job: Job | None, worker: Worker | None) -> list[str]:
    """Claim the contacts as the drain of `job` on `worker` does (no holder when either is None)."""
    holder = f"{job.id}@{worker.name}" if job and worker else None
    now = time.time()
    container.worklist.mark_dirty(CONTACTS, at=now - 10)
    return container.worklist.claim(100, ready_before=now, now=now, lease_until=now + LEASE, holder=holder)


def reconciled(container: Container) -> dict[str, Any]:
    return perform(container, reconcile)


def queued(container: Container) -> list[str]:
    return [job.func_name for job in container.queue.get_jobs()]


def test_the_claims_of_a_drain_whose_worker_lives_stay_claimed(container: Container) -> None:
    worker, job = started_drain(container, "alive")
    assert sorted(claim_as(container, job, worker)) == CONTACTS
    assert reconciled(container)["released_claims"] == 0
    assert (container.worklist.claimed_count(), container.worklist.dirty_count()) == (3, 0)


def test_the_claims_of_a_drain_whose_worker_stopped_heartbeating_go_back_to_dirty_at_the_next_reconcile(
    container: Container,
) -> None:
    worker, job = started_drain(container, "killed")
    claim_as(container, job, worker)
    worker.heartbeat(timeout=1)  # its last heartbeat: SIGKILLed, it sends no other
    time.sleep(1.2)
    assert not container.redis.exists(worker.key), "RQ no longer sees the worker"

    report = reconciled(container)

    assert (report["released_claims"], report["expired_claims"]) == (3, 0)
    assert (container.worklist.claimed_count(), container.worklist.dirty_count()) == (0, 3)
    assert container.worklist.claims_by_holder() == {}
    assert queued(container) == ["app.sync.drain.drain"]


def test_the_claims_of_a_drain_job_no_longer_running_on_its_living_worker_go_back_to_dirty(
    container: Container,
) -> None:
    worker, job = started_drain(container, "survivor")  # its work horse was killed; RQ failed the job
    claim_as(container, job, worker)
    job.set_status("failed")
    assert reconciled(container)["released_claims"] == 3
    assert container.worklist.claimed_count() == 0


def test_a_drain_retried_on_another_worker_no_longer_holds_the_claims_of_its_first_run(
    container: Container,
) -> None:
    first, job = started_drain(container, "first")
    claim_as(container, job, first)
    second = Worker([container.queue], connection=container.redis, serializer=JSONSerializer, name="second")
    second.register_birth()
    with container.redis.pipeline() as pipeline:  # RQ found the job abandoned and retried it on `second`
        job.prepare_for_execution(second.name, pipeline)
        pipeline.execute()
    assert RqHolders(container.redis).dead({f"{job.id}@first", f"{job.id}@second"}) == {f"{job.id}@first"}
    assert reconciled(container)["released_claims"] == 3


def test_claims_made_outside_a_worker_wait_out_their_lease(container: Container) -> None:
    assert current_holder() is None
    claim_as(container, None, None)
    assert reconciled(container)["released_claims"] == 0
    assert container.worklist.claimed_count() == 3


def test_a_drain_that_outlived_its_dead_worker_cannot_release_the_claims_its_successor_holds(
    container: Container,
) -> None:
    worker, job = started_drain(container, "gone")
    claim_as(container, job, worker)
    container.redis.delete(worker.key)  # its heartbeat's time to live ran out
    assert reconciled(container)["released_claims"] == 3
    successor, retried = started_drain(container, "successor")
    assert sorted(claim_as(container, retried, successor)) == CONTACTS

    container.worklist.release(CONTACTS, holder=f"{job.id}@gone")  # the old work horse finishes late
    container.worklist.return_to_dirty(CONTACTS, at=time.time(), holder=f"{job.id}@gone")

    assert container.worklist.claims_by_holder() == {f"{retried.id}@successor": CONTACTS}
    assert (container.worklist.claimed_count(), container.worklist.dirty_count()) == (3, 0)

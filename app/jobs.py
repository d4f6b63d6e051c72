"""RQ entry points: each job turns its (absent) arguments into one call of the shell, and says how it retries.

Jobs run in a worker process whose container was installed by `worker.py` (or the embedded demo); a forked
work-horse re-opens its connections first. Job arguments are JSON primitives (the queue's serializer).
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from datetime import timedelta
from typing import Any

from rq import Queue, Retry

from app import bootstrap
from app.sync.drain import drain_dirty_contacts
from app.sync.reconcile import reconcile as reconcile_ledger
from app.sync.resolve import resolve_pending_signals

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class JobSpec:
    function: str
    timeout: int
    retry: Retry | None
    failure_ttl: int = 7 * 24 * 3600
    result_ttl: int = 300


JOBS = {
    "drain": JobSpec("app.jobs.drain", timeout=900, retry=Retry(max=3, interval=[5, 30, 120])),
    "resolve": JobSpec("app.jobs.resolve", timeout=900, retry=Retry(max=3, interval=[5, 30, 120])),
    "reconcile": JobSpec("app.jobs.reconcile", timeout=300, retry=None),
}


def enqueue_job(queue: Queue, name: str) -> None:
    """Enqueue the job called `name` with its timeout and retry policy."""
    spec = JOBS[name]
    queue.enqueue(
        spec.function,
        job_timeout=spec.timeout,
        retry=spec.retry,
        failure_ttl=spec.failure_ttl,
        result_ttl=spec.result_ttl,
        description=f"leadflow {name}",
    )


def drain() -> dict[str, Any]:
    """Drain one batch of dirty contacts."""
    report = drain_dirty_contacts(bootstrap.current().drain_context())
    logger.info("job.drain", extra=asdict(report))
    return asdict(report)


def resolve() -> dict[str, Any]:
    """Resolve waiting company and engagement-object signals to their contacts."""
    report = resolve_pending_signals(bootstrap.current().resolve_context())
    logger.info("job.resolve", extra=asdict(report))
    return asdict(report)


def reconcile() -> dict[str, Any]:
    """Re-mark work the worklist lost, from the ledger."""
    container = bootstrap.current()
    grace = timedelta(seconds=container.settings.reconcile_grace_seconds)
    report = reconcile_ledger(container.ledger, container.worklist, container.clock, grace)
    logger.info("job.reconcile", extra=asdict(report))
    return asdict(report)

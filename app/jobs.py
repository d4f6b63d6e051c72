"""RQ entry points: each job turns its (absent) arguments into one call of the shell, and says how it retries.

Jobs run in a worker process whose container was installed by `worker.py` (or the embedded demo); a forked
work-horse re-opens its connections first. Job arguments are JSON primitives (the queue's serializer).
Every job runs with its name and RQ job id in the log context, and is counted and timed in the metrics
(`leadflow_jobs_total`, `leadflow_job_duration_seconds`); the drain and the resolver record what they did.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from rq import Queue, Retry, get_current_job
from rq.exceptions import DuplicateJobError

from app import bootstrap
from app.logs import log_context
from app.observability.metrics import Metrics
from app.observability.recorders import record_drain, record_job, record_resolve
from app.sync.drain import drain_dirty_contacts
from app.sync.errors import DailyLimitReached
from app.sync.reconcile import reconcile as reconcile_ledger
from app.sync.rescore import cache_company_page, rescore_contact_page
from app.sync.resolve import resolve_pending_signals
from app.sync.retention import apply_retention

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
    "retention": JobSpec("app.jobs.retention", timeout=1800, retry=Retry(max=2, interval=[60, 600])),
    # A failed page's contacts go back to the dirty set (the drain retries them); the chain has already moved on.
    "rescore-companies": JobSpec("app.jobs.rescore_companies", timeout=600, retry=Retry(max=2, interval=[5, 30])),
    "rescore-contacts": JobSpec("app.jobs.rescore_contacts", timeout=600, retry=None),
}


def enqueue_job(queue: Queue, name: str, *args: str | None) -> None:
    """Enqueue the job called `name` (with these JSON arguments) with its timeout and retry policy."""
    spec = JOBS[name]
    queue.enqueue(
        spec.function,
        *args,
        job_timeout=spec.timeout,
        retry=spec.retry,
        failure_ttl=spec.failure_ttl,
        result_ttl=spec.result_ttl,
        description=f"leadflow {name}",
    )


def enqueue_job_at(queue: Queue, name: str, when: datetime) -> bool:
    """Schedule job `name` for `when` (RQ's scheduler runs it); asking again for the same time is a no-op."""
    spec = JOBS[name]
    try:
        queue.enqueue_at(
            when,
            spec.function,
            job_id=f"{name}-at-{int(when.timestamp())}",
            unique=True,
            job_timeout=spec.timeout,
            retry=spec.retry,
            failure_ttl=spec.failure_ttl,
            result_ttl=spec.result_ttl,
            description=f"leadflow {name} (after HubSpot's daily limit)",
        )
    except DuplicateJobError:
        return False
    return True


def _metrics(container: bootstrap.Container) -> Metrics:
    return Metrics(container.redis, container.settings.redis_prefix)


@contextmanager
def _running(name: str) -> Iterator[bootstrap.Container]:
    """Run a job body with its name and RQ job id in the log context; count and time it."""
    job = get_current_job()
    container = bootstrap.current()
    with log_context(job=name, job_id=job.id if job else None):
        started, ok = time.monotonic(), False
        try:
            yield container
            ok = True
        finally:
            record_job(_metrics(container), name, time.monotonic() - started, ok)


def drain() -> dict[str, Any]:
    """Drain one batch of dirty contacts."""
    with _running("drain") as container:
        report = drain_dirty_contacts(container.drain_context())
        if report.paused_until is not None:  # HubSpot's daily limit: drain again when it resets
            enqueue_job_at(container.queue, "drain", datetime.fromisoformat(report.paused_until))
        record_drain(_metrics(container), report)
        summary = {key: value for key, value in asdict(report).items() if key != "write_latencies"}
        logger.info("job.drain", extra=summary)
    return summary


def resolve() -> dict[str, Any]:
    """Resolve waiting company and engagement-object signals to their contacts."""
    with _running("resolve") as container:
        try:
            report = resolve_pending_signals(container.resolve_context())
        except DailyLimitReached as exc:
            enqueue_job_at(container.queue, "resolve", exc.resume_at)
            return {"paused_until": exc.resume_at.isoformat()}
        record_resolve(_metrics(container), report.resolved)
        logger.info("job.resolve", extra=asdict(report))
    return asdict(report)


def rescore_companies(run_id: str, after: str | None) -> dict[str, Any]:
    """List a few pages of companies into the company cache, for re-score run `run_id`."""
    with _running("rescore-companies") as container:
        kept = cache_company_page(container.rescore_context(), run_id, after)
    return {"run": run_id, "companies": kept}


def rescore_contacts(run_id: str, after: str | None) -> dict[str, Any]:
    """List and score a few pages of contacts, for re-score run `run_id`."""
    with _running("rescore-contacts") as container:
        report = rescore_contact_page(container.rescore_context(), run_id, after)
        record_drain(_metrics(container), report)
    return {"run": run_id, **{k: v for k, v in asdict(report).items() if k != "write_latencies"}}


def reconcile() -> dict[str, Any]:
    """Re-mark work the worklist lost, from the ledger."""
    with _running("reconcile") as container:
        grace = timedelta(seconds=container.settings.reconcile_grace_seconds)
        report = reconcile_ledger(container.ledger, container.worklist, container.clock, grace)
        logger.info("job.reconcile", extra=asdict(report))
    return asdict(report)


def retention() -> dict[str, Any]:
    """Apply the retention settings: prune old signals, erase contacts deleted long ago."""
    with _running("retention") as container:
        settings = container.settings
        report = apply_retention(
            container.ledger, container.clock, settings.signal_retention_days, settings.deleted_contact_retention_days
        )
    return asdict(report)

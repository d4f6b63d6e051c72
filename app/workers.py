"""Running Leadflow's jobs: a forking RQ worker for production, a thread for the embedded demo, and `perform`,
which runs one job function the way both do.

A worker holds the process's container (the composition root's adapters) and hands each job the context its
declaration `needs` (app/sync/jobs.py): no job looks its wiring up through a global. Every job runs with its name
and RQ job id in the log context, is counted and timed in the metrics (`leadflow_jobs_total`,
`leadflow_job_duration_seconds`), and its report is recorded and logged; RQ keeps the report as JSON.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, is_dataclass
from typing import Any

from rq import Queue, SimpleWorker, Worker, get_current_job
from rq.job import Job
from rq.scheduler import RQScheduler
from rq.serializers import JSONSerializer
from rq.timeouts import TimerDeathPenalty

from app.bootstrap import Container
from app.logs import log_context
from app.observability.metrics import Metrics
from app.observability.recorders import record_job, record_report
from app.sync.jobs import spec_of

logger = logging.getLogger(__name__)


def perform(container: Container, function: Callable[..., Any], *args: Any) -> dict[str, Any]:
    """Run a declared job function with its context from `container`; record and log its report; return it as
    JSON-ready values."""
    spec = spec_of(function)
    context: object = container.provide(spec.needs)
    metrics = Metrics(container.redis, container.settings.redis_prefix)
    job = get_current_job()
    with log_context(job=spec.name, job_id=job.id if job else None):
        started, ok = time.monotonic(), False
        try:
            report = function(context, *args)
            ok = True
        finally:
            record_job(metrics, spec.name, time.monotonic() - started, ok)
        record_report(metrics, report)
        summary = _summary(report)
        logger.info(f"job.{spec.name}", extra=summary)
    return summary


def _summary(report: object) -> dict[str, Any]:
    """A report as JSON-ready values (without the per-contact latencies, which the metrics hold)."""
    if not is_dataclass(report) or isinstance(report, type):
        return {"result": report}
    return {key: value for key, value in asdict(report).items() if key != "write_latencies"}


class WiredJob(Job):
    """An RQ job run with a container: the worker sets it before performing the job."""

    container: Container | None = None

    def _execute(self) -> Any:
        # RQ's own hook between "the function is resolved" and "call it" (Job.perform calls it).
        if self.container is None or self.func is None:
            raise RuntimeError("a Leadflow job runs only in a Leadflow worker (app/workers.py)")
        return perform(self.container, self.func, *self.args, **self.kwargs)


class _Wiring:
    """Hands the worker's container to each job it performs."""

    container: Container

    def perform_job(self, job: Job, queue: Queue, *args: Any, **kwargs: Any) -> bool:
        if isinstance(job, WiredJob):
            job.container = self.container
        performed: bool = super().perform_job(job, queue, *args, **kwargs)  # type: ignore[misc]
        return performed


class LeadflowWorker(_Wiring, Worker):
    """RQ's forking worker, with the process's container."""

    def __init__(self, container: Container, **options: Any) -> None:
        super().__init__(
            [container.queue], connection=container.redis, serializer=JSONSerializer, job_class=WiredJob, **options
        )
        self.container = container


class ThreadWorker(_Wiring, SimpleWorker):
    """An RQ worker that can run outside the main thread: no signal handlers, timer-based timeouts."""

    death_penalty_class = TimerDeathPenalty

    def __init__(self, container: Container, **options: Any) -> None:
        super().__init__(
            [container.queue], connection=container.redis, serializer=JSONSerializer, job_class=WiredJob, **options
        )
        self.container = container

    def _install_signal_handlers(self) -> None:
        """Leave signals alone: only the main thread may install handlers."""


def run_worker(container: Container, burst: bool = False) -> bool:
    """Work the queue in this process (with RQ's scheduler, for retries); return whether any job ran."""
    worker = LeadflowWorker(container, job_monitoring_interval=container.settings.worker_heartbeat_seconds)
    return worker.work(burst=burst, with_scheduler=True, logging_level="INFO")


class EmbeddedWorker:
    """A worker and RQ's scheduler in background threads of this process (the embedded demo)."""

    def __init__(self, container: Container) -> None:
        self.queue: Queue = container.queue
        self.worker = ThreadWorker(container)
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._work, name="leadflow-worker", daemon=True),
            threading.Thread(target=self._schedule, name="leadflow-scheduler", daemon=True),
        ]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=10)

    def _work(self) -> None:
        while not self._stop.is_set():
            self.worker.work(burst=True, logging_level="WARNING")
            self._stop.wait(0.05)

    def _schedule(self) -> None:
        scheduler = RQScheduler(
            [self.queue], connection=self.queue.connection, serializer=JSONSerializer, logging_level="WARNING"
        )
        while not self._stop.is_set():
            scheduler.acquire_locks()
            if scheduler.acquired_locks:
                scheduler.enqueue_scheduled_jobs()
            time.sleep(0.5)
        scheduler.release_locks()

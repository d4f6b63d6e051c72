"""The clock process (`leadflow clock`, Procfile `clock:`): RQ's cron scheduler enqueuing Leadflow's periodic jobs.

Run exactly one, with `TZ=UTC`: `rq cron` holds no lock. RQ's `CronJob` enqueues with the default (pickle)
serializer; Leadflow's queue speaks JSON, so the periodic jobs here enqueue through a JSON queue instead.
"""

from __future__ import annotations

from typing import Any

from redis import Redis
from rq import Queue
from rq.cron import CronJob, CronScheduler
from rq.job import Job
from rq.serializers import JSONSerializer

from app.sync.handover.orphans import close_orphaned_tasks
from app.sync.jobs import JobSpec, spec_of
from app.sync.nurture.due import offer_due_steps
from app.sync.reconcile import reconcile
from app.sync.retention import apply_retention
from app.sync.scoring.sweep import sweep_decay
from app.sync.sla.reconcile import reconcile_touches
from app.sync.sla.watch import watch_sla

RECONCILE_EVERY_SECONDS = 60
CLOSE_WORK_EVERY_SECONDS = 300  # erased contacts' tasks are completed within five minutes
RETENTION_CRON = "17 3 * * *"  # daily, 03:17 UTC (run the clock with TZ=UTC)


class JsonCronJob(CronJob):
    """A cron job whose enqueued jobs the JSON-speaking workers can read."""

    def enqueue(self, connection: Redis) -> Job:
        queue = Queue(self.queue_name, connection=connection, serializer=JSONSerializer)
        return queue.enqueue(self.func_name, args=self.args, kwargs=self.kwargs, **self.job_options)


def build_cron(
    connection: Redis,
    queue_name: str,
    decay_sweep_seconds: int = 300,
    sla_watch_seconds: int = 60,
    touch_reconcile_seconds: int = 900,
    nurture_due_seconds: int = 300,
) -> CronScheduler:
    """Return the cron scheduler with Leadflow's periodic jobs registered."""
    scheduler = CronScheduler(connection=connection)
    jobs = scheduler.get_jobs()
    jobs.append(_cron_job(queue_name, spec_of(reconcile), interval=RECONCILE_EVERY_SECONDS))
    jobs.append(_cron_job(queue_name, spec_of(sweep_decay), interval=decay_sweep_seconds))
    jobs.append(_cron_job(queue_name, spec_of(watch_sla), interval=sla_watch_seconds))
    jobs.append(_cron_job(queue_name, spec_of(apply_retention), cron=RETENTION_CRON))
    jobs.append(_cron_job(queue_name, spec_of(reconcile_touches), interval=touch_reconcile_seconds))
    jobs.append(_cron_job(queue_name, spec_of(close_orphaned_tasks), interval=CLOSE_WORK_EVERY_SECONDS))
    jobs.append(_cron_job(queue_name, spec_of(offer_due_steps), interval=nurture_due_seconds))
    return scheduler


def _cron_job(queue_name: str, spec: JobSpec, **when: Any) -> JsonCronJob:
    return JsonCronJob(
        queue_name, func_name=spec.function, job_timeout=spec.timeout, failure_ttl=spec.failure_ttl, **when
    )

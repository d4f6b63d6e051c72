"""The clock process (`leadflow clock`, Procfile `clock:`): RQ's cron scheduler enqueuing Leadflow's periodic jobs.

Run exactly one, with `TZ=UTC`: `rq cron` holds no lock. RQ's `CronJob` enqueues with the default (pickle)
serializer; Leadflow's queue speaks JSON, so the periodic jobs here enqueue through a JSON queue instead.
"""

from __future__ import annotations

from redis import Redis
from rq import Queue
from rq.cron import CronJob, CronScheduler
from rq.job import Job
from rq.serializers import JSONSerializer

RECONCILE_EVERY_SECONDS = 60
RETENTION_CRON = "17 3 * * *"  # daily, 03:17 UTC (run the clock with TZ=UTC)


class JsonCronJob(CronJob):
    """A cron job whose enqueued jobs the JSON-speaking workers can read."""

    def enqueue(self, connection: Redis) -> Job:
        queue = Queue(self.queue_name, connection=connection, serializer=JSONSerializer)
        return queue.enqueue(self.func_name, args=self.args, kwargs=self.kwargs, **self.job_options)


def build_cron(connection: Redis, queue_name: str) -> CronScheduler:
    """Return the cron scheduler with Leadflow's periodic jobs registered."""
    scheduler = CronScheduler(connection=connection)
    jobs = scheduler.get_jobs()
    jobs.append(
        JsonCronJob(queue_name, func_name="app.jobs.reconcile", interval=RECONCILE_EVERY_SECONDS, job_timeout=300)
    )
    jobs.append(JsonCronJob(queue_name, func_name="app.jobs.retention", cron=RETENTION_CRON, job_timeout=1800))
    return scheduler

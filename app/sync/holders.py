"""Who holds a drain's claims, and whether RQ still runs it: a claim's holder is `<job id>@<worker name>`.

A SIGKILLed worker stops heartbeating: RQ lets its key expire about 90 s after the last heartbeat (a job's
heartbeats run every 30 s, WORKER_HEARTBEAT_SECONDS, with that plus 60 s to live), long before a drain's
15-minute claim lease runs out. A holder is dead when its worker's key is gone or records the worker's death, or
when its job has stopped running on that worker (finished, failed, abandoned and retried, or started again
elsewhere). A holder whose job record is gone while its worker lives is not judged: its claims keep the lease.
"""

from __future__ import annotations

from collections.abc import Collection

from redis import Redis
from rq import Worker, get_current_job
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from rq.serializers import JSONSerializer


def current_holder() -> str | None:
    """Return the holder this code runs as (`<job id>@<worker name>`), or None outside an RQ worker's job."""
    job = get_current_job()
    if job is None or not job.worker_name:
        return None
    return f"{job.id}@{job.worker_name}"  # job ids hold letters, digits, `_` and `-` only


class RqHolders:
    """Asks RQ, in the Redis its workers use, which claim holders are dead."""

    def __init__(self, connection: Redis) -> None:
        self.connection = connection

    def dead(self, holders: Collection[str]) -> set[str]:
        """Return the holders whose drain RQ no longer runs."""
        return {holder for holder in holders if self._is_dead(holder)}

    def _is_dead(self, holder: str) -> bool:
        job_id, separator, worker_name = holder.partition("@")
        if not separator or not worker_name:
            return False  # not a holder this module wrote: leave it to the lease
        return not self._worker_alive(worker_name) or self._job_left(job_id, worker_name)

    def _worker_alive(self, name: str) -> bool:
        key = Worker.redis_worker_namespace_prefix + name
        with self.connection.pipeline() as pipeline:
            pipeline.exists(key)
            pipeline.hexists(key, "death")
            exists, died = pipeline.execute()
        return bool(exists) and not died

    def _job_left(self, job_id: str, worker_name: str) -> bool:
        try:
            job = Job.fetch(job_id, connection=self.connection, serializer=JSONSerializer)
        except NoSuchJobError:
            return False
        return job.get_status(refresh=False) != JobStatus.STARTED or job.worker_name != worker_name

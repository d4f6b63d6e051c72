"""Jobs that failed for good: RQ retried them with backoff (see `app.jobs.JOBS`), then put them in its failed
registry with their traceback. `leadflow failed` lists them; `leadflow failed --requeue` runs them again.

A listing shows only the last line of each traceback (the exception and its message), with anything that
looks like a credential masked: HubSpot errors never carry the token, but a library's message might.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from rq import Queue
from rq.exceptions import DeserializationError, InvalidJobOperation, NoSuchJobError
from rq.job import Job
from rq.registry import FailedJobRegistry
from rq.results import Result

SUMMARY_LIMIT = 300
NEVER = datetime.min.replace(tzinfo=UTC)
MASK = "***"
VALUE = r"[^\s'\",;)]+"  # a credential runs to the next blank, quote, comma, semicolon or parenthesis
SCHEME_VALUE = re.compile(rf"(?i)\b(bearer|basic)\s+{VALUE}")  # an Authorization header's value
NAMES = r"token|secret|password|api[_-]?key|authorization"
NAMED_VALUE = re.compile(rf"(?i)\b({NAMES})(\s*[=:]\s*)(?!(?:bearer|basic)\s){VALUE}")  # `token=…`, `secret: …`
PRIVATE_APP_TOKEN = re.compile(r"(?i)\bpat-[a-z0-9]+-[0-9a-f-]{8,}")
URL_USER_PASSWORD = re.compile(r"(?<=://)[^/\s:@]+:[^/\s@]+(?=@)")


@dataclass(frozen=True)
class FailedJob:
    """One job in the failed registry: what it ran, when, why it failed, how many RQ retries it had left."""

    id: str
    function: str
    enqueued_at: datetime | None
    ended_at: datetime | None
    exc_summary: str
    retries_left: int | None


def list_failed(queue: Queue) -> list[FailedJob]:
    """Return the queue's failed jobs, the oldest failure first (jobs whose record expired are left out)."""
    registry = _registry(queue)
    jobs = Job.fetch_many(registry.get_job_ids(), connection=queue.connection, serializer=queue.serializer)
    failed = [_failed_job(job) for job in jobs if job is not None]
    return sorted(failed, key=lambda job: job.ended_at or NEVER)


def requeue_failed(queue: Queue, job_ids: Sequence[str] | None = None) -> int:
    """Put the failed jobs (all, or those of `job_ids` that are failed) back on the queue; return how many.

    A requeued job runs once more with the retries it had left (none, after RQ's backoff ran out).
    """
    registry = _registry(queue)
    wanted = registry.get_job_ids() if job_ids is None else list(dict.fromkeys(job_ids))
    requeued = 0
    for job_id in wanted:
        try:
            registry.requeue(job_id)
        except (InvalidJobOperation, NoSuchJobError):
            continue  # not failed (any more), or its record expired
        requeued += 1
    return requeued


def summarize(exc_string: str | None) -> str:
    """Return the last line of a traceback, credentials masked, at most `SUMMARY_LIMIT` characters."""
    lines = [line.strip() for line in (exc_string or "").splitlines() if line.strip()]
    summary = lines[-1] if lines else "no reason recorded"
    summary = SCHEME_VALUE.sub(lambda m: f"{m.group(1)} {MASK}", summary)
    summary = NAMED_VALUE.sub(lambda m: f"{m.group(1)}{m.group(2)}{MASK}", summary)
    summary = PRIVATE_APP_TOKEN.sub(MASK, summary)
    summary = URL_USER_PASSWORD.sub(MASK, summary)
    return summary if len(summary) <= SUMMARY_LIMIT else summary[: SUMMARY_LIMIT - 1] + "…"


def _registry(queue: Queue) -> FailedJobRegistry:
    return FailedJobRegistry(queue=queue)  # the queue's connection and serializer


def _failed_job(job: Job) -> FailedJob:
    result = job.latest_result()
    exc_string = result.exc_string if result is not None and result.type == Result.Type.FAILED else None
    return FailedJob(
        id=job.id,
        function=_function_of(job),
        enqueued_at=job.enqueued_at,
        ended_at=job.ended_at,
        exc_summary=summarize(exc_string),
        retries_left=job.retries_left,
    )


def _function_of(job: Job) -> str:
    try:
        return job.func_name or "unknown"
    except DeserializationError:
        return "unreadable"

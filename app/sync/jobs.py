"""Leadflow's background jobs (RQ): each is declared with `@job` where its work is defined.

A job function takes the context it `needs` (built by the composition root, handed over by the worker that runs
it: see app/workers.py) and the job's JSON arguments, and returns a report. The declaration says how RQ runs it:
its timeout, its retries, how long RQ keeps its result and its failure. Jobs are enqueued by name (`JobQueue`),
so the worklist and the clock never name a function.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from rq import Queue, Retry
from rq.exceptions import DuplicateJobError

F = TypeVar("F", bound=Callable[..., Any])
SPEC_ATTRIBUTE = "leadflow_job"


@dataclass(frozen=True)
class JobSpec:
    name: str  # letters, digits, '-' (RQ job ids are built from it)
    function: str  # the dotted path RQ imports
    needs: type  # the context the job function takes first
    timeout: int
    retry: Retry | None = None
    failure_ttl: int = 7 * 24 * 3600
    result_ttl: int = 300


JOBS: dict[str, JobSpec] = {}


def job(
    name: str, *, needs: type, timeout: int, retry: Retry | None = None, failure_ttl: int = 7 * 24 * 3600
) -> Callable[[F], F]:
    """Declare a job function: its name, the context it needs, its timeout and retries."""

    def declare(function: F) -> F:
        spec = JobSpec(name, f"{function.__module__}.{function.__qualname__}", needs, timeout, retry, failure_ttl)
        if JOBS.setdefault(name, spec) != spec:
            raise ValueError(f"two jobs are called {name!r}: {JOBS[name].function} and {spec.function}")
        setattr(function, SPEC_ATTRIBUTE, spec)
        return function

    return declare


def spec_of(function: Callable[..., Any]) -> JobSpec:
    """Return the declaration of a job function (a function without one is no job: TypeError)."""
    spec = getattr(function, SPEC_ATTRIBUTE, None)
    if not isinstance(spec, JobSpec):
        raise TypeError(f"{getattr(function, '__qualname__', function)!r} is not declared with @job")
    return spec


class JobQueue:
    """Enqueues declared jobs by name on one RQ queue, with their declared timeout and retries."""

    def __init__(self, queue: Queue) -> None:
        self.queue = queue

    def enqueue(self, name: str, *args: str | None) -> None:
        """Enqueue job `name` with these JSON arguments."""
        spec = JOBS[name]
        self.queue.enqueue(
            spec.function,
            *args,
            job_timeout=spec.timeout,
            retry=spec.retry,
            failure_ttl=spec.failure_ttl,
            result_ttl=spec.result_ttl,
            description=f"leadflow {name}",
        )

    def enqueue_at(self, name: str, when: datetime) -> bool:
        """Schedule job `name` for `when` (RQ's scheduler runs it); asking again for the same time is a no-op."""
        spec = JOBS[name]
        try:
            self.queue.enqueue_at(
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

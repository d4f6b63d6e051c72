"""Running RQ workers: a forking worker process for production, a thread for the embedded demo."""

from __future__ import annotations

import threading
import time

from rq import Queue, SimpleWorker, Worker
from rq.scheduler import RQScheduler
from rq.serializers import JSONSerializer
from rq.timeouts import TimerDeathPenalty

from app.bootstrap import Container, install


def run_worker(container: Container, burst: bool = False) -> bool:
    """Work the queue in this process (with RQ's scheduler, for retries); return whether any job ran."""
    install(container)
    worker = Worker([container.queue], connection=container.redis, serializer=JSONSerializer)
    return worker.work(burst=burst, with_scheduler=True, logging_level="INFO")


class ThreadWorker(SimpleWorker):
    """An RQ worker that can run outside the main thread: no signal handlers, timer-based timeouts."""

    death_penalty_class = TimerDeathPenalty

    def _install_signal_handlers(self) -> None:
        """Leave signals alone: only the main thread may install handlers."""


class EmbeddedWorker:
    """A worker and RQ's scheduler in background threads of this process (the embedded demo)."""

    def __init__(self, container: Container) -> None:
        install(container)
        self.queue: Queue = container.queue
        self.worker = ThreadWorker([container.queue], connection=container.redis, serializer=JSONSerializer)
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

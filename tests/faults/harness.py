"""Running the scenario against Leadflow: the twin, its webhook dispatcher, the web app, workers, convergence.

A `Run` wires a fresh twin (behind HubSpot's limits), Leadflow's web app on a fresh ledger and the tests' Redis
database, the twin's dispatcher subscribed to exactly what Leadflow needs, and workers: RQ workers in threads of this
process, or `leadflow worker` processes. `Run.play(phase, before, during)` calls `before` (where a fault starts),
makes the phase's changes, calls `during` (where a fault strikes while the webhooks are still arriving and the
drains run), then `Run.settle()` waits until Leadflow has converged: the dispatcher idle, nothing dirty, claimed,
queued or running, no unprocessed signal, no HubSpot request still being served. Where a scenario asks for it,
the reconcile job runs every second or two meanwhile, as `leadflow clock` runs it every minute. The `watch` phase's
changes are the SLA watch's runs in simulated time (tests/faults/sla.py).
"""

from __future__ import annotations

import os
import signal
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import redis
from redis.exceptions import RedisError
from rq import Worker
from rq.exceptions import NoSuchJobError
from rq.job import Job
from rq.registry import FinishedJobRegistry, StartedJobRegistry
from rq.scheduler import RQScheduler
from rq.serializers import JSONSerializer
from sqlalchemy.exc import SQLAlchemyError

from app import create_app
from app.bootstrap import Container
from app.rules.subscriptions import required_subscriptions
from app.sync.reconcile import reconcile
from app.sync.setup import run_setup
from app.workers import ThreadWorker, perform
from hubspot_twin import Twin, TwinServer
from hubspot_twin.errors import PORTAL_ID
from hubspot_twin.http.guard import GuardConfig
from hubspot_twin.webhooks.delivery import RetrySchedule
from hubspot_twin.webhooks.dispatch import DispatchOptions
from hubspot_twin.webhooks.subscriptions import Subscription, WebhookSettings
from tests.conftest import REDIS_URL, ROOT, empty_redis_db, migrate_url, postgres_schema
from tests.faults.scenario import PHASES, Portal, design, phase_changes, seed_portal
from tests.faults.sla import WATCH_PHASE, watch_changes
from tests.support.app import ACCESS_TOKEN, APP_ID, CLIENT_SECRET, make_container
from tests.support.processes import Service

BIN = ROOT / ".venv" / "bin"
SETTLE_TIMEOUT = 180.0  # seconds a phase may take to converge (the HubSpot-fault run needs about 60)

# Leadflow's settings in every run: no debounce, short claim leases, a reconciler with a short grace period, and
# a contact whose write went unanswered looked at again after 3 s (not 300: the run would wait for it).
BASE_SETTINGS: dict[str, Any] = {
    "drain_debounce_seconds": 0,
    "drain_claim_lease_seconds": 3,
    "reconcile_grace_seconds": 1,
    "drain_batch_size": 25,
    "hubspot_recheck_seconds": 3,
}


def default_dispatch(**changes: Any) -> DispatchOptions:
    """HubSpot's delivery with its retry schedule compressed into 20 seconds."""
    return DispatchOptions(retry=RetrySchedule.compressed(total_s=20.0), seed=7, **changes)


@dataclass(frozen=True)
class Target:
    """Where a run's ledger and Redis live."""

    database: str  # sqlite | postgresql
    database_url: str
    redis_url: str
    config_dir: Path
    log_dir: Path


@dataclass
class Knobs:
    """How a run differs from the clean one."""

    dispatch: DispatchOptions = field(default_factory=default_dispatch)
    settings: dict[str, Any] = field(default_factory=dict)
    thread_workers: int = 1  # RQ workers in threads of the test process (0: the scenario starts processes)
    reconcile_every: float | None = None  # seconds between reconcile jobs while not converged
    guard: GuardConfig = field(default_factory=GuardConfig)
    sla_watchers: int = 1  # SLA watches run at once at each moment of the `watch` phase


Hook = Callable[["Run", str], None]  # called with the run and the phase's name


@dataclass
class RunStats:
    """What a run did, for the report."""

    phase_seconds: dict[str, float] = field(default_factory=dict)
    reconcile: Counter[str] = field(default_factory=Counter)
    notes: dict[str, Any] = field(default_factory=dict)

    @property
    def converge_seconds(self) -> float:
        return sum(self.phase_seconds.values())


class ThreadWorkers:
    """RQ workers in threads (as the embedded demo runs them) plus RQ's scheduler for retries with intervals.

    A worker whose `work()` raises (Redis lost its registrations under it, say) is replaced by a new one, as a
    process manager restarts a crashed worker process; `crashes` counts those.
    """

    def __init__(self, container: Container, count: int) -> None:
        self.container = container
        self.count = count
        self.crashes: list[str] = []
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._work, args=(n,), daemon=True) for n in range(count)]
        self._threads.append(threading.Thread(target=self._schedule, daemon=True))

    def start(self) -> ThreadWorkers:
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=30)

    def _new_worker(self, index: int) -> ThreadWorker:
        name = f"faults-thread-{index}-{uuid.uuid4().hex[:6]}"
        return ThreadWorker(self.container, name=name)

    def _work(self, index: int) -> None:
        worker = self._new_worker(index)
        while not self._stop.is_set():
            try:
                worker.work(burst=True, logging_level="ERROR")
            except Exception as exc:  # counted and reported; a new worker takes over, as after a crash
                self.crashes.append(f"{type(exc).__name__}: {exc}")
                worker = self._new_worker(index)
            self._stop.wait(0.02)

    def _schedule(self) -> None:
        queue = self.container.queue
        scheduler = RQScheduler([queue], connection=queue.connection, serializer=JSONSerializer, logging_level="ERROR")
        while not self._stop.is_set():
            with suppress(RedisError):
                scheduler.acquire_locks()
                if scheduler.acquired_locks:
                    scheduler.enqueue_scheduled_jobs()
            self._stop.wait(0.2)
        with suppress(RedisError):
            scheduler.release_locks()


class Run:
    """One run of the scenario: build it with `start()`, play the phases, read the outcome, `close()`."""

    def __init__(self, name: str, target: Target, knobs: Knobs) -> None:
        self.name = name
        self.target = target
        self.knobs = knobs
        self.stats = RunStats()
        self.dead_workers: set[str] = set()
        self.processes: list[Service] = []
        self.before_watch: Callable[[Run, datetime], None] | None = None  # called at each moment of the SLA watch
        self._stack = ExitStack()
        self._process_count = 0

    # Building ------------------------------------------------------------------------------------------------

    def start(self) -> Run:
        try:
            return self._start()
        except BaseException:
            self.close()
            raise

    def _start(self) -> Run:
        knobs, target = self.knobs, self.target
        self.redis = redis.Redis.from_url(target.redis_url)
        self._stack.callback(self.redis.close)
        self.redis.flushdb()
        self.twin = Twin(access_tokens={ACCESS_TOKEN}, apps={ACCESS_TOKEN: APP_ID}, limits=knobs.guard)
        self.portal: Portal = seed_portal(self.twin, design())
        self.hubspot = InFlight(self.twin.wsgi)
        server = self._stack.enter_context(TwinServer(self.hubspot).start())
        own = f"faults-{uuid.uuid4().hex[:8]}"  # a queue and keys of its own: no other test's worker takes its jobs
        self.settings = {
            **BASE_SETTINGS,
            "queue_name": own,
            "redis_prefix": own,
            "hubspot_api_base": server.url,
            "leadflow_config": target.config_dir,
            "hubspot_read_timeout": 10.0,  # a request the twin holds back is given up in seconds, not half a minute
            **knobs.settings,
        }
        self.container = make_container(target.database_url, self.redis, settings=self.settings)
        self._stack.callback(self.container.ledger.engine.dispose)
        container = self.container
        run_setup(
            container.gateway(), container.ledger, container.model, container.clock, nurture=container.nurture_config
        )  # `leadflow setup`
        web = self._stack.enter_context(TwinServer(create_app(container=container)).start())
        self.dispatcher = self.twin.start_webhooks(self._webhooks(f"{web.url}/webhooks/hubspot"), knobs.dispatch)
        self._stack.callback(self.dispatcher.stop, drain=False)
        if knobs.thread_workers:
            self.workers: ThreadWorkers | None = ThreadWorkers(container, knobs.thread_workers).start()
            self._stack.callback(self.workers.stop)
        else:
            self.workers = None
        return self

    def _webhooks(self, url: str) -> WebhookSettings:
        container = self.container
        wanted = required_subscriptions(
            container.model, container.signal_rules, container.handover_config, container.first_touch
        )
        subscriptions = tuple(Subscription(s.subscription_type, s.property_name, s.object_type_id) for s in wanted)
        return WebhookSettings(url, CLIENT_SECRET, int(APP_ID), PORTAL_ID, subscriptions=subscriptions)

    def close(self) -> None:
        for process in self.processes:
            process.stop(grace=10)
        self._stack.close()

    def __enter__(self) -> Run:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # Worker processes ----------------------------------------------------------------------------------------

    def environment(self) -> dict[str, str]:
        """The environment of a `leadflow` process for this run (the same settings as the test's container)."""
        ours = ("HUBSPOT_", "LEADFLOW_", "DATABASE_", "REDIS_", "DRAIN_", "RECONCILE_")
        keep = {key: value for key, value in os.environ.items() if not key.startswith(ours)}
        settings = {key.upper(): str(value) for key, value in self.settings.items()}
        return {
            **keep,
            **settings,
            "LEADFLOW_ENV": "development",
            "HUBSPOT_ACCESS_TOKEN": ACCESS_TOKEN,
            "HUBSPOT_CLIENT_SECRET": CLIENT_SECRET,
            "HUBSPOT_APP_ID": APP_ID,
            "DATABASE_URL": self.target.database_url,
            "REDIS_URL": self.target.redis_url,
        }

    def start_worker_process(self) -> Service:
        """Start `leadflow worker` (RQ's forking worker with its scheduler) and wait until it has registered."""
        self._process_count += 1
        name = f"{self.name}-worker-{self._process_count}"
        service = Service(name, [str(BIN / "leadflow"), "worker"], self.environment(), ROOT, self.target.log_dir)
        self.processes.append(service.start())
        service.wait_until(lambda: self._registered(service), "its RQ worker registration", timeout=30)
        return service

    def _registered(self, service: Service) -> bool:
        pid = service.process.pid if service.process else -1
        return any(worker.pid == pid for worker in Worker.all(queue=self.container.queue))

    def kill_worker_process(self, service: Service) -> list[int]:
        """SIGKILL a worker process and every process it forked (RQ's work horse is in a group of its own)."""
        assert service.process is not None
        pids = [service.process.pid, *descendants(service.process.pid)]
        for worker in Worker.all(queue=self.container.queue):
            if worker.pid == service.process.pid:
                self.dead_workers.add(worker.name)
        for pid in pids:
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        service.process.wait(timeout=10)
        return pids

    # Playing and converging ----------------------------------------------------------------------------------

    def play_all(self, before: Hook | None = None, during: Hook | None = None) -> None:
        """Play every phase of the scenario, waiting after each until Leadflow has converged."""
        for phase in PHASES:
            self.play(phase, before, during)

    def play(self, phase: str, before: Hook | None = None, during: Hook | None = None) -> None:
        """Play one phase: `before` runs before its changes, `during` after them, while the webhooks they cause
        are still being delivered and drained; then wait until Leadflow has converged."""
        started = time.monotonic()
        if before is not None:
            before(self, phase)
        changes = 0
        for change in watch_changes(self) if phase == WATCH_PHASE else phase_changes(self.portal, phase):
            change()
            changes += 1
        self.stats.notes[f"changes:{phase}"] = changes
        if during is not None:
            during(self, phase)
        self.settle(phase)
        self.stats.phase_seconds[phase] = time.monotonic() - started

    def settle(self, phase: str, timeout: float = SETTLE_TIMEOUT) -> None:
        """Wait until Leadflow has reflected every change (twice in a row); run the reconciler if asked to."""
        deadline = time.monotonic() + timeout
        calm, last_reconcile = 0, time.monotonic()
        while calm < 2:
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.name}: no convergence after phase {phase!r} in {timeout:.0f} s\n"
                                     f"{self.describe()}")  # fmt: skip
            idle = self.dispatcher.wait_idle(timeout=0.5)
            settled = idle and self.leadflow_settled()
            calm = calm + 1 if settled else 0
            every = self.knobs.reconcile_every
            if not settled and every is not None and time.monotonic() - last_reconcile >= every:
                self.reconcile()
                last_reconcile = time.monotonic()
            time.sleep(0.05)

    def reconcile(self) -> None:
        """Run the reconcile job (what `leadflow clock` enqueues every minute) and count what it recovered."""
        try:
            report = perform(self.container, reconcile)
        except (SQLAlchemyError, RedisError) as exc:
            self.stats.reconcile["failed"] += 1
            self.stats.notes["reconcile-error"] = type(exc).__name__
            return
        self.stats.reconcile["runs"] += 1
        self.stats.reconcile.update({key: int(value) for key, value in report.items()})

    def leadflow_settled(self) -> bool:
        container = self.container
        try:
            return (
                container.worklist.dirty_count() == 0
                and container.worklist.claimed_count() == 0
                and container.worklist.recheck_count() == 0
                and container.queue.count == 0
                and not self.running_jobs()
                and container.ledger.counts().pending_signals == 0
                and self.hubspot.in_flight == 0  # a slow HubSpot write still lands after its client gave up
            )
        except (SQLAlchemyError, RedisError):
            return False

    def running_jobs(self) -> list[str]:
        """Jobs a live worker is running (a SIGKILLed worker's job stays in RQ's registry until RQ notices)."""
        queue = self.container.queue
        registry = StartedJobRegistry(queue.name, connection=self.redis, serializer=queue.serializer)
        running = []
        for job_id in registry.get_job_ids():
            with suppress(NoSuchJobError):  # finished (or flushed) since the registry was read
                job = Job.fetch(job_id, connection=self.redis, serializer=JSONSerializer)
                if job.worker_name not in self.dead_workers:
                    running.append(job_id)
        return running

    def describe(self) -> str:
        """The state of every part, for failure messages."""
        parts = [f"dispatcher: {self.dispatcher.stats()}"]
        try:
            worklist = self.container.worklist
            parts.append(f"dirty {worklist.dirty_count()}, claimed {worklist.claimed_count()}, recheck "
                         f"{worklist.recheck_count()}, queued {self.container.queue.count}, running "
                         f"{self.running_jobs()}, HubSpot requests in flight {self.hubspot.in_flight}")  # fmt: skip
        except RedisError as exc:
            parts.append(f"redis: {exc}")
        try:
            parts.append(f"ledger: {self.container.ledger.counts()}")
        except SQLAlchemyError as exc:
            parts.append(f"ledger: {type(exc).__name__}")
        if self.workers is not None and self.workers.crashes:
            parts.append(f"thread workers crashed: {self.workers.crashes[:5]}")
        parts += [process.output() for process in self.processes]
        return "\n".join(parts)

    # What happened ---------------------------------------------------------------------------------------------

    def drains_by_worker(self) -> Counter[str]:
        """How many finished drain jobs each worker ran."""
        queue = self.container.queue
        registry = FinishedJobRegistry(queue=queue)
        names: Counter[str] = Counter()
        for job_id in registry.get_job_ids():
            with suppress(Exception):
                job = Job.fetch(job_id, connection=self.redis, serializer=JSONSerializer)
                if job.func_name == "app.sync.drain.drain":
                    names[job.worker_name or "?"] += 1
        return names


class InFlight:
    """WSGI middleware in front of the twin counting the API requests it is still serving."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.in_flight = 0
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        with self._lock:
            self.in_flight += 1
        try:
            answer = self.app(environ, start_response)
            try:
                return list(answer)
            finally:
                close = getattr(answer, "close", None)
                if callable(close):
                    close()
        finally:
            with self._lock:
                self.in_flight -= 1


def descendants(pid: int) -> list[int]:
    """Every process forked below `pid`, found through /proc/<pid>/task/*/children (depth first)."""
    found: list[int] = []
    for children in Path(f"/proc/{pid}/task").glob("*/children"):
        with suppress(OSError):
            for child in children.read_text().split():
                found += [int(child), *descendants(int(child))]
    return found


@contextmanager
def target(database: str, base: Path, config_dir: Path) -> Iterator[Target]:
    """A fresh, migrated ledger of the kind asked for, and the tests' Redis database emptied before
    and after."""
    base.mkdir(parents=True, exist_ok=True)
    with empty_redis_db(REDIS_URL):
        if database == "sqlite":
            url = f"sqlite:///{base / 'ledger.db'}"
            migrate_url(url)
            yield Target(database, url, REDIS_URL, config_dir, base)
        else:
            with postgres_schema() as url:
                yield Target(database, url, REDIS_URL, config_dir, base)

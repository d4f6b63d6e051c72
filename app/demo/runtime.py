"""The embedded runtime: the twin, the web app and a worker in one process, on SQLite and an in-process Redis.

The twin delivers HubSpot's webhooks to the web app through a gate the demo holds while it plays a tick of
simulated time; when the gate opens, Leadflow works at the tick's end, so a run is reproducible.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import fakeredis
from redis import Redis
from rq.registry import StartedJobRegistry

from app import create_app
from app.bootstrap import Clock, Container, build_container, connect_redis
from app.demo.latency import LatencyProbe
from app.rules.subscriptions import required_subscriptions
from app.settings import SettingsError, load_settings
from app.workers import EmbeddedWorker
from hubspot_twin import Twin, TwinServer
from hubspot_twin.errors import PORTAL_ID
from hubspot_twin.http.guard import GuardConfig
from hubspot_twin.simulator.gate import ChangeGate
from hubspot_twin.webhooks.delivery import RetrySchedule
from hubspot_twin.webhooks.dispatch import DispatchOptions, WebhookDispatcher
from hubspot_twin.webhooks.subscriptions import Subscription, WebhookSettings

ACCESS_TOKEN = "demo-access-token"
CLIENT_SECRET = "demo-client-secret"
APP_ID = "4242"
_BUILDING = threading.Lock()  # the demo runs two embedded Leadflows side by side (with and without nurture)


@dataclass
class Runtime:
    twin: Twin
    container: Container
    gate: ChangeGate
    dispatcher: WebhookDispatcher
    latency: LatencyProbe

    def settle_and_hold(self, timeout: float = 120.0) -> None:
        """Let the held webhooks out, wait until Leadflow has reflected all of them, then hold the gate again."""
        self._settle(timeout)
        self.gate.hold()

    def sweep_decay(self) -> None:
        """Run the clock's decay sweep now (simulated time) and the drains it asks for, then hold the gate again:
        contacts whose scores changed by time alone are re-assessed, with no webhook."""
        self.container.jobs.enqueue("decay-sweep")
        self.settle_and_hold()

    def nurture_due(self) -> None:
        """Run the clock's nurture job now (simulated time) and the drains it asks for, then hold the gate again:
        contacts whose paced nurture step has come due get it written (and the portal's workflow sends it)."""
        self.container.jobs.enqueue("nurture-due")
        self.settle_and_hold()

    def watch_sla(self, reconcile: bool = True) -> None:
        """Run the clock's SLA watch (and with `reconcile` first the touch reconciliation) now, in simulated time,
        and what they cause, then hold the gate again: reminders, escalations and reassignments fire as due, the
        contacts show their clocks."""
        if reconcile:
            self.container.jobs.enqueue("touch-reconcile")
        self.container.jobs.enqueue("sla-watch")
        self.settle_and_hold()

    def _settle(self, timeout: float) -> None:
        self.gate.release()
        deadline, calm = time.monotonic() + timeout, 0
        while calm < 2:
            if time.monotonic() > deadline:
                raise TimeoutError(f"Leadflow did not settle within {timeout:.0f} s")
            idle = self.dispatcher.wait_idle(timeout=max(0.01, deadline - time.monotonic()))
            calm = calm + 1 if idle and self._leadflow_settled() else 0
            time.sleep(0.01)

    def _leadflow_settled(self) -> bool:
        container = self.container
        queue = container.queue
        running = StartedJobRegistry(queue.name, connection=container.redis, serializer=queue.serializer)
        return (
            container.worklist.dirty_count() == 0
            and container.worklist.claimed_count() == 0
            and container.queue.count == 0
            and running.count == 0
            and container.ledger.counts().pending_signals == 0
        )


@contextmanager
def embedded_leadflow(
    workdir: Path, clock: Clock, redis_url: str | None = None, database_url: str | None = None, *, nurture: bool = True
) -> Iterator[Runtime]:
    """Run the twin (with HubSpot's limits), the webhook receiver and a worker; stop them all on exit.

    The ledger is the empty database at `database_url` (kept afterwards), or a SQLite file in `workdir`. Without
    `nurture` Leadflow runs as if config/nurture.yaml did not exist."""
    twin = Twin(access_tokens={ACCESS_TOKEN}, apps={ACCESS_TOKEN: APP_ID}, clock=clock, limits=GuardConfig())
    redis: Redis = connect_redis(redis_url) if redis_url else fakeredis.FakeRedis(server=fakeredis.FakeServer())
    run_id = uuid.uuid4().hex[:8]
    with twin.serve() as twin_server:
        settings = load_settings(
            {
                "leadflow_env": "demo",
                "hubspot_access_token": ACCESS_TOKEN,
                "hubspot_client_secret": CLIENT_SECRET,
                "hubspot_app_id": APP_ID,
                "hubspot_api_base": twin_server.url,
                "database_url": database_url or f"sqlite:///{workdir / 'leadflow-demo.db'}",
                "redis_url": redis_url or "redis://embedded",
                "queue_name": f"leadflow-demo-{run_id}",
                "redis_prefix": f"leadflow-demo-{run_id}",
                "drain_debounce_seconds": 0,  # simulated time stands still while Leadflow works
            }
        )
        with _BUILDING:  # the ledger's migrations (alembic) must not run in two threads at once
            container = build_container(settings, redis=redis, clock=clock)
        if not nurture:
            container.nurture_config = None
        _require_empty(container)
        worker = EmbeddedWorker(container)
        with TwinServer(create_app(container=container)).start() as web:
            gate = ChangeGate(twin.feed)
            gate.hold()
            settings_for_hooks = _webhook_settings(container, f"{web.url}/webhooks/hubspot")
            options = DispatchOptions(retry=RetrySchedule.compressed(total_s=30.0))
            dispatcher = WebhookDispatcher(gate.target, settings_for_hooks, options).start()
            latency = LatencyProbe(twin.feed, dispatcher, APP_ID)
            worker.start()
            try:
                yield Runtime(twin, container, gate, dispatcher, latency)
            finally:
                dispatcher.stop(drain=False)
                worker.stop()
                gate.close()
                latency.close()
                _clean_redis(redis, settings.redis_prefix, settings.queue_name, shared=redis_url is not None)
        container.ledger.engine.dispose()


def _require_empty(container: Container) -> None:
    """Refuse a ledger that holds anything: the twin's ids start afresh, so an earlier run's rows would be mixed in."""
    counts = container.ledger.counts()
    if counts.signals or counts.contacts:
        container.ledger.engine.dispose()
        raise SettingsError(
            f"DATABASE_URL: the demo needs an empty ledger, and this one holds {counts.signals} signals and "
            f"{counts.contacts} contacts (an earlier run?); point DATABASE_URL at a new database, or unset it"
        )


def _webhook_settings(container: Container, target_url: str) -> WebhookSettings:
    """Subscribe the twin's private app to exactly what `leadflow setup` asks a real portal for."""
    wanted = required_subscriptions(
        container.model, container.signal_rules, container.handover_config, container.first_touch
    )
    subscriptions = tuple(Subscription(s.subscription_type, s.property_name, s.object_type_id) for s in wanted)
    return WebhookSettings(target_url, CLIENT_SECRET, int(APP_ID), PORTAL_ID, subscriptions=subscriptions)


def _clean_redis(redis: Redis, prefix: str, queue_name: str, shared: bool) -> None:
    """Remove the demo's keys from a shared Redis; an in-process one simply goes away."""
    if not shared:
        return
    for pattern in (f"{prefix}:*", f"rq:*{queue_name}*"):
        keys = list(redis.scan_iter(match=pattern, count=500))
        if keys:
            redis.delete(*keys)
    redis.srem("rq:queues", f"rq:queue:{queue_name}")  # finished jobs expire with their result TTL

"""Leadflow as it runs in production, against the twin: `leadflow setup`, `web` under gunicorn as in the Procfile,
`leadflow worker` processes, and the twin delivering HubSpot's webhooks (batched, signed) to the web process.

`LiveLeadflow.settle()` waits until every change made in the twin has been delivered and Leadflow has nothing
left to do (nothing dirty, claimed, queued, running or unprocessed in the ledger).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from rq.registry import StartedJobRegistry

from app.bootstrap import Container
from app.demo.latency import LatencyProbe
from app.rules.subscriptions import required_subscriptions
from bench.env import APP_ID, BIN, CLIENT_SECRET, Stack
from bench.processes import describe, run_command
from hubspot_twin.errors import PORTAL_ID
from hubspot_twin.webhooks.dispatch import DispatchOptions, WebhookDispatcher
from hubspot_twin.webhooks.subscriptions import Subscription, WebhookSettings


@dataclass
class LiveLeadflow:
    stack: Stack
    container: Container  # this process's view of the same Redis and ledger (to watch, never to work)
    dispatcher: WebhookDispatcher
    latency: LatencyProbe

    def settle(self, timeout: float = 600.0) -> float:
        """Wait until Leadflow has reflected every change; return the seconds waited."""
        started = time.monotonic()
        deadline, calm = started + timeout, 0
        while calm < 3:
            if time.monotonic() > deadline:
                raise TimeoutError(f"Leadflow did not settle within {timeout:.0f} s: {self.backlog()}")
            idle = self.dispatcher.wait_idle(timeout=max(0.01, deadline - time.monotonic()))
            calm = calm + 1 if idle and self.settled() else 0
            time.sleep(0.05)
        return time.monotonic() - started

    def settled(self) -> bool:
        return not any(self.backlog().values())

    def backlog(self) -> dict[str, int]:
        c = self.container
        running = StartedJobRegistry(c.queue.name, connection=c.redis, serializer=c.queue.serializer)
        return {
            "dirty": c.worklist.dirty_count(),
            "claimed": c.worklist.claimed_count(),
            "queued": c.queue.count,
            "running": running.count,
            "pending_signals": c.ledger.counts().pending_signals,
        }


def run_setup(stack: Stack) -> None:
    result = run_command([str(BIN / "leadflow"), "setup"], stack.environment(), stack.log_dir.parent, timeout=120)
    if result.returncode != 0:
        raise SystemExit(f"bench: leadflow setup failed\n{describe(result)}")


@contextmanager
def live_leadflow(stack: Stack, workers: int = 2, web_workers: int = 2) -> Iterator[LiveLeadflow]:
    """Run setup, start web and workers, and let the twin deliver webhooks for every later change."""
    run_setup(stack)
    _, url = stack.start_web(web_workers)
    for n in range(workers):
        stack.start_worker(f"worker-{n}")
    container = stack.container()
    wanted = required_subscriptions(container.model, container.signal_rules, container.handover_config)
    subscriptions = tuple(Subscription(s.subscription_type, s.property_name, s.object_type_id) for s in wanted)
    hooks = WebhookSettings(url, CLIENT_SECRET, int(APP_ID), PORTAL_ID, subscriptions=subscriptions)
    dispatcher = stack.twin.start_webhooks(hooks, DispatchOptions())
    latency = LatencyProbe(stack.twin.feed, dispatcher, APP_ID)
    try:
        yield LiveLeadflow(stack, container, dispatcher, latency)
    finally:
        latency.close()
        dispatcher.stop(drain=False)
        stack.stop_services()
        container.ledger.engine.dispose()
        container.redis.close()

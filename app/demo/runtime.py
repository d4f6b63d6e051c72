"""The embedded runtime: the twin, the web app and a worker in one process, on SQLite and an in-process Redis."""

from __future__ import annotations

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
from app.bootstrap import Container, build_container, connect_redis
from app.settings import load_settings
from app.workers import EmbeddedWorker
from hubspot_twin import Twin, TwinServer

ACCESS_TOKEN = "demo-access-token"
CLIENT_SECRET = "demo-client-secret"
APP_ID = "4242"


@dataclass
class Runtime:
    twin: Twin
    container: Container
    webhook_url: str

    def wait_until_settled(self, timeout: float = 120.0) -> None:
        """Wait until every webhook is reflected: nothing dirty, queued, running or unresolved."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._settled():
                return
            time.sleep(0.1)
        raise TimeoutError(f"Leadflow did not settle within {timeout:.0f} s")

    def _settled(self) -> bool:
        container = self.container
        running = StartedJobRegistry(
            container.queue.name, connection=container.redis, serializer=container.queue.serializer
        )
        return (
            container.worklist.dirty_count() == 0
            and container.worklist.claimed_count() == 0
            and container.queue.count == 0
            and running.count == 0
            and container.ledger.counts().pending_signals == 0
        )


@contextmanager
def embedded_leadflow(workdir: Path, redis_url: str | None = None) -> Iterator[Runtime]:
    """Run the twin, the webhook receiver and a worker in this process; stop them all on exit."""
    twin = Twin(access_tokens={ACCESS_TOKEN})
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
                "database_url": f"sqlite:///{workdir / 'leadflow-demo.db'}",
                "redis_url": redis_url or "redis://embedded",
                "queue_name": f"leadflow-demo-{run_id}",
                "redis_prefix": f"leadflow-demo-{run_id}",
                "drain_debounce_seconds": 0.3,
            }
        )
        container = build_container(settings, redis=redis)
        worker = EmbeddedWorker(container)
        with TwinServer(create_app(container=container)).start() as web:
            worker.start()
            try:
                yield Runtime(twin, container, f"{web.url}/webhooks/hubspot")
            finally:
                worker.stop()
                _clean_redis(redis, settings.redis_prefix, settings.queue_name, shared=redis_url is not None)
        container.ledger.engine.dispose()


def _clean_redis(redis: Redis, prefix: str, queue_name: str, shared: bool) -> None:
    """Remove the demo's keys from a shared Redis; an in-process one simply goes away."""
    if not shared:
        return
    for pattern in (f"{prefix}:*", f"rq:*{queue_name}*"):
        keys = list(redis.scan_iter(match=pattern, count=500))
        if keys:
            redis.delete(*keys)
    redis.srem("rq:queues", f"rq:queue:{queue_name}")  # finished jobs expire with their result TTL

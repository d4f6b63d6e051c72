"""End-to-end fixtures: the twin over HTTP, Leadflow's web app over HTTP, a real Redis, both ledgers."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import redis

from app import create_app
from app.bootstrap import Container
from app.sync.hubspot.retry import RetryPolicy
from app.sync.hubspot.sdk import SdkGateway
from app.sync.setup import run_setup
from app.workers import ThreadWorker
from hubspot_twin import Twin, TwinServer
from hubspot_twin.webhooks.handmade import EventFactory, deliver
from tests.support.app import ACCESS_TOKEN, CLIENT_SECRET, make_container

FAST_RETRIES = RetryPolicy(attempts=4, max_seconds=10, initial_backoff=0.01, max_backoff=0.05)


@dataclass
class Pipeline:
    """Leadflow wired to a twin: post events as HubSpot, run the worker, read what HubSpot now shows."""

    twin: Twin
    container: Container
    webhook_url: str
    events: EventFactory

    def post(self, events: list[dict[str, Any]]) -> int:
        return deliver(self.webhook_url, events, CLIENT_SECRET).status

    def work(self) -> None:
        """Run the queue empty, as `leadflow worker --burst` does (in this thread, without forking)."""
        worker = ThreadWorker(self.container)
        worker.work(burst=True, logging_level="WARNING")

    def contact(self, contact_id: str) -> dict[str, str]:
        return self.twin.get_object("contacts", contact_id)


@pytest.fixture
def twin() -> Iterator[tuple[Twin, TwinServer]]:
    twin = Twin(access_tokens={ACCESS_TOKEN})
    with twin.serve() as server:
        yield twin, server


@pytest.fixture
def pipeline(twin: tuple[Twin, TwinServer], ledger_url: str, redis_client: redis.Redis) -> Iterator[Pipeline]:
    portal, server = twin
    container = make_container(
        ledger_url,
        redis_client,
        gateway_factory=lambda: SdkGateway(ACCESS_TOKEN, server.url, (2.0, 10.0), FAST_RETRIES),
        settings={"hubspot_api_base": server.url},
    )
    run_setup(container.gateway(), container.ledger, container.model, container.clock, nurture=container.nurture_config)
    with TwinServer(create_app(container=container)).start() as web:
        yield Pipeline(portal, container, f"{web.url}/webhooks/hubspot", EventFactory(app_id=4242))
    container.ledger.engine.dispose()

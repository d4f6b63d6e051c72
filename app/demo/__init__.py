"""`leadflow demo`: the whole pipeline in one process against the twin, ending in a table of scores."""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from app.demo.portal import MIN_CONTACTS, Portal, play_buyer_journeys, seed_portal
from app.demo.report import print_report
from app.demo.runtime import CLIENT_SECRET, embedded_leadflow
from app.sync.setup import run_setup
from hubspot_twin.webhooks import EventFactory


def run_demo(contacts: int, seed: int, echo: Callable[[str], None]) -> None:
    """Seed a portal, play buyers' actions as signed webhooks, let Leadflow score them, print the result."""
    if contacts < MIN_CONTACTS:
        raise ValueError(f"the demo needs at least {MIN_CONTACTS} contacts")
    logging.getLogger("rq").setLevel(logging.WARNING)
    redis_url = os.environ.get("REDIS_URL")
    with (
        tempfile.TemporaryDirectory(prefix="leadflow-demo-") as workdir,
        embedded_leadflow(Path(workdir), redis_url) as runtime,
    ):
        where = f"Redis at {redis_url}" if redis_url else "in-process Redis"
        echo(f"Leadflow demo: HubSpot twin, SQLite ledger, {where}")
        container = runtime.container
        setup = run_setup(container.gateway(), container.ledger, container.model, container.clock)
        echo(f"leadflow setup: created {len(setup.created)} properties in the group 'Lead scoring (Leadflow)'")
        portal = Portal(
            runtime.twin, runtime.webhook_url, CLIENT_SECRET, seed_portal(runtime.twin, contacts, seed), EventFactory()
        )
        runtime.twin.reset_request_counts()
        echo("Buyers at work:")
        play_buyer_journeys(portal, echo)
        runtime.wait_until_settled()
        print_report(runtime, portal, echo)

"""`leadflow demo`: a simulated portal's months, scored by Leadflow in one process, ending in the funnel."""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from pathlib import Path

from app.demo.dashboard import serve_dashboard, write_snapshot
from app.demo.kpis import kpi_window, print_kpis
from app.demo.report import print_report
from app.demo.runtime import embedded_leadflow
from app.sync.setup import run_setup
from hubspot_twin.simulator import SimClock, Simulation, seed_portal

START = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)
Progress = Callable[[int, str], AbstractContextManager[Callable[[int], None]]]


def run_demo(
    contacts: int,
    days: int,
    seed: int,
    echo: Callable[[str], None],
    progress: Progress,
    redis_url: str | None = None,
    database_url: str | None = None,
    snapshot: Path | None = None,
    serve_port: int | None = None,
) -> None:
    """Simulate `days` of a `contacts`-strong portal against the twin, with Leadflow scoring it, and report.

    Leadflow's queue and worklist live in the Redis at `redis_url`, or in an in-process one when it is None; its
    ledger in the (empty) database at `database_url`, kept afterwards, or in a temporary SQLite file when it is None.
    `snapshot`: where to write the dashboard of the run as one HTML file; `serve_port`: then serve the dashboard
    on the demo's data at 127.0.0.1 on that port (0: any free one) until interrupted.
    """
    clock = SimClock(START)
    ledger = "the ledger at DATABASE_URL" if database_url else "a SQLite ledger"
    echo(f"Starting the HubSpot twin, {ledger} and Leadflow…")
    with (
        _quiet({"rq": logging.WARNING, "app": logging.ERROR}),  # retries show in the report as 429s
        tempfile.TemporaryDirectory(prefix="leadflow-demo-") as workdir,
        embedded_leadflow(Path(workdir), clock, redis_url, database_url) as runtime,
    ):
        where = f"Redis at {redis_url}" if redis_url else "in-process Redis"
        kept = "the ledger at DATABASE_URL (kept)" if database_url else "SQLite ledger"
        echo(f"Leadflow demo: HubSpot twin (190 requests / 10 s), {kept}, {where}; seed {seed}")
        container = runtime.container
        setup = run_setup(
            container.gateway(),
            container.ledger,
            container.model,
            container.clock,
            container.handover_config,
            container.nurture_config,
        )
        echo(f"leadflow setup: {len(setup.created)} properties created in 'Lead scoring (Leadflow)'")
        echo(f"Seeding the portal: {contacts} contacts with their companies and a sales team…")
        portal = seed_portal(runtime.twin, contacts, seed)
        runtime.settle_and_hold()
        echo(f"Portal: {len(portal.contacts)} contacts at {len(portal.companies)} companies, "
             f"{len(portal.owners)} sales reps; {days} days from {START:%Y-%m-%d}")  # fmt: skip
        simulation = Simulation(runtime.twin, clock, portal, days=days)
        with progress(simulation.ticks, "Simulating") as advance:

            def after_tick(tick: int) -> None:
                runtime.settle_and_hold()
                runtime.sweep_decay()  # once per simulated half day (production: every DECAY_SWEEP_SECONDS)
                # The watch likewise (production: every SLA_WATCH_SECONDS), the reconciliation once a simulated day
                # (production: every TOUCH_RECONCILE_SECONDS, 15 times less often): HubSpot's rate limit paces the demo.
                runtime.watch_sla(reconcile=tick % simulation.ticks_per_day == simulation.ticks_per_day - 1)
                advance(1)

            report = simulation.run(after_tick)
        print_report(runtime, portal, report, echo)
        window = kpi_window(runtime, START, days)
        print_kpis(runtime, window, echo)
        if snapshot is not None:
            echo(f"\nDashboard snapshot of the run: {write_snapshot(container, window, snapshot)}")
        if serve_port is not None:
            query = f"from={window[0]:%Y-%m-%d}&to={window[1]:%Y-%m-%d}"
            serve_dashboard(container, serve_port, echo, query)


@contextmanager
def _quiet(levels: dict[str, int]) -> Iterator[None]:
    """Raise these loggers' levels while the demo runs, then put them back."""
    loggers = {name: logging.getLogger(name) for name in levels}
    before = {name: logger.level for name, logger in loggers.items()}
    for name, logger in loggers.items():
        logger.setLevel(levels[name])
    try:
        yield
    finally:
        for name, logger in loggers.items():
            logger.setLevel(before[name])

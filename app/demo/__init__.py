"""`leadflow demo`: a simulated portal's months, scored by Leadflow in one process, ending in the funnel."""

from __future__ import annotations

import logging
import tempfile
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from pathlib import Path

from app.demo.backtest import print_backtests
from app.demo.calibration import print_calibration
from app.demo.dashboard import serve_dashboard, write_snapshot
from app.demo.kpis import Window, kpi_window, print_kpis
from app.demo.nurture import (
    FunnelOutcome,
    funnel_outcome,
    print_nurture_comparison,
    print_nurture_sends,
    print_step_effectiveness,
)
from app.demo.report import print_report
from app.demo.runtime import Runtime, embedded_leadflow
from hubspot_twin.simulator import SeededPortal, SimClock, Simulation, SimulationReport, seed_portal

START = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)
TICKS_PER_DAY = 2
Echo = Callable[[str], None]
Progress = Callable[[int, str], AbstractContextManager[Callable[[int], None]]]


def run_demo(
    contacts: int,
    days: int,
    seed: int,
    echo: Echo,
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
    stop = threading.Event()
    with (
        _quiet({"rq": logging.WARNING, "app": logging.ERROR}),  # retries show in the report as 429s
        tempfile.TemporaryDirectory(prefix="leadflow-demo-") as workdir,
        ThreadPoolExecutor(1, thread_name_prefix="leadflow-demo-without-nurture") as comparison,
    ):
        try:
            with embedded_leadflow(Path(workdir), clock, redis_url, database_url) as runtime:
                # The same seed without nurture, for the comparison, alongside (its own twin, rate limit and ledger).
                without = comparison.submit(_run_without_nurture, Path(workdir) / "without", contacts, days, seed, stop)
                where = f"Redis at {redis_url}" if redis_url else "in-process Redis"
                kept = "the ledger at DATABASE_URL (kept)" if database_url else "SQLite ledger"
                echo(f"Leadflow demo: HubSpot twin (190 requests / 10 s), {kept}, {where}; seed {seed}")
                portal, simulation = _prepare(runtime, clock, contacts, days, seed, echo)
                with progress(simulation.ticks, "Simulating") as advance:
                    report = _play(runtime, simulation, advance)
                window = _print_run(runtime, portal, report, days, echo)
                print_nurture_comparison(portal, funnel_outcome(runtime, portal, window), without.result(), echo)
                print_calibration(runtime, portal, window, echo)  # what the score predicted, against the personas
                print_backtests(runtime, window, echo)  # an inverted model shown worse; the capacity-aware threshold
                if snapshot is not None:
                    echo(f"\nDashboard snapshot of the run: {write_snapshot(runtime.container, window, snapshot)}")
                if serve_port is not None:
                    query = f"from={window[0]:%Y-%m-%d}&to={window[1]:%Y-%m-%d}"
                    serve_dashboard(runtime.container, serve_port, echo, query)
        finally:
            stop.set()  # a failed or interrupted run stops the comparison too


def _print_run(runtime: Runtime, portal: SeededPortal, report: SimulationReport, days: int, echo: Echo) -> Window:
    """Print the run's report, its KPIs and its nurture e-mails; return the KPI window."""
    print_report(runtime, portal, report, echo)
    window = kpi_window(runtime, START, days)
    print_kpis(runtime, window, echo)
    print_nurture_sends(report, echo)
    print_step_effectiveness(runtime, window, echo)  # Leadflow's per-step effectiveness (`leadflow nurture --report`)
    return window


def _prepare(
    runtime: Runtime, clock: SimClock, contacts: int, days: int, seed: int, echo: Echo
) -> tuple[SeededPortal, Simulation]:
    """Set the portal up for Leadflow and seed it (the same for the same seed); return it and its simulation."""
    container = runtime.container
    setup = container.setup_portal()
    echo(f"leadflow setup: {len(setup.created)} properties created in 'Lead scoring (Leadflow)'; leads {setup.leads}")
    echo(f"Seeding the portal: {contacts} contacts with their companies and a sales team…")
    portal = seed_portal(runtime.twin, contacts, seed)
    runtime.settle_and_hold()
    echo(f"Portal: {len(portal.contacts)} contacts at {len(portal.companies)} companies, "
         f"{len(portal.owners)} sales reps; {days} days from {START:%Y-%m-%d}")  # fmt: skip
    return portal, Simulation(runtime.twin, clock, portal, days=days, ticks_per_day=TICKS_PER_DAY)


def _play(runtime: Runtime, simulation: Simulation, advance: Callable[[int], None]) -> SimulationReport:
    """Play the simulation with Leadflow working after every tick, as it would between two clock runs."""

    def after_tick(tick: int) -> None:
        runtime.settle_and_hold()
        runtime.sweep_decay()  # once per simulated half day (production: every DECAY_SWEEP_SECONDS)
        runtime.nurture_due()  # likewise: the steps whose paced time has come are written
        # The watch likewise (production: every SLA_WATCH_SECONDS), the reconciliation once a simulated day
        # (production: every TOUCH_RECONCILE_SECONDS, 15 times less often): HubSpot's rate limit paces the demo.
        runtime.watch_sla(reconcile=tick % TICKS_PER_DAY == TICKS_PER_DAY - 1)
        advance(1)

    return simulation.run(after_tick)


def _run_without_nurture(workdir: Path, contacts: int, days: int, seed: int, stop: threading.Event) -> FunnelOutcome:
    """Play the same seed with nurture off, quietly, and return its funnel; stop early once `stop` is set."""
    workdir.mkdir()
    clock = SimClock(START)

    def advance(_ticks: int) -> None:
        if stop.is_set():
            raise DemoStopped

    with embedded_leadflow(workdir, clock, nurture=False) as runtime:
        portal, simulation = _prepare(runtime, clock, contacts, days, seed, lambda _line: None)
        _play(runtime, simulation, advance)
        return funnel_outcome(runtime, portal, kpi_window(runtime, START, days))


class DemoStopped(Exception):
    """The demo ended before its comparison run did."""


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

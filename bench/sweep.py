"""Sweep: the decay sweep on a 100,000-contact ledger where 1 % are due (PostgreSQL, the twin with HubSpot's limits).

1,000 contacts are seeded in the twin with engagement in the ledger and scored by a drain 40 days ago (Leadflow's
clock is moved): each one's `next_change_at` is stored. 99,000 more contact states, due later, fill the ledger to
100,000. Then, 40 days on:

- **Finding the due contacts**: the sweep's query (through the index on next_change_at), its database time
  (EXPLAIN ANALYZE) against the same query with PostgreSQL's index scans switched off in the same run (a full
  scan: what a sweep without the index would cost). Database work: the rows the plan reads per due contact and
  the buffers it touches (EXPLAIN ANALYZE, BUFFERS), against the full scan's. For information, the whole sweep job
  (the query and marking the contacts dirty in Redis), one run.
- **HubSpot requests per 100 re-scored**: the sweep marks them dirty, the drains re-assess them (company cache
  off: every company is read, the worst case); the twin counts the requests, against the floor of a drain (one
  batch read per 100 contacts, per 100 of their companies, one batch update per 100 written) with the economy
  section's allowance (1.1×: drains of 500 read a company that two of them share twice).
"""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import text

from app.bootstrap import Container, build_container
from app.ledger import state
from app.ledger.records import AssessedContact, Intake, NewSignal
from app.rules import Assessment
from app.sync.drain import DrainContext, drain_dirty_contacts
from app.sync.scoring.sweep import SweepContext, sweep_decay
from app.sync.setup import run_setup
from bench.env import Servers, Stack, stack
from bench.portal import scoring_floor, seed_portal, synthetic_portal
from bench.query_plans import DueQuery, index_against_scan
from bench.report import Figure, Report, Target
from hubspot_twin.simulator.clock import SimClock
from hubspot_twin.simulator.portal import SALES_TEAM

SECTION = "sweep"
LEDGER_CONTACTS = 100_000
SCORED = 1_000  # contacts in the twin, scored 40 days before the sweep: most of them are due by then
EVENTS = ("whitepaper_download", "webinar_registration", "pricing_page_view", "newsletter_click", "demo_request")
REPEATS = 7  # timings: the median of this many runs


def run(report: Report, quick: bool) -> None:
    del quick  # the ledger size is small enough for both modes
    # No debounce: Leadflow's clock stands still here (no burst to wait for); no company cache: the worst case.
    with stack(Servers(), settings={"company_cache_seconds": 0, "drain_debounce_seconds": 0}) as the_stack:
        clock = SimClock(datetime.now(UTC).replace(microsecond=0) - timedelta(days=40))
        container = build_container(the_stack.settings(), clock=clock)
        try:
            report.details[SECTION] = _measure(report, the_stack, container, clock)
        finally:
            container.ledger.engine.dispose()


def _measure(report: Report, the_stack: Stack, container: Container, clock: SimClock) -> dict[str, Any]:
    twin = the_stack.twin
    for name, email, team, _ in SALES_TEAM:
        twin.create_owner(email, *name.split(" ", 1), teams=[team])
    run_setup(container.gateway(), container.ledger, container.model, container.clock,
              nurture=container.nurture_config)  # fmt: skip
    portal = synthetic_portal(SCORED, SCORED // 5, seed=31)
    contact_ids = seed_portal(twin, portal)
    _record_engagement(container, contact_ids, clock())
    _drain_all(container)  # 40 days ago: every contact assessed, its next_change_at stored
    clock.advance(timedelta(days=40))
    now = clock()
    due = sum(len(page) for page in container.ledger.contacts.due_for_change(now))
    _fill_ledger(container, LEDGER_CONTACTS - SCORED, now)
    find = _find_figures(container, now, due)
    twin.reset_request_counts()
    sweep_started = time.perf_counter()
    marked = sweep_decay(container.provide(SweepContext)).due
    sweep_ms = (time.perf_counter() - sweep_started) * 1000
    written = _drain_all(container)
    used = twin.total_requests()
    companies = len({portal.company_of[n] for n in range(len(contact_ids)) if portal.company_of[n] is not None})
    floor = scoring_floor(marked, companies, written)
    where = f"{due:,} due of {LEDGER_CONTACTS:,} contact states, PostgreSQL, median of {REPEATS}"
    report.add(
        Figure(SECTION, "finding the due contacts: database time", find["index_db_ms"], "ms", find["scan_db_ms"],
               "the same query as a full scan, same run", Target("ratio", "<=", 0.25), note=where),
        Figure(SECTION, "finding the due contacts: rows read per due contact", find["index_rows"] / due, "rows",
               find["scan_rows"] / due, "a full scan", Target("value", "<=", 1.0),
               note=f"buffers touched: {find['index_buffers']:,} (full scan {find['scan_buffers']:,})"),
        Figure(SECTION, "the sweep job (query, marking dirty in Redis)", sweep_ms, "ms", find["scan_wall_ms"],
               "the full-scan query alone, in Leadflow", note="for information: one run"),
        Figure(SECTION, "HubSpot requests per 100 re-scored", used / marked * 100, "req", floor / marked * 100,
               "floor of a drain", Target("ratio", "<=", 1.1),
               note=f"{marked:,} re-scored in drains of 500, {written:,} written, companies read every time"),
    )  # fmt: skip
    return {
        "ledger_contacts": LEDGER_CONTACTS,
        "due": due,
        "marked": marked,
        "written": written,
        "requests": used,
        "floor": floor,
        "by_endpoint": {str(key): value for key, value in twin.request_counts().items()},
        **find,
    }


def _record_engagement(container: Container, contact_ids: list[str], now: datetime) -> None:
    """Give each contact a few events of the last 20 days, recorded as HubSpot's webhooks would be."""
    rng = random.Random(31)
    signals = []
    for contact_id in contact_ids:
        for n in range(rng.randint(2, 6)):
            kind = rng.choice(EVENTS)
            signals.append(
                NewSignal(f"bench-{contact_id}-{n}", "contact.propertyChange", "contact.changed", "contact",
                          contact_id, contact_id, now - timedelta(days=rng.uniform(0, 20)), {"bench": True}, (kind,))
            )  # fmt: skip
    container.ledger.signals.record_intake(Intake(signals=tuple(signals)), now)
    container.worklist.mark_dirty(contact_ids, now.timestamp())


def _drain_all(container: Container) -> int:
    """Drain until no contact is dirty; return how many were written."""
    written = 0
    while container.worklist.dirty_count():
        written += drain_dirty_contacts(container.provide(DrainContext)).written
    return written


def _fill_ledger(container: Container, count: int, now: datetime) -> None:
    """Contact states due between a minute and 90 days after `now`: the rest of a 100,000-contact portal."""
    rng = random.Random(32)
    assessment = Assessment(40, 12, 52, "B3", None, (), "default-2026-11", ())
    rows = [
        AssessedContact(f"9{n:08d}", None, assessment, now - timedelta(days=1), True,
                        now + timedelta(minutes=1 + rng.uniform(0, 90 * 24 * 60)))
        for n in range(count)
    ]  # fmt: skip
    for start in range(0, count, 10_000):
        container.ledger.contacts.record_assessed(rows[start : start + 10_000])
    with container.ledger.transaction() as connection:
        connection.execute(text("ANALYZE contact_state"))


def _find_figures(container: Container, now: datetime, due: int) -> dict[str, Any]:
    """The sweep's query through its index against a full scan (bench/query_plans.py)."""
    query = DueQuery(
        lambda connection: state.due_for_change(connection, now, None, LEDGER_CONTACTS),
        "SELECT contact_id, next_change_at FROM contact_state WHERE next_change_at <= :now "
        "ORDER BY next_change_at, contact_id LIMIT :limit",
        {"now": now, "limit": LEDGER_CONTACTS},
    )
    found = index_against_scan(container.ledger.engine, query, REPEATS)
    assert found["index_found"] == due, (found, due)
    return found

"""Nurture: the nurture step's HubSpot requests, and the `nurture-due` clock job on 100,000 contacts in nurture
(PostgreSQL, the twin with HubSpot's limits, the company cache off: every company read, the worst case).

1,000 contacts are seeded in the twin; setup runs as in production (nurture's properties made). Leadflow's clock
is a simulated one, at a Tuesday morning in Berlin (outside config/nurture.yaml's quiet hours):

- **HubSpot requests per 100 nurture steps, in the first drain**: each contact downloads a whitepaper (recorded in
  the ledger as HubSpot's webhooks would be) and drains of 500 score it and offer it the awareness track's
  `checklist` with the same batch update. Then each downloads the checklist and is drained again: the webinar
  invite waits for the five-day gap (every standing `waiting`).
- **The clock's cost for 100,000 contacts in nurture**: 99,000 more standings, waiting for steps due within 30 days,
  fill `nurture_contacts` to 100,000. Five days on, the 1,000 contacts' invites are due (1 %): the job's query
  (`due_for_offer`, through the index on (due_at, contact_id)), its database time (EXPLAIN ANALYZE) against the same
  query with PostgreSQL's index scans switched off in the same run (bench/query_plans.py), the rows it reads per
  due contact, and, for information, the whole job (the query and marking the contacts dirty in Redis), one run.
- **HubSpot requests per 100 nurture steps, in the clock's drain**: the job marked the due contacts dirty; drains
  offer each its `webinar-invite`.

Both request figures are judged against the floor of a drain (one batch read per 100 contacts, per 100 of their
companies, one batch update per 100 written) with the sweep's allowance (1.1×: drains of 500 read a company that
two of them share twice). Nurture asks HubSpot nothing of its own: the job makes no request, and the drains only
their batch reads and updates. Every offer is checked in the ledger.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import text

from app.bootstrap import Container, build_container
from app.ledger import nurture
from app.ledger.nurture import NurtureStanding
from app.ledger.records import Intake, NewSignal
from app.sync.drain import DrainContext, drain_dirty_contacts
from app.sync.nurture.due import NurtureDueContext, offer_due_steps
from app.sync.setup import run_setup
from bench.env import Servers, Stack, stack
from bench.portal import scoring_floor, seed_portal, synthetic_portal
from bench.query_plans import DueQuery, index_against_scan
from bench.report import Figure, Report, Target
from hubspot_twin.simulator.clock import SimClock
from hubspot_twin.simulator.portal import SALES_TEAM

SECTION = "nurture"
IN_NURTURE = 100_000  # contacts with a standing in nurture_contacts
NURTURED = 1_000  # contacts in the twin: they enter the awareness track and are offered its first two steps
START = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)  # Tuesday 10:00 in Berlin: outside the quiet hours (20:00-08:00)
GAP = timedelta(days=5)  # config/nurture.yaml's min_gap_days: the webinar invite waits this long after the checklist
REPEATS = 7  # timings: the median of this many runs
# The requests a drain makes: its batch reads and its one batch update. Nurture adds none of its own.
DRAIN_ENDPOINTS = frozenset(
    {
        "POST /crm/v3/objects/contacts/batch/read",
        "POST /crm/v3/objects/companies/batch/read",
        "POST /crm/v3/objects/contacts/batch/update",
    }
)


def run(report: Report, quick: bool) -> None:
    del quick  # the sizes are small enough for both modes
    # No debounce: Leadflow's clock stands still here (no burst to wait for); no company cache: the worst case.
    with stack(Servers(), settings={"company_cache_seconds": 0, "drain_debounce_seconds": 0}) as the_stack:
        clock = SimClock(START)
        container = build_container(the_stack.settings(), clock=clock)
        try:
            assert container.nurture_config is not None, "the bench runs with the shipped config/nurture.yaml"
            report.details[SECTION] = _measure(report, the_stack, container, clock)
        finally:
            container.ledger.engine.dispose()


def _measure(report: Report, the_stack: Stack, container: Container, clock: SimClock) -> dict[str, Any]:
    twin = the_stack.twin
    for name, email, team, _ in SALES_TEAM:
        twin.create_owner(email, *name.split(" ", 1), teams=[team])
    run_setup(container.gateway(), container.ledger, container.model, container.clock, container.handover_config,
              container.nurture_config)  # fmt: skip
    portal = synthetic_portal(NURTURED, NURTURED // 5, seed=41)
    contact_ids = seed_portal(twin, portal)
    companies = len({at for at in portal.company_of if at is not None})
    # The first drain: a whitepaper download each, every contact offered the checklist.
    _record_events(container, contact_ids, "whitepaper_download", clock())
    twin.reset_request_counts()
    first = _drain_all(container)
    first_requests = twin.request_counts()
    _assert_offered(container, contact_ids, "checklist")
    # A checklist download each: the webinar invite waits for the gap.
    clock.advance(timedelta(hours=2))
    _record_events(container, contact_ids, "checklist_download", clock())
    _drain_all(container)
    waiting = container.ledger.nurture.standings_of(contact_ids)
    assert all(_waits_for_invite(waiting.get(contact_id)) for contact_id in contact_ids), Counter(
        (s.state, s.step) for s in waiting.values()
    )
    # Five days on: the invites are due; 99,000 more standings wait for later steps.
    clock.advance(GAP)
    now = clock()
    _fill_standings(container, IN_NURTURE - NURTURED, now)
    due = sum(len(page) for page in container.ledger.nurture.due_for_offer(now))
    assert due == NURTURED, due
    find = _find_figures(container, now, due)
    twin.reset_request_counts()
    job_started = time.perf_counter()
    marked = offer_due_steps(container.provide(NurtureDueContext)).due
    job_ms = (time.perf_counter() - job_started) * 1000
    job_requests = twin.total_requests()
    assert (marked, job_requests) == (NURTURED, 0), (marked, job_requests)
    later = _drain_all(container)
    later_requests = twin.request_counts()
    _assert_offered(container, contact_ids, "webinar-invite")
    drains = (("first", first, first_requests), ("clock", later, later_requests))
    floors, used = {}, {}
    for name, (drained, written), requests in drains:
        assert set(requests) <= DRAIN_ENDPOINTS, requests  # nurture made no request of its own
        floors[name] = scoring_floor(drained, companies, written)
        used[name] = sum(requests.values())
    where = f"{due:,} due of {IN_NURTURE:,} standings, PostgreSQL, median of {REPEATS}"
    report.add(
        Figure(SECTION, "HubSpot requests per 100 nurture steps, first drain", used["first"] / NURTURED * 100, "req",
               floors["first"] / NURTURED * 100, "floor of a drain", Target("ratio", "<=", 1.1),
               note=f"{NURTURED:,} offered checklist with their first scores, {first[1]:,} written; no request of "
                    "nurture's own"),
        Figure(SECTION, "the clock's due contacts: database time", find["index_db_ms"], "ms", find["scan_db_ms"],
               "the same query as a full scan, same run", Target("ratio", "<=", 0.25), note=where),
        Figure(SECTION, "the clock's due contacts: rows read per due contact", find["index_rows"] / due, "rows",
               find["scan_rows"] / due, "a full scan", Target("value", "<=", 1.0),
               note=f"buffers touched: {find['index_buffers']:,} (full scan {find['scan_buffers']:,})"),
        Figure(SECTION, "the nurture-due job (query, marking dirty in Redis)", job_ms, "ms", find["scan_wall_ms"],
               "the full-scan query alone, in Leadflow", note="for information: one run, no HubSpot request"),
        Figure(SECTION, "HubSpot requests per 100 nurture steps, the clock's drain", used["clock"] / NURTURED * 100,
               "req", floors["clock"] / NURTURED * 100, "floor of a drain", Target("ratio", "<=", 1.1),
               note=f"{NURTURED:,} offered webinar-invite, {later[1]:,} written; no request of nurture's own"),
    )  # fmt: skip
    return {
        "in_nurture": IN_NURTURE,
        "nurtured": NURTURED,
        "companies": companies,
        "due": due,
        "marked": marked,
        "job_ms": job_ms,
        "first_drain": {"drained": first[0], "written": first[1], "requests": used["first"], "floor": floors["first"],
                        "by_endpoint": {str(key): value for key, value in first_requests.items()}},
        "clock_drain": {"drained": later[0], "written": later[1], "requests": used["clock"], "floor": floors["clock"],
                        "by_endpoint": {str(key): value for key, value in later_requests.items()}},
        **find,
    }  # fmt: skip


def _record_events(container: Container, contact_ids: list[str], kind: str, now: datetime) -> None:
    """Give each contact one event of `kind` in the last minutes, recorded as HubSpot's webhooks would be."""
    rng = random.Random(f"{SECTION}-{kind}")
    signals = [
        NewSignal(f"bench-{contact_id}-{kind}", "contact.propertyChange", "contact.changed", "contact", contact_id,
                  contact_id, now - timedelta(minutes=rng.uniform(1, 30)), {"bench": True}, (kind,))
        for contact_id in contact_ids
    ]  # fmt: skip
    container.ledger.signals.record_intake(Intake(signals=tuple(signals)), now)
    container.worklist.mark_dirty(contact_ids, now.timestamp())


def _drain_all(container: Container) -> tuple[int, int]:
    """Drain until no contact is dirty; return how many contacts were drained and how many written."""
    drained = written = 0
    while container.worklist.dirty_count():
        outcome = drain_dirty_contacts(container.provide(DrainContext))
        drained += outcome.claimed
        written += outcome.written
    return drained, written


def _assert_offered(container: Container, contact_ids: list[str], step: str) -> None:
    """Every contact was offered `step` once, as the ledger holds it."""
    offers = container.ledger.nurture.offers_of(contact_ids)
    offered = [c for c in contact_ids if [o.step for o in offers.get(c, []) if o.step == step] == [step]]
    assert len(offered) == len(contact_ids), (step, len(offered), len(contact_ids))


def _waits_for_invite(standing: NurtureStanding | None) -> bool:
    return standing is not None and (standing.state, standing.step) == ("waiting", "webinar-invite")


def _fill_standings(container: Container, count: int, now: datetime) -> None:
    """Standings waiting for steps due between a minute and 30 days after `now`: the rest of 100,000 in nurture."""
    rng = random.Random(42)
    standings = [
        NurtureStanding(f"9{n:08d}", "waiting", "awareness", "webinar-invite",
                        now + timedelta(minutes=1 + rng.uniform(0, 30 * 24 * 60)), now - timedelta(days=1))
        for n in range(count)
    ]  # fmt: skip
    with container.ledger.transaction() as connection:
        for start in range(0, count, 10_000):
            nurture.record_standings(connection, standings[start : start + 10_000])
        connection.execute(text("ANALYZE nurture_contacts"))


def _find_figures(container: Container, now: datetime, due: int) -> dict[str, Any]:
    """The job's query through its index against a full scan (bench/query_plans.py)."""
    query = DueQuery(
        lambda connection: nurture.due_for_offer(connection, now, None, nurture.DUE_PAGE),
        "SELECT contact_id, due_at FROM nurture_contacts WHERE due_at <= :now ORDER BY due_at, contact_id LIMIT :limit",
        {"now": now, "limit": nurture.DUE_PAGE},
    )
    found = index_against_scan(container.ledger.engine, query, REPEATS)
    assert found["index_found"] == due, (found, due)
    return found

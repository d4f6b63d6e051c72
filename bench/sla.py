"""SLA: the SLA watch on 10,000 open handovers (PostgreSQL, the twin with HubSpot's limits).

10,000 SQL handovers with a one-hour clock (target sql-a) are put in the ledger, assigned over the last working
hours so their clocks are spread; what each contact shows is recorded as written. Then:

- **One run of the watch with nothing to do** (no step due, no status changed): the database time of its two
  queries (steps due, clocks to write, rows turned into Python), and the whole job's wall time (those plus
  computing 10,000 statuses). No HubSpot request.
- **HubSpot requests per 100 status changes**: 1,000 of the handovers belong to contacts in the twin; the clock is
  moved so each of their statuses changes; one run writes them, against the floor of one batch update per 100.
- **HubSpot requests per 100 escalations**: the clock is moved past those 1,000 handovers' due time; one run
  escalates them to their owner's manager with a task each, against the floor of one task upsert and one
  task→contact association create per 100.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert, text

from app.bootstrap import Container, build_container
from app.ledger.models import HANDOVERS, SLA_STEPS
from app.ledger.records import SlaClock
from app.rules.sla import SlaConfig, sla_points
from app.rules.sla.steps import clock_steps
from app.sync.setup import run_setup
from app.sync.sla.status import sla_view
from app.sync.sla.watch import SlaWatchContext, watch_sla
from bench.env import Servers, stack
from bench.report import Figure, Report, Target
from hubspot_twin.simulator.portal import SALES_TEAM

SECTION = "sla"
HANDOVERS_OPEN = 10_000
IN_TWIN = 1_000  # handovers whose contacts exist in the twin: their status changes are written
REPEATS = 5
START = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)  # Tuesday 09:00 in Berlin: sql-a's calendar is open
ESCALATED_OWNER = "dana.fuchs@example.com"  # the twin's handovers' owner: config/sla.yaml names her manager


def run(report: Report, quick: bool) -> None:
    del quick  # 10,000 handovers is small enough for both modes
    with stack(Servers()) as the_stack:
        container = build_container(the_stack.settings())
        try:
            twin = the_stack.twin
            owners = {email: twin.create_owner(email, *name.split(" ", 1), teams=[team])
                      for name, email, team, _ in SALES_TEAM}  # fmt: skip
            run_setup(container.gateway(), container.ledger, container.model, container.clock,
                      nurture=container.nurture_config)  # fmt: skip
            contacts = [twin.create_object("contacts", {"email": f"sla{n}@bench.example"}) for n in range(IN_TWIN)]
            report.details[SECTION] = _measure(report, container, contacts, twin, owners[ESCALATED_OWNER])
        finally:
            container.ledger.engine.dispose()


def _measure(report: Report, container: Container, contacts: list[str], twin: Any, owner: str) -> dict[str, Any]:
    config = container.sla
    assert config is not None, "the bench runs with the shipped config/sla.yaml"
    _fill(container, config, contacts, owner)
    context = container.provide(SlaWatchContext)
    quiet = START + timedelta(minutes=5)  # every clock on track, nothing due, everything written
    twin.reset_request_counts()
    walls = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        idle = watch_sla(replace(context, clock=lambda: quiet))
        walls.append((time.perf_counter() - started) * 1000)
    assert (idle.reminders, idle.contacts_written) == (0, 0), idle
    idle_requests = twin.total_requests()
    queries = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        container.ledger.sla.due_steps(quiet)
        container.ledger.sla.clocks_to_write()
        queries.append((time.perf_counter() - started) * 1000)
    # The twin's contacts were assigned first: at +35 minutes their reminder is due and their status is at_risk.
    twin.reset_request_counts()
    changed_at = START + timedelta(minutes=35)
    started = time.perf_counter()
    changed = watch_sla(replace(context, clock=lambda: changed_at))
    changed_ms = (time.perf_counter() - started) * 1000
    by_endpoint = twin.request_counts()
    writes = sum(count for key, count in by_endpoint.items() if "batch/update" in str(key))
    floor = -(-changed.contacts_written // 100)
    # At +61 minutes the twin's handovers are breached: their escalations are due (the 80 % reminders skipped).
    twin.reset_request_counts()
    started = time.perf_counter()
    escalated = watch_sla(replace(context, clock=lambda: START + timedelta(minutes=61)))
    escalated_ms = (time.perf_counter() - started) * 1000
    escalation_endpoints = twin.request_counts()
    tasks = sum(count for key, count in escalation_endpoints.items() if "task" in str(key).lower())
    assert escalated.escalations >= IN_TWIN, escalated
    report.add(
        Figure(SECTION, "one watch run, 10,000 open clocks, nothing due: database time", statistics.median(queries),
               "ms", note=f"its two queries (steps due, clocks to write) with the rows read; median of {REPEATS}"),
        Figure(SECTION, "one watch run, 10,000 open clocks, nothing due: the whole job", statistics.median(walls),
               "ms", note=f"with 10,000 statuses computed; {idle_requests} HubSpot requests; median of {REPEATS}"),
        Figure(SECTION, "HubSpot requests per 100 status changes (contact writes)", writes / changed.contacts_written
               * 100, "req", floor / changed.contacts_written * 100, "one batch update per 100",
               Target("ratio", "<=", 1.0), note=f"{changed.contacts_written:,} statuses changed in one run"),
        Figure(SECTION, "the run that fired the reminders and wrote them", changed_ms, "ms",
               note=f"{changed.reminders:,} reminders (notifications: none configured), for information"),
        Figure(SECTION, "HubSpot requests per 100 escalations (tasks, their associations)", tasks / IN_TWIN * 100,
               "req", 2.0, "one task upsert and one association create per 100", Target("ratio", "<=", 1.0),
               note=f"{IN_TWIN:,} escalations with a task in one run of {escalated_ms / 1000:,.1f} s"),
    )  # fmt: skip
    return {
        "open_handovers": HANDOVERS_OPEN,
        "idle_ms": walls,
        "query_ms": queries,
        "idle_requests": idle_requests,
        "changed": changed.contacts_written,
        "reminders": changed.reminders,
        "by_endpoint": {str(key): value for key, value in by_endpoint.items()},
        "escalations": escalated.escalations,
        "escalation_ms": escalated_ms,
        "escalation_by_endpoint": {str(key): value for key, value in escalation_endpoints.items()},
    }


def _fill(container: Container, config: SlaConfig, contacts: list[str], owner: str) -> None:
    """10,000 done SQL handovers on sql-a clocks: the twin's contacts assigned at START to `owner`, the rest over
    the next hours; what each contact shows at START + 5 minutes is recorded as written."""
    target = next(t for t in config.targets if t.id == "sql-a")
    handovers: list[dict[str, Any]] = []
    steps: list[dict[str, Any]] = []
    for n in range(HANDOVERS_OPEN):
        contact_id = contacts[n] if n < len(contacts) else f"8{n:08d}"
        assigned = START if n < len(contacts) else START + timedelta(minutes=10 + n % 300)
        owner_id = owner if n < len(contacts) else "70000001"
        points = sla_points(config, target, assigned)
        key = f"{contact_id}-sql-1"
        clock = SlaClock(key, contact_id, "sql", owner_id, "sql-a", assigned, assigned, points.due_at, None, None,
                         0, 0)  # fmt: skip
        written = sla_view(config, clock, START + timedelta(minutes=5)).fingerprint()
        handovers.append(
            {"key": key, "contact_id": contact_id, "stage": "sql", "cycle": 1, "status": "done",
             "owner_id": owner_id, "routing_strategy": "bench", "routing_reason": "bench", "assigned_at": assigned,
             "due_at": points.due_at, "escalations": 0, "sla_target": "sql-a", "sla_clock_at": assigned,
             "sla_due_at": points.due_at, "reassignments": 0, "sla_written": written}
        )  # fmt: skip
        steps.extend({"handover_key": key, "step": s.name, "due_at": s.due_at} for s in clock_steps(config, points))
    with container.ledger.transaction() as connection:
        for start in range(0, len(handovers), 5_000):
            connection.execute(insert(HANDOVERS), handovers[start : start + 5_000])
        for start in range(0, len(steps), 10_000):
            connection.execute(insert(SLA_STEPS), steps[start : start + 10_000])
        connection.execute(text("ANALYZE handovers"))
        connection.execute(text("ANALYZE sla_steps"))

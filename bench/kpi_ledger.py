"""A ledger of lead cycles for the dashboard's benchmark and tests: contacts, their stage transitions and their
handovers (with SLA clocks), written by bulk inserts, deterministic for a seed.

Contacts are created evenly over `days` before `end`; the first `cycles` of them (spread over the same time) become
MQLs a day after creation, are handed over to one of six owners, touched (most), accepted or rejected (with a
reason), some become SQLs with a deal, and deals are won or lost. The rows are what the drain would have recorded,
so the facts are built by the real code (app/ledger/kpis.py, app/rules/kpis/cycles.py).
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, insert

from app.ledger.models import CONTACT_STATE, HANDOVERS, NURTURE_STEPS, TRANSITIONS

OWNERS = ("70000001", "70000002", "70000003", "70000004", "70000005", "70000006")
GRADES = ("A1", "A2", "B1", "B2", "C2", "C3")
REASONS = ("BAD_TIMING", "UNQUALIFIED", "UNQUALIFIED", "UNQUALIFIED", "NO_BUDGET", "BAD_TIMING")
CHUNK = 5000
# The awareness track of config/nurture.yaml, in order: what a nurtured contact of the bench was offered.
NURTURE_PATH = ("checklist", "webinar-invite", "best-of-newsletter")


def fill_kpi_ledger(
    engine: Engine, contacts: int, cycles: int, end: datetime, days: int = 365, seed: int = 7, offers: bool = False
) -> None:
    """Write `contacts` contacts, `cycles` of them qualified and handed over, created over `days` before `end`;
    with `offers`, 60 % of the contacts were nurtured (one to three steps of the awareness track)."""
    rng, nurture_rng = random.Random(seed), random.Random(seed + 1)
    start = end - timedelta(days=days)
    step = (end - start) / max(1, contacts)
    qualified_every = max(1, contacts // max(1, cycles))
    states, transitions, handovers, steps = [], [], [], []
    for n in range(contacts):
        contact = str(10_000_000 + n)
        created = start + step * n
        qualified = n % qualified_every == 0 and n // qualified_every < cycles
        states.append(_state(contact, created, "mql" if qualified else None))
        cycle_transitions: list[dict[str, Any]] = []
        if qualified:
            cycle_transitions, cycle_handovers = lead_cycle(rng, contact, created, OWNERS[n % len(OWNERS)], end)
            transitions += cycle_transitions
            handovers += cycle_handovers
        if offers and nurture_rng.random() < 0.6:
            mql_at = cycle_transitions[0]["at"] if cycle_transitions else None
            steps += nurture_offers(nurture_rng, contact, created, mql_at, end)
    tables = ((CONTACT_STATE, states), (TRANSITIONS, transitions), (HANDOVERS, handovers), (NURTURE_STEPS, steps))
    with engine.begin() as connection:
        for table, rows in tables:
            for chunk in _chunks(rows):
                connection.execute(insert(table), chunk)


def nurture_offers(
    rng: random.Random, contact: str, created: datetime, mql_at: datetime | None, end: datetime
) -> list[dict[str, Any]]:
    """Return the nurture steps offered to one contact from its creation on, 5 to 15 days apart, each completed
    two times in five, every one offered before the contact's MQL converted then (none after it, none after `end`)."""
    rows, offered_at = [], created + timedelta(hours=rng.random() * 12)
    for step in NURTURE_PATH[: rng.randint(1, len(NURTURE_PATH))]:
        if offered_at > end or (mql_at is not None and offered_at >= mql_at):
            break
        completed = offered_at + timedelta(hours=rng.random() * 72) if rng.random() < 0.4 else None
        if completed is not None and completed > end:
            completed = None
        rows.append({"contact_id": contact, "track": "awareness", "step": step, "offered_at": offered_at,
                     "completed_at": completed, "converted_at": mql_at})  # fmt: skip
        offered_at += timedelta(days=5 + rng.random() * 10)
    return rows


def lead_cycle(
    rng: random.Random, contact: str, created: datetime, owner: str, end: datetime
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Return the transitions and handovers of one qualified lead cycle (times after `end` are left out)."""
    grade = rng.choice(GRADES)
    mql_at = created + timedelta(hours=20 + rng.random() * 8)
    transitions = [transition(contact, "mql", mql_at, grade, mql_at - timedelta(minutes=3))]
    assigned = mql_at + timedelta(seconds=20 + rng.random() * 90)
    touched = assigned + timedelta(minutes=rng.expovariate(1 / 180)) if rng.random() < 0.85 else None
    answer = rng.random()
    outcome = "accepted" if touched and answer < 0.55 else ("rejected" if touched and answer < 0.8 else None)
    outcome_at = touched + timedelta(hours=rng.random() * 48) if touched and outcome else None
    handover = handover_row(contact, "mql", owner, assigned, touched, outcome, outcome_at,
                            rng.choice(REASONS) if outcome == "rejected" else None)  # fmt: skip
    # A lead left unanswered is let go after a while (untouched: 5 days, touched: 14): the open handovers are the
    # recent ones, as in a portal whose sales team works its queue.
    let_go = assigned + timedelta(days=5 if touched is None else 14)
    if outcome is None and let_go <= end:
        handover["ended_at"], handover["end_reason"] = let_go, "deleted"
    handovers = [handover]
    if outcome == "accepted" and outcome_at and rng.random() < 0.6:
        sql_at = outcome_at + timedelta(hours=1)
        transitions.append(transition(contact, "sql", sql_at, grade, sql_at))
        deal_at = sql_at + timedelta(minutes=1)
        deal = handover_row(contact, "sql", owner, deal_at, deal_at + timedelta(minutes=rng.expovariate(1 / 60)),
                            "accepted", deal_at + timedelta(hours=2), None)  # fmt: skip
        deal["deal_id"] = f"9{contact}"
        if rng.random() < 0.7:
            deal["deal_outcome"] = "won" if rng.random() < 0.4 else "lost"
            deal["deal_outcome_at"] = sql_at + timedelta(days=5 + rng.random() * 30)
        handover["ended_at"], handover["end_reason"] = sql_at, "superseded"
        handovers.append(deal)
    return [row for row in transitions if row["at"] <= end], [row for row in handovers if row["assigned_at"] <= end]


def transition(contact: str, stage: str, at: datetime, grade: str, signal_at: datetime) -> dict[str, Any]:
    """Return a transitions row: the contact entered `stage` at `at`."""
    return {
        "contact_id": contact, "from_stage": None, "to_stage": stage, "at": at, "cycle": 1, "model": "bench",
        "fit": 40, "engagement": 20, "score": 60, "grade": grade, "cause": "signal", "signal_at": signal_at,
    }  # fmt: skip


def handover_row(
    contact: str, stage: str, owner: str, assigned: datetime, touched: datetime | None, outcome: str | None,
    outcome_at: datetime | None, reason: str | None,
) -> dict[str, Any]:  # fmt: skip
    """Return a handovers row carried out at `assigned`, with an SLA clock of target `stage`."""
    due = assigned + timedelta(hours=8 if stage == "mql" else 4)
    return {
        "key": f"{contact}-{stage}-1", "contact_id": contact, "stage": stage, "cycle": 1, "status": "done",
        "owner_id": owner, "routing_strategy": "round_robin", "routing_reason": "bench", "assigned_at": assigned,
        "due_at": due, "first_due_at": due, "done_at": assigned, "first_touch_at": touched, "outcome": outcome,
        "outcome_reason": reason, "outcome_at": outcome_at, "escalations": 0, "sla_target": stage,
        "sla_clock_at": assigned, "sla_due_at": due, "reassignments": 0, "deal_id": None, "deal_outcome": None,
        "deal_outcome_at": None, "ended_at": None, "end_reason": None,
    }  # fmt: skip


def _state(contact: str, created: datetime, stage: str | None) -> dict[str, Any]:
    return {"contact_id": contact, "fit": 40, "engagement": 20, "score": 60, "grade": "B2", "stage": stage,
            "reasons": "", "model": "bench", "qualification_cycle": 1, "assessed_at": created, "changed_at": created,
            "created_at": created}  # fmt: skip


def _chunks(rows: Sequence[dict[str, Any]]) -> Iterator[Sequence[dict[str, Any]]]:
    for first in range(0, len(rows), CHUNK):
        yield rows[first : first + CHUNK]

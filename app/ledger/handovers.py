"""Handovers in the ledger: reserved once per (contact, stage, cycle) under a routing lock, then completed.

Routing decisions are serialised: every reservation transaction first updates the `__lock__` row of
`routing_cursors`, which PostgreSQL locks for the transaction and SQLite only grants one writer at a time, so
two workers never read the same cursor or the same open-handover counts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, fields
from datetime import datetime

from sqlalchemy import Connection, func, select, update

from app.ledger import endings
from app.ledger.models import HANDOVERS, ROUTING_CURSORS, SLA_STEPS, TRANSITIONS, Handover, RoutingCursor
from app.ledger.records import HandoverDone, HandoverRecord, HandoverRequest, TransitionRecord
from app.ledger.upsert import insert_for
from app.rules.handover.types import RoutingDecision, RoutingState

LOCK_ROW = "__lock__"
Decide = Callable[[HandoverRequest, RoutingState], tuple[RoutingDecision, RoutingState]]
_RECORD_FIELDS = [f.name for f in fields(HandoverRecord)]


def reserve(
    connection: Connection, requests: Sequence[HandoverRequest], decide: Decide, at: datetime
) -> list[HandoverRecord]:
    """Return the handovers of `requests`, routing and inserting the ones not reserved before."""
    connection.execute(
        update(RoutingCursor).where(RoutingCursor.pool == LOCK_ROW).values(position=RoutingCursor.position + 1)
    )
    existing = set(by_keys(connection, [r.key for r in requests]))
    snapshot = _snapshot(connection)
    before = dict(snapshot.cursors)
    for request in requests:
        if request.key in existing:
            continue
        decision, snapshot = decide(request, snapshot)
        connection.execute(HANDOVERS.insert().values(**_new_row(request, decision, at)))
        existing.add(request.key)
    _save_cursors(connection, before, snapshot.cursors)
    return list(by_keys(connection, [r.key for r in requests]).values())


def _new_row(request: HandoverRequest, decision: RoutingDecision, at: datetime) -> dict[str, object]:
    return {
        "key": request.key,
        "contact_id": request.contact_id,
        "stage": request.stage,
        "cycle": request.cycle,
        "status": "planned",
        "owner_id": decision.owner_id,
        "routing_strategy": decision.strategy,
        "routing_reason": decision.reason[:2000],
        "assigned_at": at,
        "escalations": 0,
    }


def snapshot(connection: Connection) -> RoutingState:
    """Return routing's remembered state (for a dry run: no lock is taken)."""
    return _snapshot(connection)


def _snapshot(connection: Connection) -> RoutingState:
    cursors = dict(connection.execute(select(RoutingCursor.pool, RoutingCursor.position)).all())
    cursors.pop(LOCK_ROW, None)
    open_counts = connection.execute(
        select(Handover.owner_id, func.count())
        .where(Handover.outcome.is_(None), Handover.ended_at.is_(None), Handover.owner_id.is_not(None))
        .group_by(Handover.owner_id)
    ).all()
    return RoutingState(cursors, {owner: int(count) for owner, count in open_counts if owner})


def _save_cursors(connection: Connection, before: Mapping[str, int], after: Mapping[str, int]) -> None:
    changed = [{"pool": pool, "position": position} for pool, position in after.items() if before.get(pool) != position]
    if not changed:
        return
    statement = insert_for(connection, ROUTING_CURSORS)
    statement = statement.on_conflict_do_update(index_elements=["pool"], set_={"position": statement.excluded.position})
    connection.execute(statement, changed)


def by_keys(connection: Connection, keys: Sequence[str]) -> dict[str, HandoverRecord]:
    """Return the handovers with these keys."""
    if not keys:
        return {}
    rows = connection.execute(select(*(HANDOVERS.c[name] for name in _RECORD_FIELDS)).where(Handover.key.in_(keys)))
    return {row.key: HandoverRecord(**row._asdict()) for row in rows}


def of_contacts(connection: Connection, contact_ids: Sequence[str]) -> dict[str, list[HandoverRecord]]:
    """Return every handover of these contacts, oldest first, by contact id."""
    found: dict[str, list[HandoverRecord]] = {}
    statement = (
        select(*(HANDOVERS.c[name] for name in _RECORD_FIELDS))
        .where(Handover.contact_id.in_(list(contact_ids)))
        .order_by(Handover.id)
    )
    for row in connection.execute(statement):
        found.setdefault(row.contact_id, []).append(HandoverRecord(**row._asdict()))
    return found


def complete(connection: Connection, done: Sequence[HandoverDone], at: datetime) -> None:
    """Record what each handover created in HubSpot; mark it done; start its SLA clock when it has one."""
    for item in done:
        values: dict[str, object] = {"status": "done", "done_at": at, "task_id": item.task_id, "deal_id": item.deal_id}
        values.update(due_at=item.due_at, lead_id=item.lead_id)
        if item.notified:
            values["notified_at"] = at
        if item.sla is not None:
            values.update(sla_target=item.sla.target, sla_clock_at=item.sla.clock_at, sla_due_at=item.sla.due_at)
            values["due_at"] = item.sla.due_at  # one truth: the SLA's due time is the handover's
            add_steps(connection, item.key, item.sla.steps)
        values["first_due_at"] = values["due_at"]  # a reassignment moves `due_at`, never this
        connection.execute(update(Handover).where(Handover.key == item.key).values(**values))


def add_steps(connection: Connection, key: str, steps: Sequence[tuple[str, datetime]]) -> None:
    """Insert the steps of a clock (a step inserted before, by a retried drain, stays as it is)."""
    if not steps:
        return
    statement = insert_for(connection, SLA_STEPS).on_conflict_do_nothing(index_elements=["handover_key", "step"])
    connection.execute(statement, [{"handover_key": key, "step": step, "due_at": due} for step, due in steps])


def routed(
    connection: Connection, decide: Callable[[RoutingState], tuple[RoutingDecision, RoutingState]]
) -> RoutingDecision:
    """Route once under the routing lock (as `reserve` does), saving the cursors the decision moved."""
    connection.execute(
        update(RoutingCursor).where(RoutingCursor.pool == LOCK_ROW).values(position=RoutingCursor.position + 1)
    )
    snapshot = _snapshot(connection)
    decision, after = decide(snapshot)
    _save_cursors(connection, snapshot.cursors, after.cursors)
    return decision


def record_feedback(connection: Connection, key: str, outcome: str, reason: str | None, at: datetime) -> None:
    """Record sales' first answer to a handover (later answers do not overwrite it)."""
    connection.execute(
        update(Handover)
        .where(Handover.key == key, Handover.outcome.is_(None))
        .values(outcome=outcome, outcome_reason=reason, outcome_at=at, first_response_at=at)
    )


def mark_recycled(connection: Connection, key: str, at: datetime) -> None:
    """Note that the rejected handover was recycled: it ended (see app/ledger/endings.py)."""
    connection.execute(update(Handover).where(Handover.key == key).values(status="recycled"))
    endings.end(connection, [key], "rejected", at)


def record_task_completed(connection: Connection, task_id: str, at: datetime) -> list[str]:
    """Note that a handover's task was completed; return the contacts concerned."""
    connection.execute(
        update(Handover)
        .where(Handover.task_id == task_id, Handover.task_completed_at.is_(None))
        .values(task_completed_at=at)
    )
    return _contacts_where(connection, Handover.task_id == task_id)


def record_deal_outcome(connection: Connection, deal_id: str, outcome: str, at: datetime) -> list[str]:
    """Note that a handover's deal was won or lost; return the contacts concerned."""
    connection.execute(
        update(Handover).where(Handover.deal_id == deal_id).values(deal_outcome=outcome, deal_outcome_at=at)
    )
    return _contacts_where(connection, Handover.deal_id == deal_id)


def _contacts_where(connection: Connection, condition: object) -> list[str]:
    rows = connection.execute(select(Handover.contact_id).where(condition).distinct())  # type: ignore[arg-type]
    return [contact for (contact,) in rows]


def record_transitions(connection: Connection, transitions: Sequence[TransitionRecord]) -> None:
    """Store stage changes with the assessments that caused them."""
    rows = [asdict(transition) for transition in transitions]  # its fields are the columns
    if rows:
        connection.execute(TRANSITIONS.insert(), rows)


def transitions_of(connection: Connection, contact_id: str) -> list[TransitionRecord]:
    """Return a contact's stage changes, oldest first."""
    columns = (TRANSITIONS.c[name] for name in _TRANSITION_FIELDS)
    statement = select(*columns).where(TRANSITIONS.c.contact_id == contact_id).order_by(TRANSITIONS.c.id)
    return [TransitionRecord(**row._asdict()) for row in connection.execute(statement)]


_TRANSITION_FIELDS = [f.name for f in fields(TransitionRecord)]

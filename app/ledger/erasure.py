"""Erasing contacts from the ledger (privacy deletion, `leadflow forget`, retention) and pruning old signals,
quarantined events and score history.

What is erased leaves only a count-level record in `erasures`: when, why, how many contacts and rows — never
whose. See docs/data-protection.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection, and_, delete, insert, or_, select

from app.ledger.backtests import forget_contacts as forget_in_backtests
from app.ledger.models import (
    CONTACT_HISTORY,
    ERASURES,
    ORPHANED_TASKS,
    ContactState,
    DataTask,
    Engagement,
    Handover,
    NurtureContact,
    OrphanedTask,
    QuarantinedEventRow,
    ScoreChange,
    Signal,
    SlaStep,
)
from app.ledger.upsert import insert_for


def erase_contacts(
    connection: Connection, contact_ids: Sequence[str], reason: str, at: datetime, *, orphan_tasks: bool = False
) -> int:
    """Delete every ledger row of these contacts; record the erasure's counts; return the rows deleted.

    `orphan_tasks` (HubSpot deleted the contacts): first keep the ids of the open tasks Leadflow created for them,
    handover and data tasks, so the `close-work` job completes them; HubSpot keeps a deleted contact's tasks."""
    ids = sorted(set(contact_ids))
    if not ids:
        return 0
    if orphan_tasks:
        _orphan_open_tasks(connection, ids, at)
    own_events = and_(Signal.object_type == "contact", Signal.object_id.in_(ids))
    statements = [
        delete(Engagement).where(Engagement.contact_id.in_(ids)),
        delete(Signal).where(or_(Signal.contact_id.in_(ids), own_events)),
        delete(SlaStep).where(SlaStep.handover_key.in_(select(Handover.key).where(Handover.contact_id.in_(ids)))),
        delete(Handover).where(Handover.contact_id.in_(ids)),
        delete(DataTask).where(DataTask.contact_id.in_(ids)),
        *(delete(table).where(table.c.contact_id.in_(ids)) for table in CONTACT_HISTORY),
        delete(ContactState).where(ContactState.contact_id.in_(ids)),
        delete(NurtureContact).where(NurtureContact.contact_id.in_(ids)),
        delete(QuarantinedEventRow).where(QuarantinedEventRow.object_id.in_(ids)),
    ]
    rows = sum(connection.execute(statement).rowcount or 0 for statement in statements)
    forget_in_backtests(connection, ids)  # their entries in the backtests' documents: not rows of their own
    connection.execute(insert(ERASURES).values(at=at, reason=reason, contacts=len(ids), rows=rows))
    return rows


def _orphan_open_tasks(connection: Connection, ids: Sequence[str], at: datetime) -> None:
    handover_tasks = select(Handover.task_id).where(
        Handover.contact_id.in_(ids),
        Handover.task_id.is_not(None),
        Handover.task_completed_at.is_(None),
        Handover.closed_at.is_(None),
    )
    data_tasks = select(DataTask.task_id).where(DataTask.contact_id.in_(ids), DataTask.completed_at.is_(None))
    task_ids = {task_id for (task_id,) in connection.execute(handover_tasks.union(data_tasks)) if task_id}
    if task_ids:
        rows = [{"task_id": task_id, "reason": "deleted", "queued_at": at} for task_id in sorted(task_ids)]
        connection.execute(insert_for(connection, ORPHANED_TASKS).on_conflict_do_nothing(), rows)


def orphaned_tasks(connection: Connection, limit: int) -> dict[str, str]:
    """Return a page of erased contacts' open tasks to complete: task id → the closing note's reason."""
    statement = select(OrphanedTask.task_id, OrphanedTask.reason).order_by(OrphanedTask.queued_at).limit(limit)
    return {task_id: reason for task_id, reason in connection.execute(statement)}


def forget_orphaned_tasks(connection: Connection, task_ids: Sequence[str]) -> None:
    """Drop these tasks from the queue (completed, or gone from HubSpot)."""
    if task_ids:
        connection.execute(delete(OrphanedTask).where(OrphanedTask.task_id.in_(list(task_ids))))


def contacts_deleted_before(connection: Connection, before: datetime) -> list[str]:
    """Return the contacts HubSpot deleted before `before` (it no longer keeps them for restoring)."""
    statement = select(ContactState.contact_id).where(ContactState.deleted_at < before)
    return [contact_id for (contact_id,) in connection.execute(statement)]


def prune_signals(connection: Connection, processed_before: datetime) -> int:
    """Delete processed signals (raw webhook payloads) older than `before`; their engagements stay."""
    statement = delete(Signal).where(Signal.processed_at.is_not(None), Signal.processed_at < processed_before)
    return connection.execute(statement).rowcount or 0


def prune_quarantine(connection: Connection, received_before: datetime) -> int:
    """Delete quarantined events received before `received_before`, replayed or not."""
    statement = delete(QuarantinedEventRow).where(QuarantinedEventRow.received_at < received_before)
    return connection.execute(statement).rowcount or 0


def prune_score_changes(connection: Connection, before: datetime) -> int:
    """Delete score history rows written before `before` (the contact's state keeps the latest values)."""
    return connection.execute(delete(ScoreChange).where(ScoreChange.at < before)).rowcount or 0

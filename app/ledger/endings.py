"""The end of handovers in the ledger, and the close-out of what they created in HubSpot.

A handover ends once: rejected (and recycled), superseded by a higher stage of the same cycle, its deal won or lost,
its contact deleted, or its contact merged into one that has its own handover of that stage and cycle. An ended
handover no longer takes its owner's slot (routing counts open handovers), and waits with `closed_at` empty until
the drain has closed its task (and, when rejected, its deal) in HubSpot. Marketing-ops data tasks are kept here too,
so the drain completes them when the missing data arrives.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import fields
from datetime import datetime

from sqlalchemy import Connection, insert, select, update

from app.ledger.models import HANDOVERS, DataTask, Handover
from app.ledger.records import HandoverRecord

END_REASONS = ("rejected", "superseded", "won", "lost", "deleted", "merged")
CLOSING_PAGE = 100  # ended handovers the drain closes per batch (one HubSpot batch request per kind of object)
_RECORD_FIELDS = [f.name for f in fields(HandoverRecord)]


def end(connection: Connection, keys: Sequence[str], reason: str, at: datetime) -> None:
    """End these handovers (those not ended before) for `reason`."""
    if keys:
        connection.execute(
            update(Handover)
            .where(Handover.key.in_(list(keys)), Handover.ended_at.is_(None))
            .values(ended_at=at, end_reason=reason)
        )


def end_of_contacts(connection: Connection, contact_ids: Sequence[str], reason: str, at: datetime) -> None:
    """End every open handover of these contacts for `reason` (deleted in HubSpot)."""
    if contact_ids:
        connection.execute(
            update(Handover)
            .where(Handover.contact_id.in_(list(contact_ids)), Handover.ended_at.is_(None))
            .values(ended_at=at, end_reason=reason)
        )


def end_with_deal(connection: Connection, deal_id: str, outcome: str, at: datetime) -> None:
    """End the open handovers whose deal was won or lost."""
    connection.execute(
        update(Handover)
        .where(Handover.deal_id == deal_id, Handover.ended_at.is_(None))
        .values(ended_at=at, end_reason=outcome)
    )


def to_close(connection: Connection, limit: int = CLOSING_PAGE) -> list[HandoverRecord]:
    """Return ended handovers whose HubSpot work Leadflow has not closed yet, oldest end first."""
    statement = (
        select(*(HANDOVERS.c[name] for name in _RECORD_FIELDS))
        .where(Handover.closed_at.is_(None), Handover.ended_at.is_not(None))
        .order_by(Handover.ended_at, Handover.id)
        .limit(limit)
    )
    return [HandoverRecord(**row._asdict()) for row in connection.execute(statement)]


def record_closed(connection: Connection, keys: Sequence[str], at: datetime) -> None:
    """Note that Leadflow closed these ended handovers' work in HubSpot."""
    if keys:
        connection.execute(
            update(Handover).where(Handover.key.in_(list(keys)), Handover.closed_at.is_(None)).values(closed_at=at)
        )


def record_feedback_issue(connection: Connection, key: str, issue: str) -> None:
    """Note what was wrong with sales' rejection of a handover (`missing` or `unknown` reason)."""
    connection.execute(update(Handover).where(Handover.key == key).values(feedback_issue=issue))


def record_late_reason(connection: Connection, key: str, reason: str) -> None:
    """Record the reason sales gave after the rejection; the handover keeps that it came `late`."""
    connection.execute(
        update(Handover)
        .where(Handover.key == key, Handover.feedback_issue.in_(("missing", "unknown")))
        .values(outcome_reason=reason[:128], feedback_issue="late")
    )


def record_data_tasks(connection: Connection, tasks: Mapping[str, tuple[str, str]], at: datetime) -> None:
    """Remember data tasks created in HubSpot: key → (contact id, task id); a key already known is kept."""
    known = set(connection.execute(select(DataTask.key).where(DataTask.key.in_(list(tasks)))).scalars())
    rows = [
        {"key": key, "contact_id": contact_id, "task_id": task_id, "created_at": at}
        for key, (contact_id, task_id) in tasks.items()
        if key not in known
    ]
    if rows:
        connection.execute(insert(DataTask), rows)


def open_data_tasks(connection: Connection, contact_ids: Sequence[str]) -> dict[str, tuple[str, str]]:
    """Return the data tasks of these contacts not completed yet: key → (contact id, task id)."""
    if not contact_ids:
        return {}
    statement = select(DataTask.key, DataTask.contact_id, DataTask.task_id).where(
        DataTask.contact_id.in_(list(contact_ids)), DataTask.completed_at.is_(None)
    )
    return {key: (contact_id, task_id) for key, contact_id, task_id in connection.execute(statement)}


def record_data_tasks_completed(connection: Connection, keys: Sequence[str], at: datetime) -> None:
    """Note that these data tasks were completed."""
    if keys:
        connection.execute(update(DataTask).where(DataTask.key.in_(list(keys))).values(completed_at=at))


def move_data_tasks(connection: Connection, merged: Sequence[str], survivor: str) -> None:
    """Give the merged contacts' data tasks to the survivor (HubSpot moves the tasks' associations too)."""
    connection.execute(update(DataTask).where(DataTask.contact_id.in_(list(merged))).values(contact_id=survivor))

"""Signals not yet reflected: the resolver's queue (companies, engagement objects, recalls the drains left), the
drain's changes awaiting a recall, and the reconciler's."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, bindparam, func, or_, select, update

from app.ledger.intake import insert_engagements
from app.ledger.models import SIGNALS, Signal
from app.ledger.records import AWAITING_RECALL, Backlog, PendingSignal, Resolution


def pending_object_signals(connection: Connection, limit: int, after_id: int = 0) -> list[PendingSignal]:
    """Return the oldest unprocessed signals after `after_id` whose contacts are not yet known."""
    statement = (
        select(Signal)
        .where(Signal.processed_at.is_(None), Signal.contact_id.is_(None), Signal.id > after_id)
        .order_by(Signal.id)
        .limit(limit)
    )
    return [_pending(row) for row in connection.execute(statement)]


def awaiting_recall_of(connection: Connection, contact_ids: Sequence[str], watermark: int) -> list[PendingSignal]:
    """Return the unprocessed changes of these contacts, up to `watermark`, that await a recall (oldest first)."""
    if not contact_ids:
        return []
    statement = (
        select(Signal)
        .where(
            Signal.processed_at.is_(None),
            Signal.contact_id.is_(None),
            Signal.kind == AWAITING_RECALL,
            Signal.object_id.in_(list(contact_ids)),
            Signal.id <= watermark,
        )
        .order_by(Signal.id)
    )
    return [_pending(row) for row in connection.execute(statement)]


def _pending(row: Row[Any]) -> PendingSignal:
    return PendingSignal(
        id=row.id,
        kind=row.kind,
        subscription_type=row.subscription_type,
        object_type=row.object_type,
        object_id=row.object_id,
        occurred_at=row.occurred_at,
        payload=row.payload,
        received_at=row.received_at,
    )


def record_resolutions(connection: Connection, resolutions: Sequence[Resolution], at: datetime) -> None:
    """Attach each resolved signal's engagements to its contacts and mark the signal processed (a contact's own
    change instead becomes that contact's unprocessed signal, which its drain closes)."""
    rows = [
        {
            "contact_id": contact_id,
            "type": engagement_type,
            "occurred_at": resolution.occurred_at,
            "source_key": resolution.object_key,
            "signal_id": resolution.signal_id,
        }
        for resolution in resolutions
        for contact_id in resolution.contact_ids
        for engagement_type in resolution.engagement_types
    ]
    insert_engagements(connection, rows)
    ids = [resolution.signal_id for resolution in resolutions if resolution.owner_contact is None]
    if ids:
        connection.execute(update(Signal).where(Signal.id.in_(ids)).values(processed_at=at))
    owned = [
        {"signal": resolution.signal_id, "owner": resolution.owner_contact}
        for resolution in resolutions
        if resolution.owner_contact is not None
    ]
    if owned:  # one statement for all of them (executemany), not one round trip each
        statement = update(SIGNALS).where(SIGNALS.c.id == bindparam("signal")).values(contact_id=bindparam("owner"))
        connection.execute(statement, owned)


def contacts_with_pending_signals(connection: Connection, received_before: datetime) -> list[str]:
    """Return contacts with a signal received before `received_before` that is still unprocessed: their own, or a
    change awaiting a recall (which names its contact by `object_id` until its drain judges it)."""
    contact = func.coalesce(Signal.contact_id, Signal.object_id)
    statement = (
        select(contact)
        .where(
            Signal.processed_at.is_(None),
            or_(Signal.contact_id.is_not(None), Signal.kind == AWAITING_RECALL),
            Signal.received_at < received_before,
        )
        .distinct()
    )
    return [str(contact_id) for (contact_id,) in connection.execute(statement) if contact_id is not None]


def count_pending_object_signals(connection: Connection, received_before: datetime) -> int:
    """Return how many company/engagement-object signals received before `received_before` wait."""
    statement = select(func.count()).where(
        Signal.processed_at.is_(None), Signal.contact_id.is_(None), Signal.received_at < received_before
    )
    return int(connection.execute(statement).scalar_one())


def watermark(connection: Connection) -> int:
    """Return the id of the newest stored signal (0 when there is none)."""
    return int(connection.execute(select(func.coalesce(func.max(Signal.id), 0))).scalar_one())


def backlog_of(connection: Connection, contact_ids: Sequence[str], watermark: int) -> dict[str, Backlog]:
    """Return, by contact, its unprocessed signals up to `watermark`: how many, the oldest one's arrival, the newest
    one's occurrence."""
    if not contact_ids:
        return {}
    statement = (
        select(Signal.contact_id, func.count(), func.min(Signal.received_at), func.max(Signal.occurred_at))
        .where(Signal.contact_id.in_(list(contact_ids)), Signal.id <= watermark, Signal.processed_at.is_(None))
        .group_by(Signal.contact_id)
    )
    return {
        str(contact_id): Backlog(int(count), oldest, newest)
        for contact_id, count, oldest, newest in connection.execute(statement)
    }

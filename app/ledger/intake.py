"""Recording a webhook request: signals, the engagements they imply, merges and privacy deletions."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, delete, exists, update
from sqlalchemy.orm import aliased

from app.ledger import endings, handovers, leads, nurture, touches
from app.ledger.erasure import erase_contacts
from app.ledger.models import (
    CONTACT_HISTORY,
    ENGAGEMENTS,
    QUARANTINE,
    SIGNALS,
    ContactState,
    Engagement,
    Handover,
    QuarantinedEventRow,
    Signal,
)
from app.ledger.records import AWAITING_RECALL, Intake, IntakeResult, Merge, NewSignal, QuarantinedEvent
from app.ledger.upsert import insert_for
from app.rules.sla.policy import FirstTouch

SIGNAL_COLUMNS = (
    "dedupe_key", "source", "subscription_type", "kind", "object_type", "object_id", "contact_id",
    "occurred_at", "received_at", "payload",
)  # fmt: skip
FEEDBACK_KINDS = frozenset(
    {"handover.task-completed", "handover.deal-won", "handover.deal-lost", "handover.lead-changed"}
)
_DRAINED_KINDS = FEEDBACK_KINDS | {AWAITING_RECALL}  # signals without a contact that the resolver does not take first


def record_intake(
    connection: Connection, intake: Intake, received_at: datetime, first_touch: FirstTouch | None = None
) -> IntakeResult:
    """Store new signals and their engagements, quarantine the malformed events, mark replayed ones, record
    touches (judged under `first_touch`; none without it), apply merges and privacy deletions; skip duplicates."""
    unique = list({signal.dedupe_key: signal for signal in reversed(intake.signals)}.values())[::-1]
    new_ids = _insert_signals(connection, unique, received_at)
    new_signals = [signal for signal in unique if signal.dedupe_key in new_ids]
    _insert_engagements(connection, [(new_ids[s.dedupe_key], s) for s in new_signals])
    feedback = [s for s in new_signals if s.kind in FEEDBACK_KINDS]
    closing: set[str] = set()  # contacts whose handover ended with its deal: a drain closes the handover's task
    for signal in feedback:
        closing.update(_apply_feedback(connection, new_ids[signal.dedupe_key], signal, received_at))
    if first_touch is not None and intake.touches:
        touches.record_touches(connection, intake.touches, first_touch)
    for merge in intake.merges:
        move_contact_rows(connection, merge, received_at)
    if first_touch is not None and intake.merges:  # the survivor's touches now include the merged contacts'
        touches.judge_contacts(connection, sorted({merge.survivor for merge in intake.merges}), first_touch)
    quarantined = _quarantine(connection, intake.quarantined, received_at)
    _mark_replayed(connection, intake.replayed, received_at)
    erase_contacts(connection, intake.forgotten, "privacy-deletion", received_at, orphan_tasks=True)
    forgotten = frozenset(intake.forgotten)
    # A change awaiting a recall names its contact by `object_id`: the contact's drain recalls what it needs.
    dirty = {s.contact_id or s.object_id for s in new_signals if s.contact_id is not None or s.kind == AWAITING_RECALL}
    dirty |= closing
    return IntakeResult(
        stored=len(new_signals),
        duplicates=len(intake.signals) - len(new_signals),
        dirty_contacts=frozenset(dirty - forgotten),
        pending_objects=sum(1 for s in new_signals if s.contact_id is None and s.kind not in _DRAINED_KINDS),
        forgotten=forgotten,
        quarantined=quarantined,
    )


def _quarantine(connection: Connection, events: Sequence[QuarantinedEvent], received_at: datetime) -> int:
    """Set the malformed events aside (one row per event, however often it is delivered); return the new rows."""
    if not events:
        return 0
    unique = {event.fingerprint: event for event in events}.values()
    rows = [{**asdict(event), "received_at": received_at} for event in unique]  # its fields are the columns
    statement = (
        insert_for(connection, QUARANTINE)
        .on_conflict_do_nothing(index_elements=["fingerprint"])
        .returning(QUARANTINE.c.id)
    )
    return len(connection.execute(statement, rows).all())


def _mark_replayed(connection: Connection, ids: Sequence[int], at: datetime) -> None:
    if ids:
        statement = update(QuarantinedEventRow).where(QuarantinedEventRow.id.in_(ids)).values(replayed_at=at)
        connection.execute(statement)


def _apply_feedback(connection: Connection, signal_id: int, signal: NewSignal, at: datetime) -> list[str]:
    """Record a handover's task completion or deal outcome; the signal is processed at once. A won or lost deal
    ends its handover: return its contacts, whose next drain completes the task the handover left open. A Lead's
    change returns its contacts too: their drain reads the Lead's stage (sales' answer)."""
    closing: list[str] = []
    if signal.kind == "handover.lead-changed":
        contacts = closing = leads.lead_changed(connection, signal.object_id, signal.occurred_at)
    elif signal.kind == "handover.task-completed":
        contacts = handovers.record_task_completed(connection, signal.object_id, signal.occurred_at)
    else:
        outcome = signal.kind.removeprefix("handover.deal-")
        contacts = handovers.record_deal_outcome(connection, signal.object_id, outcome, signal.occurred_at)
        endings.end_with_deal(connection, signal.object_id, outcome, signal.occurred_at)
        closing = contacts
    contact_id = contacts[0] if contacts else None
    connection.execute(update(Signal).where(Signal.id == signal_id).values(contact_id=contact_id, processed_at=at))
    return closing


def _insert_signals(connection: Connection, signals: Sequence[NewSignal], received_at: datetime) -> dict[str, int]:
    """Insert the signals not stored yet; return the new ones' ids by dedupe key."""
    if not signals:
        return {}
    if connection.dialect.name == "postgresql":
        return _insert_signals_unnest(connection, signals, received_at)
    rows = [_signal_row(signal, received_at) for signal in signals]
    # One statement executed with many rows: SQLAlchemy compiles it once (cached) and sends the rows as
    # multi-row INSERTs ("insertmanyvalues"); `.values(rows)` would compile a new 1,000-parameter statement per batch.
    statement = (
        insert_for(connection, SIGNALS)
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(SIGNALS.c.id, SIGNALS.c.dedupe_key)
    )
    return {key: signal_id for signal_id, key in connection.execute(statement, rows)}


# PostgreSQL: the whole batch as one INSERT of ten array parameters, a statement short enough for the
# driver to cache; a multi-row VALUES list costs more to render and parse than to store.
PG_INSERT_SIGNALS = f"""
INSERT INTO signals ({", ".join(SIGNAL_COLUMNS)})
SELECT * FROM unnest(
    %b::varchar[], %b::varchar[], %b::varchar[], %b::varchar[], %b::varchar[], %b::varchar[], %b::varchar[],
    %b::timestamptz[], %b::timestamptz[], %b::json[])
ON CONFLICT (dedupe_key) DO NOTHING
RETURNING id, dedupe_key
"""

PG_INSERT_ENGAGEMENTS = """
INSERT INTO engagements (contact_id, type, occurred_at, source_key, signal_id)
SELECT * FROM unnest(%b::varchar[], %b::varchar[], %b::timestamptz[], %b::varchar[], %b::bigint[])
ON CONFLICT (contact_id, type, source_key) DO NOTHING
"""


def _insert_signals_unnest(
    connection: Connection, signals: Sequence[NewSignal], received_at: datetime
) -> dict[str, int]:
    columns = (
        [s.dedupe_key for s in signals],
        [s.source for s in signals],
        [s.subscription_type for s in signals],
        [s.kind for s in signals],
        [s.object_type for s in signals],
        [s.object_id for s in signals],
        [s.contact_id for s in signals],
        [aware(s.occurred_at) for s in signals],
        [aware(received_at)] * len(signals),
        [json.dumps(s.payload) for s in signals],
    )
    result = connection.exec_driver_sql(PG_INSERT_SIGNALS, columns)
    return {key: signal_id for signal_id, key in result}


def aware(value: datetime) -> datetime:
    """Return `value`, which must be timezone-aware (the ledger stores UTC instants only)."""
    if value.tzinfo is None:
        raise ValueError("the ledger stores timezone-aware datetimes only")
    return value


def _signal_row(signal: NewSignal, received_at: datetime) -> dict[str, Any]:
    return {
        "dedupe_key": signal.dedupe_key,
        "source": signal.source,
        "subscription_type": signal.subscription_type,
        "kind": signal.kind,
        "object_type": signal.object_type,
        "object_id": signal.object_id,
        "contact_id": signal.contact_id,
        "occurred_at": signal.occurred_at,
        "received_at": received_at,
        "payload": dict(signal.payload),
    }


def _insert_engagements(connection: Connection, stored: Iterable[tuple[int, NewSignal]]) -> None:
    rows = [
        {
            "contact_id": signal.contact_id,
            "type": engagement_type,
            "occurred_at": signal.occurred_at,
            "source_key": signal.dedupe_key,
            "signal_id": signal_id,
        }
        for signal_id, signal in stored
        if signal.contact_id is not None
        for engagement_type in signal.engagement_types
    ]
    insert_engagements(connection, rows)


def insert_engagements(connection: Connection, rows: list[dict[str, Any]]) -> None:
    """Insert engagement rows; an occurrence already recorded for that contact is skipped."""
    if not rows:
        return
    if connection.dialect.name == "postgresql":
        columns = (
            [row["contact_id"] for row in rows],
            [row["type"] for row in rows],
            [aware(row["occurred_at"]) for row in rows],
            [row["source_key"] for row in rows],
            [row["signal_id"] for row in rows],
        )
        connection.exec_driver_sql(PG_INSERT_ENGAGEMENTS, columns)
        return
    statement = insert_for(connection, ENGAGEMENTS).on_conflict_do_nothing(
        index_elements=["contact_id", "type", "source_key"]
    )
    connection.execute(statement, rows)


def move_contact_rows(connection: Connection, merge: Merge, at: datetime) -> None:
    """Re-key the merged contacts' signals, engagements, transitions, score history and handovers to the survivor
    (their changes awaiting a recall are recalled from the survivor); drop their state. A handover left under a
    merged id (the survivor has its own of that stage and cycle) ends as `merged`."""
    merged = [contact for contact in merge.merged if contact != merge.survivor]
    if not merged:
        return
    survivor_row = aliased(Engagement)
    already_there = exists().where(
        and_(
            survivor_row.contact_id == merge.survivor,
            survivor_row.type == Engagement.type,
            survivor_row.source_key == Engagement.source_key,
        )
    )
    connection.execute(delete(Engagement).where(Engagement.contact_id.in_(merged), already_there))
    connection.execute(update(Engagement).where(Engagement.contact_id.in_(merged)).values(contact_id=merge.survivor))
    connection.execute(update(Signal).where(Signal.contact_id.in_(merged)).values(contact_id=merge.survivor))
    awaiting = and_(Signal.kind == AWAITING_RECALL, Signal.processed_at.is_(None), Signal.object_id.in_(merged))
    connection.execute(update(Signal).where(awaiting).values(object_id=merge.survivor))
    touches.move_touches(connection, merged, merge.survivor)  # before the history: one touch per source
    nurture.move_offers(connection, merged, merge.survivor)  # likewise: one offer per step
    nurture.forget_standings(connection, merged)  # derived: the survivor's next drain plans it again
    for table in CONTACT_HISTORY:
        connection.execute(update(table).where(table.c.contact_id.in_(merged)).values(contact_id=merge.survivor))
    _move_handovers(connection, merged, merge.survivor)
    endings.end_of_contacts(connection, merged, "merged", at)
    endings.move_data_tasks(connection, merged, merge.survivor)
    connection.execute(delete(ContactState).where(ContactState.contact_id.in_(merged)))


def _move_handovers(connection: Connection, merged: list[str], survivor: str) -> None:
    """Give the merged contacts' handovers to the survivor, except where it has its own for that stage and cycle
    (those stay under the merged id as history)."""
    theirs = aliased(Handover)
    clash = exists().where(
        and_(theirs.contact_id == survivor, theirs.stage == Handover.stage, theirs.cycle == Handover.cycle)
    )
    for contact_id in merged:  # one at a time: two merged contacts may hold the same stage and cycle
        connection.execute(
            update(Handover).where(Handover.contact_id == contact_id, ~clash).values(contact_id=survivor)
        )

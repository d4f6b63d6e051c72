"""The ledger: the durable record behind Leadflow, on SQLite or PostgreSQL.

Every method is one transaction. Callers pass and receive the plain records of `app.ledger.records`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, Select, func, select

from app.ledger import erasure, handovers, intake, pending, state
from app.ledger.models import ERASURES, ContactState, Engagement, Signal
from app.ledger.records import (
    AssessedContact,
    Backlog,
    ContactStateRecord,
    EngagementRecord,
    HandoverDone,
    HandoverRecord,
    HandoverRequest,
    Intake,
    IntakeResult,
    LedgerCounts,
    PendingSignal,
    Resolution,
    TransitionRecord,
)
from app.rules.handover.types import RoutingState


class Ledger:
    """Signals, engagements and contact state, stored in one SQL database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def transaction(self) -> AbstractContextManager[Connection]:
        """Return one transaction, for work recorded together (a drain's steps); committed when the block ends."""
        return self.engine.begin()

    def record_intake(self, batch: Intake, received_at: datetime) -> IntakeResult:
        """Store a webhook request's signals (duplicates skipped), merges and privacy deletions."""
        with self.engine.begin() as connection:
            return intake.record_intake(connection, batch, received_at)

    def watermark(self) -> int:
        """Return the id of the newest stored signal."""
        with self.engine.connect() as connection:
            return pending.watermark(connection)

    def backlog_of(self, contact_ids: Sequence[str], watermark: int) -> dict[str, Backlog]:
        """Return the unprocessed signals of these contacts up to `watermark` (count, oldest arrival), by contact."""
        with self.engine.connect() as connection:
            return pending.backlog_of(connection, contact_ids, watermark)

    def engagements_of(self, contact_ids: Sequence[str]) -> dict[str, list[EngagementRecord]]:
        """Return the engagements of these contacts, by contact id."""
        with self.engine.connect() as connection:
            return state.engagements_of(connection, contact_ids)

    def record_drain(
        self,
        assessed: Sequence[AssessedContact],
        missing: Sequence[str],
        errors: Mapping[str, str],
        watermark: int,
        at: datetime,
        done: Sequence[HandoverDone] = (),
        transitions: Sequence[TransitionRecord] = (),
    ) -> None:
        """Record everything a drain did in one transaction: handovers done, transitions, state, processed signals.

        One transaction, so a drain killed half-way records nothing and its re-run records everything once.
        Signals of refused contacts count as processed too: the refusal is recorded on the contact, and
        retrying it on every reconcile could not succeed until something about the contact changes.
        """
        with self.engine.begin() as connection:
            handovers.complete(connection, done, at)
            handovers.record_transitions(connection, transitions)
            state.record_assessed(connection, assessed)
            state.mark_deleted(connection, missing, at)
            state.record_error(connection, errors)
            state.mark_processed(connection, [*(c.contact_id for c in assessed), *missing], watermark, at)

    def states_of(self, contact_ids: Sequence[str]) -> dict[str, ContactStateRecord]:
        """Return the recorded state of these contacts."""
        with self.engine.connect() as connection:
            return state.states_of(connection, contact_ids)

    def pending_object_signals(self, limit: int = 1000, after_id: int = 0) -> list[PendingSignal]:
        """Return unprocessed signals after `after_id` whose contacts are not yet known (companies, meetings)."""
        with self.engine.connect() as connection:
            return pending.pending_object_signals(connection, limit, after_id)

    def record_resolutions(self, resolutions: Sequence[Resolution], at: datetime) -> None:
        """Attach resolved signals to their contacts and mark them processed."""
        with self.engine.begin() as connection:
            pending.record_resolutions(connection, resolutions, at)

    def contacts_with_pending_signals(self, received_before: datetime) -> list[str]:
        """Return contacts whose signals wait unprocessed since before `received_before`."""
        with self.engine.connect() as connection:
            return pending.contacts_with_pending_signals(connection, received_before)

    def count_pending_object_signals(self, received_before: datetime) -> int:
        """Return how many unresolved signals wait since before `received_before`."""
        with self.engine.connect() as connection:
            return pending.count_pending_object_signals(connection, received_before)

    def contacts_at_companies(self, company_ids: Sequence[str]) -> dict[str, list[str]]:
        """Return the contacts last seen at these companies, by company id."""
        with self.engine.connect() as connection:
            return state.contacts_at_companies(connection, company_ids)

    def reserve_handovers(
        self, requests: Sequence[HandoverRequest], decide: handovers.Decide, at: datetime
    ) -> list[HandoverRecord]:
        """Return the handovers of `requests`; route (under the routing lock) and insert the new ones."""
        if not requests:
            return []
        with self.engine.begin() as connection:
            return handovers.reserve(connection, requests, decide, at)

    def routing_snapshot(self) -> RoutingState:
        """Return routing's remembered state: cursors per pool and open handovers per owner."""
        with self.engine.connect() as connection:
            return handovers.snapshot(connection)

    def complete_handovers(self, done: Sequence[HandoverDone], at: datetime) -> None:
        """Record what the handovers created in HubSpot."""
        if done:
            with self.engine.begin() as connection:
                handovers.complete(connection, done, at)

    def handovers_of(self, contact_ids: Sequence[str]) -> dict[str, list[HandoverRecord]]:
        """Return every handover of these contacts, oldest first."""
        with self.engine.connect() as connection:
            return handovers.of_contacts(connection, contact_ids)

    def record_feedback(self, key: str, outcome: str, reason: str | None, at: datetime) -> None:
        """Record sales' first answer to a handover."""
        with self.engine.begin() as connection:
            handovers.record_feedback(connection, key, outcome, reason, at)

    def recycle(self, key: str, contact_id: str, at: datetime) -> int:
        """Close a rejected handover and start the contact's next qualification cycle; return its number."""
        with self.engine.begin() as connection:
            handovers.mark_recycled(connection, key)
            return state.start_new_cycle(connection, contact_id, at)

    def record_transitions(self, transitions: Sequence[TransitionRecord]) -> None:
        """Store stage changes."""
        if transitions:
            with self.engine.begin() as connection:
                handovers.record_transitions(connection, transitions)

    def transitions_of(self, contact_id: str) -> list[TransitionRecord]:
        """Return a contact's stage changes, oldest first."""
        with self.engine.connect() as connection:
            return handovers.transitions_of(connection, contact_id)

    def forget(self, contact_ids: Sequence[str], reason: str, at: datetime) -> int:
        """Erase every row of these contacts (privacy deletion, `leadflow forget`); return the rows deleted."""
        with self.engine.begin() as connection:
            return erasure.erase_contacts(connection, contact_ids, reason, at)

    def prune(self, signals_before: datetime, deleted_before: datetime, at: datetime) -> tuple[int, int]:
        """Apply retention: drop processed signals older than `signals_before` and erase contacts HubSpot
        deleted before `deleted_before`; return (signals pruned, contacts erased)."""
        with self.engine.begin() as connection:
            signals = erasure.prune_signals(connection, signals_before)
            gone = erasure.contacts_deleted_before(connection, deleted_before)
            erasure.erase_contacts(connection, gone, "retention", at)
            return signals, len(gone)

    def erasures(self) -> list[tuple[datetime, str, int, int]]:
        """Return the count-level erasure records: (at, reason, contacts, rows)."""
        with self.engine.connect() as connection:
            rows = connection.execute(select(ERASURES.c.at, ERASURES.c.reason, ERASURES.c.contacts, ERASURES.c.rows))
            return [(at, reason, contacts, count) for at, reason, contacts, count in rows]

    def property_types(self) -> dict[str, str]:
        """Return HubSpot's recorded property types (`contact.name` → type)."""
        with self.engine.connect() as connection:
            return state.property_types(connection)

    def save_property_types(self, types: Mapping[str, str], at: datetime) -> None:
        """Replace the recorded HubSpot property types."""
        with self.engine.begin() as connection:
            state.save_property_types(connection, types, at)

    def counts(self) -> LedgerCounts:
        """Return row counts for status reports."""
        with self.engine.connect() as connection:
            by_kind = dict(connection.execute(select(Signal.kind, func.count()).group_by(Signal.kind)).all())
            return LedgerCounts(
                signals=sum(by_kind.values()),
                pending_signals=_count(connection, select(func.count()).where(Signal.processed_at.is_(None))),
                engagements=_count(connection, select(func.count()).select_from(Engagement)),
                contacts=_count(connection, select(func.count()).select_from(ContactState)),
                by_kind=by_kind,
            )


def _count(connection: Connection, statement: Select[Any]) -> int:
    return int(connection.execute(statement).scalar_one())

"""A contact's score history: one compact row per score change Leadflow wrote to HubSpot, and the timeline
`leadflow history` shows (state, score changes, stage transitions, handovers).

Score changes follow merges to the surviving contact (app/ledger/intake.py), are erased with the contact
(app/ledger/erasure.py) and pruned after the signals' retention period (docs/data-protection.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, fields

from sqlalchemy import Connection, select

from app.ledger import handovers, state
from app.ledger.models import SCORE_CHANGES
from app.ledger.records import ContactHistory, ScoreChangeRecord

_FIELDS = [f.name for f in fields(ScoreChangeRecord)]


def record_score_changes(connection: Connection, changes: Sequence[ScoreChangeRecord]) -> None:
    """Store score changes written to HubSpot."""
    if changes:
        connection.execute(SCORE_CHANGES.insert(), [asdict(change) for change in changes])  # fields are columns


def score_changes_of(connection: Connection, contact_id: str) -> list[ScoreChangeRecord]:
    """Return a contact's score changes, oldest first."""
    statement = (
        select(*(SCORE_CHANGES.c[name] for name in _FIELDS))
        .where(SCORE_CHANGES.c.contact_id == contact_id)
        .order_by(SCORE_CHANGES.c.at, SCORE_CHANGES.c.id)
    )
    return [ScoreChangeRecord(**row._asdict()) for row in connection.execute(statement)]


def history_of(connection: Connection, contact_id: str) -> ContactHistory:
    """Return what the ledger holds of a contact's scores, stages and handovers."""
    return ContactHistory(
        contact_id,
        state.states_of(connection, [contact_id]).get(contact_id),
        tuple(score_changes_of(connection, contact_id)),
        tuple(handovers.transitions_of(connection, contact_id)),
        tuple(handovers.of_contacts(connection, [contact_id]).get(contact_id, [])),
    )

"""What the contact card reads of one contact, in one transaction: its last assessment, its handovers (and the open
one's SLA clock) and its nurture standing, mapped to the card rules' own types (app/rules/card/view.py)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, Engine

from app.ledger import handovers, nurture, sla, state
from app.ledger.records import ContactStateRecord, HandoverRecord, SlaClock
from app.rules.card.view import CardFacts, CardHandover, CardNurture, CardScores


@dataclass(frozen=True)
class CardRead:
    """A contact's card facts and the SLA clock of its open handover (None: none open, or not timed)."""

    facts: CardFacts
    clock: SlaClock | None


class CardStore:
    """The card's reads (the card never writes to the ledger: its answers go through HubSpot and the drain)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def of(self, contact_id: str) -> CardRead | None:
        """Return what the card shows of a contact, or None when the ledger holds no assessment of it."""
        with self.engine.connect() as connection, connection.begin():
            return read_card(connection, contact_id)


def read_card(connection: Connection, contact_id: str) -> CardRead | None:
    """Return the contact's card facts, or None when it was never assessed (or was deleted in HubSpot)."""
    record = state.states_of(connection, [contact_id]).get(contact_id)
    if record is None or record.deleted_at is not None:
        return None
    rows = handovers.of_contacts(connection, [contact_id]).get(contact_id, [])
    standing = nurture.standings_of(connection, [contact_id]).get(contact_id)
    facts = CardFacts(
        contact_id,
        _scores(record),
        CardNurture(standing.state, standing.track, standing.step, standing.due_at) if standing else None,
        tuple(_handover(row) for row in rows),
    )
    opened = facts.open_handover()
    return CardRead(facts, sla.clock_of(connection, opened.key) if opened is not None else None)


def _scores(record: ContactStateRecord) -> CardScores:
    return CardScores(
        record.fit, record.engagement, record.score, record.grade, record.stage, record.reasons, record.model,
        record.qualification_cycle, record.assessed_at, record.recycled_at,
    )  # fmt: skip


def _handover(row: HandoverRecord) -> CardHandover:
    return CardHandover(
        row.key, row.stage, row.cycle, row.status, row.owner_id, row.assigned_at, row.due_at, row.outcome,
        row.outcome_reason, row.outcome_at, row.ended_at, row.first_touch_at, row.first_touch_kind,
        row.first_touch_by, row.lead_id,
    )  # fmt: skip

"""What the KPI facts are built from (app/rules/kpis/cycles.py): every contact's creation time and cycles, its stage
transitions and its handovers, read in three queries."""

from __future__ import annotations

from sqlalchemy import Connection, select

from app.ledger.models import ContactState, Handover, Transition
from app.rules.kpis.cycles import ContactFacts, HandoverFacts, StageEntry


def contact_facts(connection: Connection) -> list[ContactFacts]:
    """Return every contact the ledger holds, with HubSpot's creation time and its qualification cycles."""
    statement = select(ContactState.contact_id, ContactState.created_at, ContactState.qualification_cycle)
    return [ContactFacts(contact, created, cycles) for contact, created, cycles in connection.execute(statement)]


def stage_entries(connection: Connection) -> list[StageEntry]:
    """Return every recorded change of stage, oldest first."""
    statement = select(
        Transition.contact_id,
        Transition.cycle,
        Transition.to_stage,
        Transition.at,
        Transition.grade,
        Transition.score,
        Transition.signal_at,
        Transition.model,
    ).order_by(Transition.at, Transition.id)
    return [StageEntry(*row) for row in connection.execute(statement)]


def handover_facts(connection: Connection) -> list[HandoverFacts]:
    """Return what the KPIs read of every handover."""
    statement = select(
        Handover.contact_id,
        Handover.cycle,
        Handover.stage,
        Handover.done_at,
        Handover.owner_id,
        Handover.earlier_owners,
        Handover.first_due_at,
        Handover.first_touch_at,
        Handover.outcome,
        Handover.outcome_reason,
        Handover.outcome_at,
        Handover.deal_id,
        Handover.deal_outcome,
        Handover.deal_outcome_at,
        Handover.ended_at,
        Handover.end_reason,
    ).order_by(Handover.id)
    return [HandoverFacts(*row) for row in connection.execute(statement)]

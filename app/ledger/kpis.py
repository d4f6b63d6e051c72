"""What the KPI facts are built from (app/rules/kpis/cycles.py): every contact's creation time and cycles, its stage
transitions and its handovers, read in three queries; and the cycles backfilled from HubSpot's histories
(app/rules/kpis/backfill.py) with when Leadflow first saw each contact."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import Connection, delete, func, insert, select

from app.ledger.models import BackfilledCycle, ContactState, Handover, Transition
from app.rules.kpis.cycles import ContactFacts, HandoverFacts, StageEntry
from app.rules.kpis.facts import LeadCycle, fact_line, parse_fact


@dataclass(frozen=True)
class KpiRows:
    """The ledger's rows of the KPI facts: contacts, stage entries, handovers, backfilled cycles and when Leadflow
    first saw each contact (read only when there are backfilled cycles)."""

    contacts: list[ContactFacts]
    entries: list[StageEntry]
    handovers: list[HandoverFacts]
    backfilled: list[LeadCycle]
    first_seen: dict[str, datetime]


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


def replace_backfilled(connection: Connection, facts: Sequence[LeadCycle], at: datetime) -> None:
    """Replace every backfilled cycle with these."""
    connection.execute(delete(BackfilledCycle))
    rows = [
        {"contact_id": fact.contact or "", "cycle": fact.cycle or 1, "fact": fact_line(fact), "backfilled_at": at}
        for fact in facts
    ]
    if rows:
        connection.execute(insert(BackfilledCycle), rows)


def backfilled(connection: Connection) -> list[LeadCycle]:
    """Return the backfilled cycles, each under the contact it now belongs to (a merge re-keys the rows)."""
    statement = select(BackfilledCycle.id, BackfilledCycle.contact_id, BackfilledCycle.fact).order_by(
        BackfilledCycle.id
    )
    return [
        replace(parse_fact(fact, number), contact=contact) for number, contact, fact in connection.execute(statement)
    ]


def first_seen(connection: Connection) -> dict[str, datetime]:
    """Return, per contact, Leadflow's first recorded change of its stage (from then on, the ledger is the record)."""
    statement = select(Transition.contact_id, func.min(Transition.at)).group_by(Transition.contact_id)
    return {contact: at for contact, at in connection.execute(statement)}

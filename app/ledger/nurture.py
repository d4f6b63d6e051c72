"""Nurture steps in the ledger: each offered once per contact (a unique contact and step, so a retried drain or two
workers planning the same contact record it once), completed and converted later; merges keep a step once."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, bindparam, select, update

from app.ledger.models import NURTURE_STEPS, NurtureStep
from app.ledger.upsert import insert_for, move_once
from app.rules.nurture.facts import Offer, OfferRecord


@dataclass(frozen=True)
class NewOffer:
    """A step offered to a contact now (its `leadflow_nurture_step` written)."""

    contact_id: str
    track: str
    step: str
    offered_at: datetime


def record_offers(connection: Connection, offers: Sequence[NewOffer]) -> list[tuple[str, str]]:
    """Record the offers not recorded before; return (contact, step) of those this call recorded (RETURNING: a
    concurrent writer that recorded one first keeps it, and this call does not claim it)."""
    unique: dict[tuple[str, str], NewOffer] = {}
    for offer in offers:
        unique.setdefault((offer.contact_id, offer.step), offer)  # the first of an offer given twice in one call
    if not unique:
        return []
    rows = [
        {"contact_id": o.contact_id, "track": o.track, "step": o.step, "offered_at": o.offered_at}
        for o in unique.values()
    ]
    statement = (
        insert_for(connection, NURTURE_STEPS)
        .on_conflict_do_nothing(index_elements=["contact_id", "step"])
        .returning(NURTURE_STEPS.c.contact_id, NURTURE_STEPS.c.step)
    )
    recorded = {(contact, step) for contact, step in connection.execute(statement, rows)}
    return [key for key in unique if key in recorded]


def record_completed(connection: Connection, completed: Sequence[tuple[str, str, datetime]]) -> None:
    """Note when contacts completed steps: (contact, step, when), in one statement; a step completed before keeps
    its first time."""
    if completed:
        statement = (
            update(NURTURE_STEPS)
            .where(
                NURTURE_STEPS.c.contact_id == bindparam("contact"),
                NURTURE_STEPS.c.step == bindparam("offered_step"),
                NURTURE_STEPS.c.completed_at.is_(None),
            )
            .values(completed_at=bindparam("at"))
        )
        connection.execute(statement, [{"contact": c, "offered_step": s, "at": at} for c, s, at in completed])


def record_converted(connection: Connection, contact_ids: Sequence[str], at: datetime) -> None:
    """Note that these contacts became MQLs: every step offered to them before and not converted yet converted."""
    if contact_ids:
        connection.execute(
            update(NurtureStep)
            .where(
                NurtureStep.contact_id.in_(list(contact_ids)),
                NurtureStep.offered_at <= at,
                NurtureStep.converted_at.is_(None),
            )
            .values(converted_at=at)
        )


def offers_of(connection: Connection, contact_ids: Sequence[str]) -> dict[str, list[Offer]]:
    """Return these contacts' offered steps, oldest first, as the planner reads them (its nurture history)."""
    if not contact_ids:
        return {}
    statement = (
        select(
            NurtureStep.contact_id,
            NurtureStep.track,
            NurtureStep.step,
            NurtureStep.offered_at,
            NurtureStep.completed_at,
        )
        .where(NurtureStep.contact_id.in_(list(contact_ids)))
        .order_by(NurtureStep.offered_at, NurtureStep.id)
    )
    found: dict[str, list[Offer]] = defaultdict(list)
    for contact_id, track, step, offered_at, completed_at in connection.execute(statement):
        found[contact_id].append(Offer(track, step, offered_at, completed_at))
    return dict(found)


def offer_records(connection: Connection, offered_before: datetime | None = None) -> list[OfferRecord]:
    """Return every offer recorded (made before `offered_before`, when given), oldest first: what effectiveness
    and the KPI breakdown by track read."""
    statement = select(
        NurtureStep.contact_id,
        NurtureStep.track,
        NurtureStep.step,
        NurtureStep.offered_at,
        NurtureStep.completed_at,
        NurtureStep.converted_at,
    ).order_by(NurtureStep.offered_at, NurtureStep.id)
    if offered_before is not None:
        statement = statement.where(NurtureStep.offered_at < offered_before)
    return [OfferRecord(*row) for row in connection.execute(statement)]


def move_offers(connection: Connection, merged: Sequence[str], survivor: str) -> None:
    """Give the merged contacts' steps to the survivor; a step it was offered itself is kept once (its own)."""
    move_once(connection, NurtureStep, "step", merged, survivor)

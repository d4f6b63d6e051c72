"""Nurture steps in the ledger: each offered once per contact (a unique contact and step, so a retried drain or two
workers planning the same contact record it once), completed and converted later; merges keep a step once."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, bindparam, delete, func, select, tuple_, update

from app.ledger.models import (
    NURTURE_CONTACTS,
    NURTURE_ENROLLMENTS,
    NURTURE_STEPS,
    NurtureContact,
    NurtureEnrollment,
    NurtureStep,
)
from app.ledger.upsert import insert_for, move_once
from app.rules.nurture.facts import Offer, OfferRecord


@dataclass(frozen=True)
class NewOffer:
    """A step offered to a contact now (its `leadflow_nurture_step` written)."""

    contact_id: str
    track: str
    step: str
    offered_at: datetime


@dataclass(frozen=True)
class NurtureStanding:
    """Where a contact stands in nurture after a plan: its state, track and next step, and when a waiting step is
    due (None: nothing waits for time)."""

    contact_id: str
    state: str
    track: str | None
    step: str | None
    due_at: datetime | None
    planned_at: datetime


@dataclass(frozen=True)
class NewEnrollment:
    """A handed-over contact enrolled in the sales sequence now (the enrollment HubSpot made, or already held)."""

    handover_key: str
    contact_id: str
    sequence_id: str
    enrollment_id: str
    enrolled_at: datetime


DUE_PAGE = 10_000  # contacts the `nurture-due` job reads per query


def record_standings(connection: Connection, standings: Sequence[NurtureStanding]) -> None:
    """Keep each contact's latest standing (one row per contact)."""
    if not standings:
        return
    statement = insert_for(connection, NURTURE_CONTACTS)
    refreshed = {name: statement.excluded[name] for name in ("state", "track", "step", "due_at", "planned_at")}
    statement = statement.on_conflict_do_update(index_elements=["contact_id"], set_=refreshed)
    connection.execute(statement, [vars(standing) for standing in standings])


def standings_of(connection: Connection, contact_ids: Sequence[str]) -> dict[str, NurtureStanding]:
    """Return these contacts' standings, by contact id."""
    if not contact_ids:
        return {}
    columns = NURTURE_CONTACTS.c
    statement = select(columns.contact_id, columns.state, columns.track, columns.step, columns.due_at,
                       columns.planned_at).where(columns.contact_id.in_(list(contact_ids)))  # fmt: skip
    return {row[0]: NurtureStanding(*row) for row in connection.execute(statement)}


def count_standings(connection: Connection, now: datetime) -> dict[str, int]:
    """Return how many contacts stand in each nurture state, and (as `due`) how many waiting steps are due by now."""
    columns = NURTURE_CONTACTS.c
    counted = {state: n for state, n in connection.execute(select(columns.state, func.count()).group_by(columns.state))}
    due = connection.execute(select(func.count()).where(columns.due_at <= now)).scalar_one()
    return {**counted, "due": due}


def due_for_offer(
    connection: Connection, now: datetime, after: tuple[datetime, str] | None, limit: int
) -> list[tuple[str, datetime]]:
    """Return (contact id, due at) of the contacts whose waiting step is due by `now`, in that order, from past
    `after` on (keyset paging over the index on due_at: the job reads the due contacts, never the whole table)."""
    statement = select(NurtureContact.contact_id, NurtureContact.due_at).where(NurtureContact.due_at <= now)
    if after is not None:
        statement = statement.where(tuple_(NurtureContact.due_at, NurtureContact.contact_id) > tuple_(*after))
    statement = statement.order_by(NurtureContact.due_at, NurtureContact.contact_id).limit(limit)
    return [(contact_id, due) for contact_id, due in connection.execute(statement) if due is not None]


def forget_standings(connection: Connection, contact_ids: Sequence[str]) -> None:
    """Drop these contacts' standings (merged away: the survivor is planned again)."""
    if contact_ids:
        connection.execute(delete(NurtureContact).where(NurtureContact.contact_id.in_(list(contact_ids))))


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


def record_enrollment(connection: Connection, enrollment: NewEnrollment) -> bool:
    """Record a handover's enrollment unless one is recorded; return whether this call recorded it."""
    statement = (
        insert_for(connection, NURTURE_ENROLLMENTS)
        .values(**vars(enrollment))
        .on_conflict_do_nothing(index_elements=["handover_key"])
        .returning(NURTURE_ENROLLMENTS.c.handover_key)
    )
    return connection.execute(statement).first() is not None


def enrolled(connection: Connection, handover_keys: Sequence[str]) -> set[str]:
    """Return which of these handovers have their contact's enrollment recorded."""
    if not handover_keys:
        return set()
    statement = select(NurtureEnrollment.handover_key).where(NurtureEnrollment.handover_key.in_(list(handover_keys)))
    return set(connection.execute(statement).scalars())

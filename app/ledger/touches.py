"""Touches in the ledger: recorded once per source and contact, then judged (app/rules/sla/first_touch.py) against
the contact's handovers, which keep their first touch (`first_touch_at`, `first_touch_kind`, `first_touch_by`).

A contact's touches are judged whole, every time one is added: a late-delivered earlier touch replaces a later
first touch. A touch HubSpot attributes to a user is judged by the owner `sales_users` says that user is; when the
team is read again and a user's owner becomes known or changes (`learn_users`), the contacts touched by that user
are judged anew. The contact's handover rows are locked first (PostgreSQL: `FOR UPDATE`; SQLite has one writer at a
time), so two transactions adding touches of one contact judge one after the other, the second seeing the first's.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import fields
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, func, or_, select, update

from app.ledger.leads import lead_stages
from app.ledger.models import HANDOVERS, SALES_USERS, TOUCHES, Handover, SalesTouch, SalesUser
from app.ledger.records import NewTouch, TouchRecord
from app.ledger.upsert import insert_for, move_once
from app.rules.sla.first_touch import HandoverWindow, Touch, judge
from app.rules.sla.policy import FirstTouch

_RECORD_FIELDS = [f.name for f in fields(TouchRecord)]


def record_touches(connection: Connection, touches: Sequence[NewTouch], policy: FirstTouch) -> list[str]:
    """Record the touches not recorded before and judge their contacts' touches anew; return those contacts. A
    Lead's move counts only into a stage setup recorded as one Leadflow reads (read once for the batch)."""
    stages = lead_stages(connection) if any(touch.lead_id is not None for touch in touches) else None
    touching = stages.touching() if stages is not None else frozenset()
    kept = [touch for touch in touches if touch.lead_id is None or touch.lead_stage in touching]
    rows = [row for touch in kept for row in _rows(connection, touch)]
    if rows:
        statement = insert_for(connection, TOUCHES).on_conflict_do_nothing(index_elements=["source_key", "contact_id"])
        connection.execute(statement, rows)
    contacts = sorted({str(row["contact_id"]) for row in rows})
    judge_contacts(connection, contacts, policy)
    return contacts


def _rows(connection: Connection, new: NewTouch) -> list[dict[str, object]]:
    touch = new.touch
    row = {
        "kind": touch.kind,
        "owner_id": touch.owner_id,
        "user_id": touch.user_id,
        "at": touch.at,
        "source_key": touch.source_key,
    }
    return [{**row, "contact_id": contact, "counted": False} for contact in _contacts_of(connection, new)]


def _contacts_of(connection: Connection, new: NewTouch) -> list[str]:
    if new.contact_id is not None:
        return [new.contact_id]
    if new.task_id is not None:
        condition = Handover.task_id == new.task_id
    elif new.deal_id is not None:
        condition = Handover.deal_id == new.deal_id
    elif new.lead_id is not None:
        condition = Handover.lead_id == new.lead_id
    else:
        return []
    return sorted({contact for (contact,) in connection.execute(select(Handover.contact_id).where(condition))})


def judge_contacts(connection: Connection, contact_ids: Sequence[str], policy: FirstTouch) -> None:
    """Judge these contacts' touches against their handovers; store each touch's verdict and each first touch."""
    if not contact_ids:
        return
    handovers = _lock_handovers(connection, contact_ids)
    touches = touches_of(connection, contact_ids)
    users = owners_of_users(connection, {t.user_id for ts in touches.values() for t in ts if t.user_id})
    for contact_id in contact_ids:
        _judge_contact(connection, policy, handovers.get(contact_id, []), touches.get(contact_id, []), users)


def owners_of_users(connection: Connection, user_ids: Collection[str]) -> dict[str, str]:
    """Return the owner of each of these HubSpot users the ledger knows (user id → owner id)."""
    if not user_ids:
        return {}
    statement = select(SalesUser.user_id, SalesUser.owner_id).where(SalesUser.user_id.in_(sorted(user_ids)))
    return {user: owner for user, owner in connection.execute(statement)}


def learn_users(connection: Connection, users: Mapping[str, str], policy: FirstTouch, now: datetime) -> list[str]:
    """Record the sales team's users and their owners (user id → owner id, as the owners API reads); judge anew the
    contacts touched by a user whose owner was unknown or changed; return those contacts."""
    known = owners_of_users(connection, users.keys())
    changed = {user: owner for user, owner in users.items() if known.get(user) != owner}
    if not changed:
        return []
    rows = [{"user_id": user, "owner_id": owner, "learned_at": now} for user, owner in sorted(changed.items())]
    statement = insert_for(connection, SALES_USERS)  # an upsert: the watch and the reconciliation may learn at once
    connection.execute(
        statement.on_conflict_do_update(
            index_elements=["user_id"], set_={"owner_id": statement.excluded.owner_id, "learned_at": now}
        ),
        rows,
    )
    touched = select(SalesTouch.contact_id).where(SalesTouch.user_id.in_(sorted(changed))).distinct()
    contacts = sorted(contact for (contact,) in connection.execute(touched))
    judge_contacts(connection, contacts, policy)
    return contacts


def _lock_handovers(connection: Connection, contact_ids: Sequence[str]) -> dict[str, list[Row[Any]]]:
    statement = (
        select(HANDOVERS)
        .where(HANDOVERS.c.contact_id.in_(list(contact_ids)))
        .order_by(HANDOVERS.c.id)
        .with_for_update()
    )
    found: dict[str, list[Row[Any]]] = defaultdict(list)
    for row in connection.execute(statement).all():
        found[row.contact_id].append(row)
    return found


def _judge_contact(
    connection: Connection,
    policy: FirstTouch,
    handovers: list[Row[Any]],
    touches: list[TouchRecord],
    users: Mapping[str, str],
) -> None:
    windows = [HandoverWindow(h.key, h.owner_id, h.assigned_at, ended_at(h)) for h in handovers]
    recorded = [Touch(t.source_key, t.kind, t.at, t.owner_id, t.user_id) for t in touches]
    judgement = judge(policy, windows, recorded, users)
    for touch in touches:
        found = judgement.verdicts[touch.source_key]
        if (found.handover_key, found.counted) != (touch.handover_key, touch.counted):
            connection.execute(
                update(SalesTouch)
                .where(SalesTouch.contact_id == touch.contact_id, SalesTouch.source_key == touch.source_key)
                .values(handover_key=found.handover_key, counted=found.counted)
            )
    for handover in handovers:
        first = judgement.first.get(handover.key)
        values = (first.at, first.kind, first.owner_id) if first else (None, None, None)
        if values != (handover.first_touch_at, handover.first_touch_kind, handover.first_touch_by):
            connection.execute(
                update(Handover)
                .where(Handover.key == handover.key)
                .values(first_touch_at=values[0], first_touch_kind=values[1], first_touch_by=values[2])
            )


def ended_at(handover: Row[Any]) -> datetime | None:
    """Return when a handover stopped waiting for a first touch: rejected, its deal won or lost, or ended otherwise
    (superseded, its contact deleted or merged away) (None: open)."""
    ends: list[datetime | None] = [handover.deal_outcome_at, handover.ended_at]
    if handover.outcome == "rejected":
        ends.append(handover.outcome_at)
    present = [end for end in ends if end is not None]
    return min(present) if present else None


def touches_of(connection: Connection, contact_ids: Sequence[str]) -> dict[str, list[TouchRecord]]:
    """Return these contacts' touches, oldest first, by contact id."""
    statement = (
        select(*(TOUCHES.c[name] for name in _RECORD_FIELDS))
        .where(TOUCHES.c.contact_id.in_(list(contact_ids)))
        .order_by(TOUCHES.c.at, TOUCHES.c.id)
    )
    found: dict[str, list[TouchRecord]] = defaultdict(list)
    for row in connection.execute(statement):
        found[row.contact_id].append(TouchRecord(**row._asdict()))
    return dict(found)


def move_touches(connection: Connection, merged: Sequence[str], survivor: str) -> None:
    """Give the merged contacts' touches to the survivor; a source it already has a touch of is kept once."""
    move_once(connection, SalesTouch, "source_key", merged, survivor)


def awaiting_first_touch(connection: Connection, after: str, limit: int) -> list[tuple[str, datetime]]:
    """Return a page of contacts (ids after `after`, ascending) with a handover that has an owner, is open (not
    rejected, its deal not closed, not ended otherwise: superseded, deleted, merged away) and has no first touch,
    each with the earliest such handover's assignment."""
    statement = (
        select(Handover.contact_id, func.min(Handover.assigned_at))
        .where(
            Handover.first_touch_at.is_(None),
            Handover.owner_id.is_not(None),
            Handover.status != "recycled",
            or_(Handover.outcome.is_(None), Handover.outcome != "rejected"),
            Handover.deal_outcome.is_(None),
            Handover.ended_at.is_(None),
            Handover.contact_id > after,
        )
        .group_by(Handover.contact_id)
        .order_by(Handover.contact_id)
        .limit(limit)
    )
    return [(contact_id, assigned_at) for contact_id, assigned_at in connection.execute(statement)]

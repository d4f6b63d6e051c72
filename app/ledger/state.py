"""Recording assessments and reading what the drain needs: engagements, contact state, property types."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime

from sqlalchemy import Connection, func, select, tuple_, update

from app.ledger.models import CONTACT_STATE, PROPERTY_TYPES, ContactState, Engagement, PropertyType, Signal
from app.ledger.records import AssessedContact, ContactStateRecord
from app.ledger.upsert import insert_for
from app.rules.scoring.assessment import render_reasons
from app.rules.scoring.engagement import EngagementEvent

STATE = CONTACT_STATE


def engagements_of(connection: Connection, contact_ids: Sequence[str]) -> dict[str, list[EngagementEvent]]:
    """Return every recorded engagement of these contacts, by contact id."""
    found: dict[str, list[EngagementEvent]] = defaultdict(list)
    statement = select(Engagement.contact_id, Engagement.type, Engagement.occurred_at).where(
        Engagement.contact_id.in_(list(contact_ids))
    )
    for contact_id, engagement_type, occurred_at in connection.execute(statement):
        found[contact_id].append(EngagementEvent(engagement_type, occurred_at))
    return dict(found)


def record_assessed(connection: Connection, assessed: Sequence[AssessedContact]) -> None:
    """Upsert the contacts' state; `changed_at` moves only when Leadflow changed what HubSpot shows."""
    for changed in (True, False):
        rows = [_state_row(contact) for contact in assessed if contact.changed is changed]
        if not rows:
            continue
        statement = insert_for(connection, STATE)
        refreshed = [*_ASSESSED_COLUMNS, "changed_at"] if changed else _ASSESSED_COLUMNS
        values = {name: statement.excluded[name] for name in refreshed}
        values["created_at"] = func.coalesce(statement.excluded.created_at, STATE.c.created_at)  # a read without it
        statement = statement.on_conflict_do_update(index_elements=["contact_id"], set_=values)
        connection.execute(statement, rows)


_ASSESSED_COLUMNS = [
    "company_id", "fit", "engagement", "score", "grade", "stage", "reasons", "model", "assessed_at",
    "deleted_at", "last_error", "next_change_at", "created_at",
]  # fmt: skip


def _state_row(contact: AssessedContact) -> dict[str, object]:
    assessment = contact.assessment
    return {
        "contact_id": contact.contact_id,
        "company_id": contact.company_id,
        "fit": assessment.fit,
        "engagement": assessment.engagement,
        "score": assessment.score,
        "grade": assessment.grade,
        "stage": assessment.stage,
        "reasons": render_reasons(assessment.reasons),
        "model": assessment.model,
        "qualification_cycle": 1,
        "assessed_at": contact.assessed_at,
        "changed_at": contact.assessed_at,
        "deleted_at": None,
        "last_error": None,
        "next_change_at": contact.next_change_at,
        "created_at": contact.created_at,
    }


def mark_processed(connection: Connection, contact_ids: Sequence[str], watermark: int, at: datetime) -> None:
    """Mark the contacts' signals up to `watermark` as reflected in HubSpot."""
    if not contact_ids:
        return
    connection.execute(
        update(Signal)
        .where(Signal.contact_id.in_(list(contact_ids)), Signal.id <= watermark, Signal.processed_at.is_(None))
        .values(processed_at=at)
    )


def mark_deleted(connection: Connection, contact_ids: Sequence[str], at: datetime) -> None:
    """Note that HubSpot no longer has these contacts (deleted or merged away)."""
    if contact_ids:
        connection.execute(
            update(ContactState)
            .where(ContactState.contact_id.in_(list(contact_ids)))
            .values(deleted_at=at, next_change_at=None)
        )


def record_error(connection: Connection, errors: Mapping[str, str]) -> None:
    """Remember why HubSpot refused a contact's write."""
    for contact_id, message in errors.items():
        connection.execute(
            update(ContactState).where(ContactState.contact_id == contact_id).values(last_error=message[:2000])
        )


def states_of(connection: Connection, contact_ids: Sequence[str]) -> dict[str, ContactStateRecord]:
    """Return the recorded state of these contacts, by contact id."""
    statement = select(ContactState).where(ContactState.contact_id.in_(list(contact_ids)))
    return {
        row.contact_id: ContactStateRecord(**{c.name: getattr(row, c.name) for c in STATE.columns})
        for row in connection.execute(statement)
    }


def start_new_cycle(connection: Connection, contact_id: str, at: datetime) -> int:
    """Begin the contact's next qualification cycle (after a rejection); return its number."""
    connection.execute(
        update(ContactState)
        .where(ContactState.contact_id == contact_id)
        .values(qualification_cycle=ContactState.qualification_cycle + 1, recycled_at=at)
    )
    cycle = connection.execute(select(ContactState.qualification_cycle).where(ContactState.contact_id == contact_id))
    return int(cycle.scalar_one())


DUE_PAGE = 10_000  # contacts the decay sweep reads per query


def due_for_change(
    connection: Connection, now: datetime, after: tuple[datetime, str] | None, limit: int
) -> list[tuple[str, datetime]]:
    """Return (contact id, next change) of contacts due by `now`, in that order, from past `after` on (keyset
    paging over the index on next_change_at: the sweep reads the due contacts, never the whole table)."""
    statement = select(ContactState.contact_id, ContactState.next_change_at).where(ContactState.next_change_at <= now)
    if after is not None:
        statement = statement.where(
            tuple_(ContactState.next_change_at, ContactState.contact_id) > tuple_(after[0], after[1])
        )
    statement = statement.order_by(ContactState.next_change_at, ContactState.contact_id).limit(limit)
    return [(contact_id, moment) for contact_id, moment in connection.execute(statement) if moment is not None]


def contacts_at_companies(connection: Connection, company_ids: Sequence[str]) -> dict[str, list[str]]:
    """Return the contacts whose last assessment found them at these companies, by company id."""
    found: dict[str, list[str]] = defaultdict(list)
    statement = select(ContactState.company_id, ContactState.contact_id).where(
        ContactState.company_id.in_(list(company_ids)), ContactState.deleted_at.is_(None)
    )
    for company_id, contact_id in connection.execute(statement):
        if company_id is not None:
            found[company_id].append(contact_id)
    return dict(found)


def property_types(connection: Connection) -> dict[str, str]:
    """Return HubSpot's recorded property types as `contact.name` / `company.name` → type."""
    rows = connection.execute(select(PropertyType.object_type, PropertyType.name, PropertyType.type))
    return {f"{object_type}.{name}": kind for object_type, name, kind in rows}


def property_options(connection: Connection) -> dict[str, frozenset[str]]:
    """Return the options recorded for Leadflow's own enumerations, as `contact.name` → their values."""
    columns = (PropertyType.object_type, PropertyType.name, PropertyType.options)
    rows = connection.execute(select(*columns).where(PropertyType.options.is_not(None)))
    return {f"{object_type}.{name}": frozenset((options or "").splitlines()) for object_type, name, options in rows}


def save_property_types(
    connection: Connection, types: Mapping[str, str], at: datetime, options: Mapping[str, Collection[str]] | None = None
) -> None:
    """Replace the recorded property types with `types` (`contact.name` → type), and the options of `options`'
    properties (Leadflow's own enumerations, as setup left them in HubSpot)."""
    connection.execute(PROPERTY_TYPES.delete())
    known = options or {}
    rows = [
        {"object_type": key.split(".", 1)[0], "name": key.split(".", 1)[1], "type": kind, "refreshed_at": at,
         "options": "\n".join(sorted(known[key])) if key in known else None}
        for key, kind in types.items()
    ]  # fmt: skip
    if rows:
        connection.execute(PROPERTY_TYPES.insert(), rows)


def contact_ids_after(connection: Connection, after: str | None, limit: int) -> list[str]:
    """Return up to `limit` ids of the contacts the ledger holds (not deleted), in id order, after `after`."""
    statement = select(ContactState.contact_id).where(ContactState.deleted_at.is_(None))
    if after is not None:
        statement = statement.where(ContactState.contact_id > after)
    return list(connection.scalars(statement.order_by(ContactState.contact_id).limit(limit)))

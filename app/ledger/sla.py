"""The SLA watch's rows: steps due, claimed under a lease, fired once; reassignments; what the contact shows.

Exactly once, whatever retries and concurrent workers do: a step is *claimed* by one conditional update (only a
step not fired and not claimed within the lease), its HubSpot effects are idempotent (upserts by key, owner
writes), and it is *fired* by another conditional update (`fired_at IS NULL`) in the transaction that records
what it did (the escalation count, the reassignment). A worker killed between claim and fire leaves the step
claimed: once the lease has passed, the next watch claims it again and repeats the idempotent effects.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import fields, replace
from datetime import datetime, timedelta

from sqlalchemy import Connection, and_, bindparam, func, not_, or_, select, true, update

from app.ledger.handovers import add_steps
from app.ledger.models import HANDOVERS, Handover, SlaStep
from app.ledger.records import DueStep, SlaClock, SlaStart

FINAL_STATUSES = ("met|%", "missed|%")
_CLOCK_FIELDS = [f.name for f in fields(SlaClock) if f.name != "reminders"]
# A handover still waiting for its owner: carried out, not answered, not ended (superseded, won or lost, deleted,
# merged away).
_WAITING = and_(Handover.status == "done", Handover.outcome.is_(None), Handover.ended_at.is_(None))


def due_steps(connection: Connection, now: datetime) -> list[DueStep]:
    """Return the steps due at `now` and not fired, of open untouched handovers (also those another worker holds:
    the decision sees the whole clock, and `claim` keeps the held ones from running twice)."""
    statement = (
        select(
            SlaStep.id,
            SlaStep.step,
            SlaStep.due_at,
            SlaStep.owner_id.label("decided_owner"),
            SlaStep.detail.label("decided_reason"),
            Handover.key,
            Handover.contact_id,
            Handover.stage,
            Handover.owner_id,
            Handover.task_id,
            Handover.deal_id,
            Handover.sla_target,
            Handover.sla_clock_at,
            Handover.reassignments,
            Handover.earlier_owners,
            Handover.lead_id,
        )
        .join(Handover, Handover.key == SlaStep.handover_key)
        .where(
            SlaStep.fired_at.is_(None),
            SlaStep.due_at <= now,
            Handover.first_touch_at.is_(None),
            _WAITING,
        )
        .order_by(SlaStep.due_at, SlaStep.id)
    )
    return [DueStep(**row._asdict()) for row in connection.execute(statement)]


def claim(connection: Connection, step_id: int, now: datetime, lease: timedelta) -> bool:
    """Claim a step for this worker; False when it fired or another worker holds it within the lease."""
    result = connection.execute(
        update(SlaStep)
        .where(
            SlaStep.id == step_id,
            SlaStep.fired_at.is_(None),
            or_(SlaStep.claimed_at.is_(None), SlaStep.claimed_at <= now - lease),
        )
        .values(claimed_at=now)
    )
    return result.rowcount == 1


def release(connection: Connection, step_id: int) -> None:
    """Give a claimed step back (its effects failed with an error this worker caught): the next run tries again."""
    connection.execute(update(SlaStep).where(SlaStep.id == step_id, SlaStep.fired_at.is_(None)).values(claimed_at=None))


def decide_owner(connection: Connection, step_id: int, owner_id: str | None, detail: str) -> None:
    """Keep the owner a reassignment chose (before its effects), so a retry moves the lead to the same owner."""
    connection.execute(update(SlaStep).where(SlaStep.id == step_id).values(owner_id=owner_id, detail=detail))


def fire(connection: Connection, step_id: int, now: datetime, detail: str, owner_id: str | None = None) -> bool:
    """Mark a step fired; False when it had fired already (then record nothing else)."""
    values: dict[str, object] = {"fired_at": now, "detail": detail[:2000]}
    if owner_id is not None:
        values["owner_id"] = owner_id
    result = connection.execute(
        update(SlaStep).where(SlaStep.id == step_id, SlaStep.fired_at.is_(None)).values(**values)
    )
    return result.rowcount == 1


def count_escalation(connection: Connection, key: str) -> None:
    connection.execute(update(Handover).where(Handover.key == key).values(escalations=Handover.escalations + 1))


def reassign(
    connection: Connection, key: str, owner_id: str, earlier_owners: str, reason: str, clock: SlaStart, now: datetime
) -> None:
    """Give the handover to its new owner with a fresh clock; the earlier owner's unfired steps are closed."""
    connection.execute(
        update(SlaStep)
        .where(SlaStep.handover_key == key, SlaStep.fired_at.is_(None))
        .values(fired_at=now, detail="closed: the lead was reassigned")
    )
    connection.execute(
        update(Handover)
        .where(Handover.key == key)
        .values(
            owner_id=owner_id,
            earlier_owners=earlier_owners,
            reassignments=Handover.reassignments + 1,
            reassigned_reason=reason,
            sla_clock_at=clock.clock_at,
            sla_due_at=clock.due_at,
            due_at=clock.due_at,
        )
    )
    add_steps(connection, key, clock.steps)


def note_not_reassigned(connection: Connection, key: str, reason: str) -> None:
    connection.execute(update(Handover).where(Handover.key == key).values(reassigned_reason=reason))


def clocks_to_write(connection: Connection) -> list[SlaClock]:
    """Return the clocks whose contact may need a write: open and untouched, or touched and not yet written final."""
    written_final = or_(*(Handover.sla_written.like(pattern) for pattern in FINAL_STATUSES))
    open_untouched = and_(Handover.first_touch_at.is_(None), _WAITING)
    touched_unwritten = and_(
        Handover.first_touch_at.is_not(None), or_(Handover.sla_written.is_(None), not_(written_final))
    )
    return _clocks(connection, or_(open_untouched, touched_unwritten))


def open_clocks(connection: Connection) -> list[SlaClock]:
    """Return the clocks of open handovers (no outcome), with the reminders each has had."""
    return _reminded(connection, _clocks(connection, _WAITING))


def all_clocks(connection: Connection) -> list[SlaClock]:
    """Return every handover's clock, open, answered, ended or recycled, with the reminders each has had (oldest
    first)."""
    return _reminded(connection, _clocks(connection, true()))


def clock_of(connection: Connection, key: str) -> SlaClock | None:
    """Return one handover's clock with its reminders, or None when no SLA times it."""
    found = _reminded(connection, _clocks(connection, Handover.key == key), SlaStep.handover_key == key)
    return found[0] if found else None


def _reminded(connection: Connection, clocks: list[SlaClock], steps: object = true()) -> list[SlaClock]:
    """Return the clocks with the reminders sent of each (`steps`: which handovers' steps to count)."""
    reminded = dict(
        connection.execute(
            select(SlaStep.handover_key, func.count())
            .where(steps)  # type: ignore[arg-type]
            .where(SlaStep.step.like("reminder:%"), SlaStep.fired_at.is_not(None), SlaStep.detail.like("sent%"))
            .group_by(SlaStep.handover_key)
        ).all()
    )
    return [replace(clock, reminders=int(reminded.get(clock.key, 0))) for clock in clocks]


def _clocks(connection: Connection, condition: object) -> list[SlaClock]:
    statement = (
        select(*(HANDOVERS.c[name] for name in _CLOCK_FIELDS))
        .where(Handover.sla_target.is_not(None), condition)  # type: ignore[arg-type]
        .order_by(Handover.id)
    )
    return [SlaClock(**row._asdict()) for row in connection.execute(statement)]


def record_written(connection: Connection, written: Mapping[str, str]) -> None:
    """Remember what was written to each handover's contact (by handover key)."""
    if written:  # one statement for all of them (executemany), not one round trip each
        statement = (
            update(HANDOVERS).where(HANDOVERS.c.key == bindparam("handover")).values(sla_written=bindparam("shown"))
        )
        connection.execute(statement, [{"handover": key, "shown": shown} for key, shown in written.items()])


def steps_of(connection: Connection, keys: Sequence[str]) -> list[tuple[str, str, datetime | None, str | None]]:
    """Return (handover key, step, fired_at, detail) of these handovers' steps."""
    rows = connection.execute(
        select(SlaStep.handover_key, SlaStep.step, SlaStep.fired_at, SlaStep.detail)
        .where(SlaStep.handover_key.in_(list(keys)))
        .order_by(SlaStep.id)
    )
    return [(row[0], row[1], row[2], row[3]) for row in rows]

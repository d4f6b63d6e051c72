"""The SLA watch's rows in the ledger (SQLite and PostgreSQL): a clock started with its handover, steps claimed by
one worker at a time and fired once, a reassignment that restarts the clock, and what the contact was shown."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from app.ledger import sla
from app.ledger.database import create_ledger_engine
from app.ledger.models import Handover
from app.ledger.records import HandoverDone, SlaStart
from app.ledger.store import Ledger
from tests.integration.test_ledger_handovers import request, round_robin

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
LEASE = timedelta(minutes=10)
DUE = NOW + timedelta(hours=1)


def minutes(n: float) -> datetime:
    return NOW + timedelta(minutes=n)


def clock(start: datetime = NOW, suffix: str = "") -> SlaStart:
    due = start + timedelta(hours=1)
    steps = ((f"reminder:50{suffix}", start + timedelta(minutes=30)), (f"escalation{suffix}", due))
    return SlaStart("sql", start, due, steps)


def started(ledger: Ledger, contact: str = "101") -> str:
    ledger.handovers.reserve([request(contact, "sql")], round_robin, NOW)
    key = f"{contact}-sql-1"
    ledger.handovers.complete([HandoverDone(key, "9001", "7001", NOW + timedelta(hours=4), False, clock())], NOW)
    return key


def test_a_clock_starts_with_its_handover_and_its_due_time_becomes_the_handovers(ledger: Ledger) -> None:
    key = started(ledger)
    ledger.handovers.complete([HandoverDone(key, "9001", "7001", None, False, clock())], NOW)  # a retried drain
    (handover,) = ledger.handovers.of_contacts(["101"])["101"]
    assert (handover.sla_target, handover.sla_clock_at, handover.sla_due_at, handover.due_at) == ("sql", NOW, DUE, DUE)
    assert [(step, fired) for _, step, fired, _ in ledger.sla.steps_of([key])] == [
        ("reminder:50", None), ("escalation", None)
    ]  # fmt: skip


def test_only_the_steps_whose_time_came_of_untouched_open_handovers_are_due(ledger: Ledger) -> None:
    key = started(ledger)
    started(ledger, "102")
    assert ledger.sla.due_steps(minutes(29)) == []
    assert [(s.key, s.step) for s in ledger.sla.due_steps(minutes(30))] == [
        (key, "reminder:50"),
        ("102-sql-1", "reminder:50"),
    ]
    with ledger.transaction() as connection:
        connection.execute(update(Handover).where(Handover.key == key).values(first_touch_at=minutes(5)))
    ledger.handovers.record_feedback("102-sql-1", "accepted", None, minutes(6))
    assert ledger.sla.due_steps(minutes(90)) == []


def test_a_step_is_claimed_by_one_worker_until_its_lease_passes_and_fires_once(ledger: Ledger) -> None:
    started(ledger)
    (step,) = ledger.sla.due_steps(minutes(31))
    assert ledger.sla.claim(step.id, minutes(31), LEASE)
    assert not ledger.sla.claim(step.id, minutes(35), LEASE)
    assert ledger.sla.claim(step.id, minutes(41), LEASE)  # its worker died: claimed again
    with ledger.transaction() as connection:
        assert sla.fire(connection, step.id, minutes(41), "sent")
        assert not sla.fire(connection, step.id, minutes(42), "sent again")
    assert not ledger.sla.claim(step.id, minutes(60), LEASE)
    assert [s.step for s in ledger.sla.due_steps(minutes(61))] == ["escalation"]


def test_two_workers_claiming_at_once_get_each_step_once(ledger_url: str, ledger: Ledger) -> None:
    for n in range(20):
        started(ledger, f"2{n:02d}")
    steps = ledger.sla.due_steps(minutes(61))
    ledgers = [Ledger(create_ledger_engine(ledger_url)) for _ in range(2)]
    won: list[int] = []
    lock = threading.Lock()

    def work(worker: int) -> None:
        for step in steps:
            if ledgers[worker].sla.claim(step.id, minutes(61), LEASE):
                with lock:
                    won.append(step.id)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(won) == sorted(step.id for step in steps) and len(steps) == 40
    for other in ledgers:
        other.engine.dispose()


def test_a_reassignment_restarts_the_clock_and_closes_the_earlier_owners_steps(ledger: Ledger) -> None:
    key = started(ledger)
    with ledger.transaction() as connection:
        sla.reassign(connection, key, "o9", "o1", "reassigned: no first touch", clock(minutes(90), "/1"), minutes(90))
        sla.count_escalation(connection, key)
    (handover,) = ledger.handovers.of_contacts(["101"])["101"]
    assert (handover.owner_id, handover.earlier_owners, handover.reassignments, handover.escalations) == (
        "o9",
        "o1",
        1,
        1,
    )
    assert (handover.sla_clock_at, handover.sla_due_at, handover.due_at) == (minutes(90), minutes(150), minutes(150))
    assert handover.reassigned_reason == "reassigned: no first touch"
    steps = {step: (fired, detail) for _, step, fired, detail in ledger.sla.steps_of([key])}
    assert steps["reminder:50"] == (minutes(90), "closed: the lead was reassigned")
    assert steps["reminder:50/1"] == (None, None)
    assert [s.step for s in ledger.sla.due_steps(minutes(121))] == ["reminder:50/1"]


def test_the_clocks_to_write_are_the_open_ones_and_the_touched_ones_not_yet_written_final(ledger: Ledger) -> None:
    key = started(ledger)
    other = started(ledger, "102")
    assert [c.key for c in ledger.sla.clocks_to_write()] == [key, other]
    with ledger.transaction() as connection:
        connection.execute(update(Handover).where(Handover.key == key).values(first_touch_at=minutes(5)))
    ledger.sla.record_written({key: "met|1|2", other: "on_track|1|"})
    assert [c.key for c in ledger.sla.clocks_to_write()] == [other]
    assert [(c.key, c.sla_written) for c in ledger.sla.open_clocks()] == [(key, "met|1|2"), (other, "on_track|1|")]


def test_all_clocks_are_every_timed_handover_open_answered_or_recycled_with_reminders_and_earlier_owners(
    ledger: Ledger,
) -> None:
    key, answered, recycled = started(ledger), started(ledger, "102"), started(ledger, "103")
    ledger.handovers.reserve([request("104", "mql")], round_robin, NOW)  # no clock: not among them
    ledger.handovers.record_feedback(answered, "accepted", None, minutes(6))
    ledger.handovers.record_feedback(recycled, "rejected", "no budget", minutes(7))
    with ledger.transaction() as connection:  # what recycling the contact does to its handover
        connection.execute(update(Handover).where(Handover.key == recycled).values(status="recycled"))
    (step, *_) = ledger.sla.due_steps(minutes(31))
    with ledger.transaction() as connection:
        sla.fire(connection, step.id, minutes(31), "sent to 7001; notified")
        sla.reassign(connection, key, "o9", "7001", "reassigned: no first touch", clock(minutes(90), "/1"), minutes(90))
    clocks = ledger.sla.all_clocks()
    assert [(c.key, c.reminders, c.earlier_owners) for c in clocks] == [
        (key, 1, "7001"), (answered, 0, None), (recycled, 0, None)
    ]  # fmt: skip
    assert [c.key for c in ledger.sla.open_clocks()] == [key]

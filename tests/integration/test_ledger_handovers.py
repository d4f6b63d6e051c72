"""Handovers in the ledger (SQLite and PostgreSQL): once per contact, stage and cycle, routed under one lock."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from alembic import command

from app.ledger import endings
from app.ledger import handovers as handover_rows
from app.ledger.database import alembic_config, create_ledger_engine
from app.ledger.erasure import erase_contacts
from app.ledger.records import (
    AssessedContact,
    HandoverDone,
    HandoverRequest,
    Intake,
    NewSignal,
    TransitionRecord,
)
from app.ledger.store import Ledger
from app.rules.handover.types import RoutingDecision, RoutingState
from app.sync.kpis.facts import ledger_facts
from tests.support.ledger import assessment, record_drain

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
OWNERS = ("o1", "o2", "o3")


def request(contact: str, stage: str = "mql", cycle: int = 1) -> HandoverRequest:
    return HandoverRequest(f"{contact}-{stage}-{cycle}", contact, stage, cycle)


def round_robin(req: HandoverRequest, snapshot: RoutingState) -> tuple[RoutingDecision, RoutingState]:
    """A tiny stand-in for the routing rules: the next owner of one pool, counted in the snapshot."""
    position = snapshot.cursors.get("pool", 0)
    owner = OWNERS[position % len(OWNERS)]
    cursors = {**snapshot.cursors, "pool": position + 1}
    counts = {**snapshot.open_handovers, owner: snapshot.open_handovers.get(owner, 0) + 1}
    return RoutingDecision(owner, "round-robin:pool", f"slot {position}"), RoutingState(cursors, counts)


def test_a_handover_is_reserved_once_and_keeps_its_owner(ledger: Ledger) -> None:
    first = ledger.handovers.reserve([request("101"), request("102")], round_robin, NOW)
    again = ledger.handovers.reserve([request("101"), request("103")], round_robin, NOW)
    owners = {h.key: h.owner_id for h in [*first, *again]}
    assert owners == {"101-mql-1": "o1", "102-mql-1": "o2", "103-mql-1": "o3"}
    assert all(h.status == "planned" for h in again)


def test_open_handovers_per_owner_reach_the_routing_decision(ledger: Ledger) -> None:
    seen: list[RoutingState] = []

    def spy(req: HandoverRequest, snapshot: RoutingState) -> tuple[RoutingDecision, RoutingState]:
        seen.append(snapshot)
        return round_robin(req, snapshot)

    ledger.handovers.reserve([request("101"), request("102")], spy, NOW)
    ledger.handovers.record_feedback("101-mql-1", "accepted", None, NOW)
    ledger.handovers.reserve([request("103")], spy, NOW)
    assert seen[-1].open_handovers == {"o2": 1}
    assert seen[-1].cursors == {"pool": 2}


def test_two_workers_reserving_at_once_never_share_a_slot(ledger_url: str) -> None:
    engines = [create_ledger_engine(ledger_url) for _ in range(2)]
    ledgers = [Ledger(engine) for engine in engines]
    slots: list[str] = []
    lock = threading.Lock()

    def counting(req: HandoverRequest, snapshot: RoutingState) -> tuple[RoutingDecision, RoutingState]:
        assignment, after = round_robin(req, snapshot)
        with lock:
            slots.append(assignment.reason)
        return assignment, after

    def work(worker: int) -> None:
        for n in range(20):
            ledgers[worker].handovers.reserve([request(f"{worker}{n:03d}")], counting, NOW)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(slots) == sorted(f"slot {n}" for n in range(40))
    for engine in engines:
        engine.dispose()


def test_completing_a_handover_records_its_task_and_deal(ledger: Ledger) -> None:
    ledger.handovers.reserve([request("101", "sql")], round_robin, NOW)
    due = NOW + timedelta(hours=4)
    ledger.handovers.complete([HandoverDone("101-sql-1", "9001", "7001", due, notified=True)], NOW)
    (handover,) = ledger.handovers.of_contacts(["101"])["101"]
    assert (handover.status, handover.task_id, handover.deal_id, handover.due_at) == ("done", "9001", "7001", due)
    assert handover.notified_at == NOW


def test_only_the_first_answer_of_sales_is_recorded(ledger: Ledger) -> None:
    ledger.handovers.reserve([request("101")], round_robin, NOW)
    ledger.handovers.record_feedback("101-mql-1", "accepted", None, NOW)
    ledger.handovers.record_feedback("101-mql-1", "rejected", "bad timing", NOW + timedelta(days=1))
    (handover,) = ledger.handovers.of_contacts(["101"])["101"]
    assert (handover.outcome, handover.outcome_reason, handover.first_response_at) == ("accepted", None, NOW)


def test_recycling_starts_the_next_cycle_and_both_cycles_stay(ledger: Ledger) -> None:
    record_drain(ledger, [AssessedContact("101", None, assessment(60, 30, "B2", "mql", ()), NOW, True)], [], {}, 0, NOW)
    ledger.handovers.reserve([request("101")], round_robin, NOW)
    ledger.handovers.record_feedback("101-mql-1", "rejected", "bad timing", NOW)
    assert ledger.handovers.recycle("101-mql-1", "101", NOW) == 2
    ledger.handovers.reserve([request("101", cycle=2)], round_robin, NOW + timedelta(days=30))
    cycles = [(h.cycle, h.status, h.outcome) for h in ledger.handovers.of_contacts(["101"])["101"]]
    assert cycles == [(1, "recycled", "rejected"), (2, "planned", None)]
    state = ledger.contacts.states_of(["101"])["101"]
    assert (state.qualification_cycle, state.recycled_at) == (2, NOW)


def test_transitions_are_kept_in_order(ledger: Ledger) -> None:
    ledger.handovers.record_transitions(
        [
            TransitionRecord("101", None, "mql", NOW, 1, "m"),
            TransitionRecord("101", "mql", "sql", NOW + timedelta(days=2), 1, "m"),
        ]
    )
    assert [(t.from_stage, t.to_stage) for t in ledger.handovers.transitions_of("101")] == [
        (None, "mql"),
        ("mql", "sql"),
    ]


def feedback_signal(key: str, kind: str, object_type: str, object_id: str) -> NewSignal:
    return NewSignal(key, "x", kind, object_type, object_id, None, NOW, {"eventId": 1})


def test_task_completion_and_deal_outcomes_arrive_on_the_handover(ledger: Ledger) -> None:
    ledger.handovers.reserve([request("101", "sql")], round_robin, NOW)
    ledger.handovers.complete([HandoverDone("101-sql-1", "9001", "7001", None, notified=False)], NOW)
    signals = (
        feedback_signal("a", "handover.task-completed", "task", "9001"),
        feedback_signal("b", "handover.deal-won", "deal", "7001"),
        feedback_signal("c", "handover.deal-lost", "deal", "5555"),  # not a deal Leadflow created
    )
    result = ledger.signals.record_intake(Intake(signals=signals), NOW)
    # The won deal ends the handover: its contact is drained, and the drain closes what the handover left open.
    assert (result.pending_objects, result.dirty_contacts) == (0, frozenset({"101"}))
    (handover,) = ledger.handovers.of_contacts(["101"])["101"]
    assert (handover.task_completed_at, handover.deal_outcome) == (NOW, "won")
    assert (handover.ended_at, handover.end_reason, handover.closed_at) == (NOW, "won", None)
    assert [h.key for h in ledger.handovers.to_close()] == ["101-sql-1"]
    assert ledger.counts().pending_signals == 0


def test_ended_handovers_free_their_owners_slots_and_wait_to_be_closed(ledger: Ledger) -> None:
    seen: list[RoutingState] = []

    def spy(req: HandoverRequest, snapshot: RoutingState) -> tuple[RoutingDecision, RoutingState]:
        seen.append(snapshot)
        return round_robin(req, snapshot)

    ledger.handovers.reserve([request("101"), request("102"), request("103")], spy, NOW)
    ledger.handovers.end(["101-mql-1"], "superseded", NOW)
    ledger.handovers.end_of_contacts(["102"], "deleted", NOW + timedelta(minutes=1))
    ledger.handovers.end(["101-mql-1"], "merged", NOW + timedelta(hours=1))  # ends once: the first end stays
    ledger.handovers.reserve([request("104")], spy, NOW)
    assert seen[-1].open_handovers == {"o3": 1}
    waiting = ledger.handovers.to_close()
    assert [(h.key, h.end_reason, h.ended_at) for h in waiting] == [
        ("101-mql-1", "superseded", NOW),
        ("102-mql-1", "deleted", NOW + timedelta(minutes=1)),
    ]
    with ledger.transaction() as connection:
        endings.record_closed(connection, ["101-mql-1"], NOW)
    assert [h.key for h in ledger.handovers.to_close()] == ["102-mql-1"]


def test_a_recycled_handover_ended_as_rejected_with_the_feedback_issue_kept(ledger: Ledger) -> None:
    record_drain(ledger, [AssessedContact("101", None, assessment(60, 30, "B2", "mql", ()), NOW, True)], [], {}, 0, NOW)
    ledger.handovers.reserve([request("101")], round_robin, NOW)
    ledger.handovers.record_feedback("101-mql-1", "rejected", "not qualified", NOW)
    ledger.handovers.record_feedback_issue("101-mql-1", "missing")
    ledger.handovers.recycle("101-mql-1", "101", NOW)
    ledger.handovers.record_late_reason("101-mql-1", "no_budget")
    (handover,) = ledger.handovers.of_contacts(["101"])["101"]
    assert (handover.end_reason, handover.ended_at, handover.outcome_reason, handover.feedback_issue) == (
        "rejected",
        NOW,
        "no_budget",
        "late",
    )


def test_data_tasks_are_remembered_once_and_completed(ledger: Ledger) -> None:
    with ledger.transaction() as connection:
        endings.record_data_tasks(connection, {"101-sql-1-data": ("101", "9001")}, NOW)
        endings.record_data_tasks(connection, {"101-sql-1-data": ("101", "9999")}, NOW)  # a re-run: kept
    assert ledger.handovers.open_data_tasks(["101", "102"]) == {"101-sql-1-data": ("101", "9001")}
    with ledger.transaction() as connection:
        endings.record_data_tasks_completed(connection, ["101-sql-1-data"], NOW)
    assert ledger.handovers.open_data_tasks(["101"]) == {}
    assert ledger.privacy.forget(["101"], "test", NOW) == 1


def test_migration_0010_ends_the_recycled_won_and_lost_handovers_it_finds(ledger: Ledger) -> None:
    """Upgrading to migration 0010: handovers that already ended wait for their tasks to be closed."""
    record_drain(ledger, [AssessedContact("101", None, assessment(60, 30, "B2", "mql", ()), NOW, True)], [], {}, 0, NOW)
    ledger.handovers.reserve([request("101"), request("102", "sql"), request("103")], round_robin, NOW)
    ledger.handovers.complete([HandoverDone("102-sql-1", "9002", "7002", None, notified=False)], NOW)
    ledger.handovers.record_feedback("101-mql-1", "rejected", "bad timing", NOW + timedelta(hours=1))
    ledger.handovers.recycle("101-mql-1", "101", NOW + timedelta(hours=1))
    ledger.signals.record_intake(Intake(signals=(feedback_signal("w", "handover.deal-won", "deal", "7002"),)), NOW)
    config = alembic_config()
    with ledger.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0007")
        command.upgrade(config, "head")
    ended = {h.key: (h.end_reason, h.ended_at) for h in ledger.handovers.to_close()}
    assert ended == {"101-mql-1": ("rejected", NOW + timedelta(hours=1)), "102-sql-1": ("won", NOW)}


def test_a_privacy_deletion_keeps_only_the_ids_of_the_contacts_open_tasks(ledger: Ledger) -> None:
    ledger.handovers.reserve([request("101"), request("102"), request("103")], round_robin, NOW)
    ledger.handovers.complete(
        [HandoverDone(f"{c}-mql-1", f"task-{c}", None, None, notified=False) for c in ("101", "102", "103")], NOW
    )
    with ledger.transaction() as connection:
        handover_rows.record_task_completed(connection, "task-102", NOW)  # sales completed it: nothing to close
        erase_contacts(connection, ["101", "102"], "privacy-deletion", NOW, orphan_tasks=True)
        erase_contacts(connection, ["101"], "privacy-deletion", NOW, orphan_tasks=True)  # delivered twice
    assert ledger.privacy.orphaned_tasks(100) == {"task-101": "deleted"}
    assert set(ledger.handovers.of_contacts(["101", "102", "103"])) == {"103"}
    ledger.privacy.forget_orphaned_tasks(["task-101"])
    assert ledger.privacy.orphaned_tasks(100) == {}


def test_the_kpi_facts_read_transitions_handovers_and_the_contacts_creation(ledger: Ledger) -> None:
    created = NOW - timedelta(days=30)
    record_drain(ledger, [AssessedContact("101", None, assessment(stage="mql"), NOW, True, created_at=created)],
                 [], {}, 0, NOW)  # fmt: skip
    ledger.handovers.record_transitions(
        [TransitionRecord("101", None, "mql", NOW, 1, "m1", 45, 20, 65, "B2", "signal", NOW - timedelta(minutes=1))]
    )
    ledger.handovers.reserve([request("101")], round_robin, NOW)
    ledger.handovers.complete([HandoverDone("101-mql-1", "9001", "7001", NOW + timedelta(hours=8), False)], NOW)
    (fact,) = ledger_facts(ledger)
    assert (fact.contact, fact.cycle, fact.created_at, fact.mql_at, fact.grade_at_mql, fact.score_at_mql) == (
        "101", 1, created, NOW, "B2", 65
    )  # fmt: skip
    assert (fact.qualified_signal_at, fact.handed_over_at, fact.due_at) == (
        NOW - timedelta(minutes=1), NOW, NOW + timedelta(hours=8)
    )  # fmt: skip
    assert fact.owner is not None and fact.deal_created_at == NOW

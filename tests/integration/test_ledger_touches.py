"""Touches in the ledger (SQLite and PostgreSQL): once per source and contact, judged whole against the contact's
handovers, which keep their first touch; merges re-key them, erasures delete them."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from app.ledger.database import create_ledger_engine
from app.ledger.records import HandoverDone, HandoverRecord, HandoverRequest, Intake, Merge, NewTouch
from app.ledger.store import Ledger
from app.rules.handover.leads import LeadStages
from app.rules.handover.types import RoutingDecision, RoutingState
from app.rules.sla.first_touch import Touch
from app.rules.sla.policy import FirstTouch

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
POLICY = FirstTouch(deal_stage_moved=True)
OWNER, OTHER = "o1", "o2"


def to_owner(owner: str) -> object:
    def decide(_request: HandoverRequest, snapshot: RoutingState) -> tuple[RoutingDecision, RoutingState]:
        return RoutingDecision(owner, "fixed", "test"), snapshot

    return decide


def handover(ledger: Ledger, contact: str, stage: str = "sql", at: datetime = NOW, owner: str = OWNER) -> str:
    key = f"{contact}-{stage}-1"
    ledger.handovers.reserve([HandoverRequest(key, contact, stage, 1)], to_owner(owner), at)  # type: ignore[arg-type]
    ledger.handovers.complete([HandoverDone(key, f"task-{contact}", f"deal-{contact}", None, False)], at)
    return key


def of(ledger: Ledger, contact: str) -> HandoverRecord:
    return ledger.handovers.of_contacts([contact])[contact][-1]


def call(number: int, minutes: float, owner: str | None = OWNER) -> Touch:
    return Touch(f"call:{number}", "call", NOW + timedelta(minutes=minutes), owner)


def test_the_first_touch_is_set_once_and_a_late_earlier_touch_replaces_it(ledger: Ledger) -> None:
    handover(ledger, "101")
    assert ledger.touches.record([NewTouch(call(2, 30), contact_id="101")], POLICY) == ["101"]
    first = of(ledger, "101")
    assert (first.first_touch_at, first.first_touch_kind, first.first_touch_by) == (
        NOW + timedelta(minutes=30), "call", OWNER
    )  # fmt: skip
    ledger.touches.record([NewTouch(call(1, 10), contact_id="101")], POLICY)
    assert of(ledger, "101").first_touch_at == NOW + timedelta(minutes=10)
    touches = ledger.touches.of_contacts(["101"])["101"]
    assert [(t.source_key, t.handover_key, t.counted) for t in touches] == [
        ("call:1", "101-sql-1", True),
        ("call:2", "101-sql-1", True),
    ]


def test_a_touch_is_recorded_once_however_often_it_is_delivered(ledger: Ledger) -> None:
    handover(ledger, "101")
    for _ in range(3):
        ledger.touches.record(
            [NewTouch(call(1, 10), contact_id="101"), NewTouch(call(1, 10), contact_id="101")], POLICY
        )
    assert len(ledger.touches.of_contacts(["101"])["101"]) == 1


def test_another_owners_touch_is_recorded_but_leaves_the_clock_running(ledger: Ledger) -> None:
    handover(ledger, "101")
    ledger.touches.record([NewTouch(call(1, 10, owner=OTHER), contact_id="101")], POLICY)
    (touch,) = ledger.touches.of_contacts(["101"])["101"]
    assert (touch.owner_id, touch.handover_key, touch.counted) == (OTHER, "101-sql-1", False)
    assert of(ledger, "101").first_touch_at is None


def test_a_task_or_deal_touch_finds_its_contacts_through_the_handover(ledger: Ledger) -> None:
    handover(ledger, "101")
    handover(ledger, "102")
    task = NewTouch(Touch("task:task-101", "task", NOW + timedelta(minutes=5)), task_id="task-101")
    deal = NewTouch(Touch("deal_stage:deal-102:1", "deal_stage", NOW + timedelta(minutes=7)), deal_id="deal-102")
    unknown = NewTouch(Touch("task:elsewhere", "task", NOW), task_id="elsewhere")
    assert ledger.touches.record([task, deal, unknown], POLICY) == ["101", "102"]
    assert (of(ledger, "101").first_touch_kind, of(ledger, "101").first_touch_by) == ("task", None)
    assert of(ledger, "102").first_touch_kind == "deal_stage"


def test_a_lead_moved_into_a_stage_leadflow_reads_is_a_touch_and_one_moved_elsewhere_is_not(ledger: Ledger) -> None:
    key = "101-sql-1"
    ledger.handovers.reserve([HandoverRequest(key, "101", "sql", 1)], to_owner(OWNER), NOW)  # type: ignore[arg-type]
    ledger.handovers.complete([HandoverDone(key, None, None, None, False, lead_id="lead-101")], NOW)
    opened = NewTouch(Touch("lead_stage:lead-101:1", "lead_stage", NOW + timedelta(minutes=3)), lead_id="lead-101",
                      lead_stage="new-stage-id")  # fmt: skip
    attempted = NewTouch(Touch("lead_stage:lead-101:2", "lead_stage", NOW + timedelta(minutes=9)), lead_id="lead-101",
                         lead_stage="attempting-stage-id")  # fmt: skip
    assert ledger.touches.record([opened, attempted], POLICY) == []  # setup recorded no lead pipeline: no Leads
    ledger.leads.save_stages(
        LeadStages("lead-pipeline-id", {"new-stage-id": "open", "attempting-stage-id": "first_touch"}), NOW
    )
    assert ledger.touches.record([opened, attempted], POLICY) == ["101"]
    assert [t.source_key for t in ledger.touches.of_contacts(["101"])["101"]] == ["lead_stage:lead-101:2"]
    assert (of(ledger, "101").first_touch_kind, of(ledger, "101").first_touch_at) == (
        "lead_stage", NOW + timedelta(minutes=9)
    )  # fmt: skip


def test_a_touch_after_a_rejection_counts_for_no_handover(ledger: Ledger) -> None:
    key = handover(ledger, "101")
    ledger.handovers.record_feedback(key, "rejected", "bad timing", NOW + timedelta(minutes=5))
    ledger.touches.record([NewTouch(call(1, 10), contact_id="101")], POLICY)
    (touch,) = ledger.touches.of_contacts(["101"])["101"]
    assert (touch.handover_key, touch.counted) == (None, False)
    assert of(ledger, "101").first_touch_at is None


def test_contacts_awaiting_a_first_touch_are_paged_by_id(ledger: Ledger) -> None:
    for contact in ("101", "102", "103"):
        handover(ledger, contact)
    ledger.touches.record([NewTouch(call(1, 10), contact_id="102")], POLICY)
    assert ledger.touches.awaiting_first_touch("", 1) == [("101", NOW)]
    assert ledger.touches.awaiting_first_touch("101", 10) == [("103", NOW)]


def test_a_superseded_or_deleted_contacts_handover_awaits_no_first_touch(ledger: Ledger) -> None:
    for contact in ("101", "102", "103"):
        handover(ledger, contact)
    ledger.handovers.end(["101-sql-1"], "superseded", NOW)
    ledger.handovers.end_of_contacts(["102"], "deleted", NOW)
    assert ledger.touches.awaiting_first_touch("", 10) == [("103", NOW)]


def test_a_merge_gives_the_touches_to_the_survivor_once_and_an_erasure_deletes_them(ledger: Ledger) -> None:
    handover(ledger, "101")
    ledger.touches.record([NewTouch(call(1, 10), contact_id="101"), NewTouch(call(1, 10), contact_id="102"),
                           NewTouch(call(2, 20), contact_id="102")], POLICY)  # fmt: skip
    ledger.signals.record_intake(Intake(merges=(Merge("101", ("102",)),)), NOW)
    assert [t.source_key for t in ledger.touches.of_contacts(["101", "102"])["101"]] == ["call:1", "call:2"]
    assert ledger.privacy.forget(["101"], "test", NOW) > 0
    assert ledger.touches.of_contacts(["101"]) == {}


def test_a_merged_contacts_earlier_touch_becomes_the_survivors_first_touch(ledger: Ledger) -> None:
    handover(ledger, "101")
    ledger.touches.record([NewTouch(call(2, 20), contact_id="101"), NewTouch(call(1, 10), contact_id="102")], POLICY)
    assert of(ledger, "101").first_touch_at == NOW + timedelta(minutes=20)
    ledger.signals.record_intake(Intake(merges=(Merge("101", ("102",)),)), NOW, first_touch=POLICY)
    assert of(ledger, "101").first_touch_at == NOW + timedelta(minutes=10)


def test_two_writers_adding_touches_of_one_contact_leave_the_earliest_as_first(ledger_url: str) -> None:
    engines = [create_ledger_engine(ledger_url) for _ in range(2)]
    ledgers = [Ledger(engine) for engine in engines]
    handover(ledgers[0], "101")
    start = threading.Barrier(2)

    def add(ledger: Ledger, numbers: range) -> None:
        start.wait()
        for number in numbers:
            ledger.touches.record([NewTouch(call(number, 100 - number), contact_id="101")], POLICY)

    threads = [threading.Thread(target=add, args=(ledgers[0], range(0, 10))),
               threading.Thread(target=add, args=(ledgers[1], range(10, 20)))]  # fmt: skip
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert of(ledgers[0], "101").first_touch_at == NOW + timedelta(minutes=81)  # call 19
    assert sum(t.counted for t in ledgers[0].touches.of_contacts(["101"])["101"]) == 20
    for engine in engines:
        engine.dispose()


def by_user(contact: str, minutes: float, user: str) -> NewTouch:
    """A deal stage moved by a HubSpot user (whom HubSpot names instead of an owner)."""
    at = NOW + timedelta(minutes=minutes)
    return NewTouch(Touch(f"deal_stage:{contact}:{minutes}", "deal_stage", at, user_id=user), contact_id=contact)


def test_a_touch_by_a_user_is_judged_by_the_owner_the_team_says_that_user_is(ledger: Ledger) -> None:
    ledger.touches.learn_users({"u1": OWNER, "u2": OTHER}, POLICY, NOW)
    handover(ledger, "101")
    ledger.touches.record([by_user("101", 5, "u2"), by_user("101", 9, "u1")], POLICY)
    first = of(ledger, "101")
    assert (first.first_touch_at, first.first_touch_by) == (NOW + timedelta(minutes=9), OWNER)
    touches = ledger.touches.of_contacts(["101"])["101"]
    assert [(t.user_id, t.owner_id, t.counted) for t in touches] == [("u2", None, False), ("u1", None, True)]


def test_learning_a_users_owner_judges_that_users_touches_anew(ledger: Ledger) -> None:
    handover(ledger, "101")
    handover(ledger, "102")
    ledger.touches.record([by_user("101", 5, "u2"), by_user("102", 6, "u1")], POLICY)
    # Not known yet: taken to be the owner's.
    assert of(ledger, "101").first_touch_at == NOW + timedelta(minutes=5)
    assert ledger.touches.learn_users({"u1": OWNER, "u2": OTHER}, POLICY, NOW) == ["101", "102"]
    assert of(ledger, "101").first_touch_at is None  # u2 is someone else: the clock runs again
    assert of(ledger, "102").first_touch_by == OWNER
    assert ledger.touches.learn_users({"u1": OWNER, "u2": OTHER}, POLICY, NOW) == []  # nothing changed
    # u2 becomes the owner's user (a user re-linked to another owner): judged anew once more.
    assert ledger.touches.learn_users({"u2": OWNER}, POLICY, NOW) == ["101"]
    assert of(ledger, "101").first_touch_by == OWNER

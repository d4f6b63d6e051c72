"""Nurture steps in the ledger (SQLite and PostgreSQL): each offered once per contact, whatever retries and
concurrent writers do; completed and converted once; read back as the planner's history; merges keep a step once,
erasures delete them; sales-sequence enrollments are kept once per handover."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from app.ledger.database import create_ledger_engine
from app.ledger.models import NURTURE_ENROLLMENTS
from app.ledger.nurture import NewEnrollment, NewOffer, NurtureStanding, record_standings
from app.ledger.records import Intake, Merge
from app.ledger.store import Ledger
from app.rules.nurture.facts import Offer, OfferRecord

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def offer(contact: str, step: str, days: float = 0, track: str = "awareness") -> NewOffer:
    return NewOffer(contact, track, step, NOW + timedelta(days=days))


def test_a_step_is_recorded_once_however_often_it_is_offered(ledger: Ledger) -> None:
    assert ledger.nurture.record_offers([offer("101", "checklist"), offer("102", "checklist")]) == [
        ("101", "checklist"), ("102", "checklist")
    ]  # fmt: skip
    assert ledger.nurture.record_offers([offer("101", "checklist", days=1), offer("101", "webinar-invite", 6)]) == [
        ("101", "webinar-invite")
    ]  # fmt: skip
    assert ledger.nurture.offers_of(["101", "103"]) == {
        "101": [Offer("awareness", "checklist", NOW), Offer("awareness", "webinar-invite", NOW + timedelta(days=6))]
    }


def test_completion_keeps_its_first_time_and_conversion_marks_the_steps_offered_before(ledger: Ledger) -> None:
    ledger.nurture.record_offers([offer("101", "checklist"), offer("101", "webinar-invite", 6)])
    ledger.nurture.record_completed([("101", "checklist", NOW + timedelta(days=2))])
    ledger.nurture.record_completed([("101", "checklist", NOW + timedelta(days=3))])
    ledger.nurture.record_converted(["101"], NOW + timedelta(days=4))
    checklist, invite = ledger.nurture.offers_of(["101"])["101"]
    assert checklist.completed_at == NOW + timedelta(days=2) and invite.completed_at is None
    with ledger.engine.connect() as connection:
        converted = dict(connection.exec_driver_sql("SELECT step, converted_at IS NOT NULL FROM nurture_steps").all())
    assert converted == {"checklist": True, "webinar-invite": False}  # offered after the conversion


def test_two_writers_offering_the_same_step_record_it_once(ledger_url: str) -> None:
    engines = [create_ledger_engine(ledger_url) for _ in range(2)]
    recorded: list[list[tuple[str, str]]] = []
    barrier = threading.Barrier(2)

    def write(engine_index: int) -> None:
        barrier.wait()
        recorded.append(Ledger(engines[engine_index]).nurture.record_offers([offer("101", "checklist")]))

    threads = [threading.Thread(target=write, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    for engine in engines:
        engine.dispose()
    ledger = Ledger(create_ledger_engine(ledger_url))
    try:
        assert len(ledger.nurture.offers_of(["101"])["101"]) == 1
        assert sorted(len(found) for found in recorded) == [0, 1]  # the writer that lost knows it
    finally:
        ledger.engine.dispose()


def test_a_merge_keeps_each_step_once_and_an_erasure_deletes_them(ledger: Ledger) -> None:
    ledger.nurture.record_offers([offer("101", "checklist"), offer("102", "checklist", 1), offer("102", "roi", 2)])
    ledger.signals.record_intake(Intake(merges=(Merge("101", ("102",)),)), NOW)
    found = ledger.nurture.offers_of(["101", "102"])
    assert [(o.step, o.offered_at) for o in found["101"]] == [("checklist", NOW), ("roi", NOW + timedelta(days=2))]
    assert "102" not in found
    ledger.privacy.forget(["101"], "forget", NOW)
    assert ledger.nurture.offers_of(["101"]) == {}


def test_the_offer_records_read_back_every_offer_with_its_completion_and_conversion(ledger: Ledger) -> None:
    ledger.nurture.record_offers(
        [offer("102", "checklist", 1), offer("101", "checklist"), offer("101", "roi", 3, "decision")]
    )
    ledger.nurture.record_completed([("101", "checklist", NOW + timedelta(days=2))])
    ledger.nurture.record_converted(["101"], NOW + timedelta(days=2, hours=1))
    found = ledger.nurture.records()
    assert found == [
        OfferRecord("101", "awareness", "checklist", NOW, NOW + timedelta(days=2), NOW + timedelta(days=2, hours=1)),
        OfferRecord("102", "awareness", "checklist", NOW + timedelta(days=1)),
        OfferRecord("101", "decision", "roi", NOW + timedelta(days=3)),  # offered after the conversion
    ]
    assert all(record.offered_at.tzinfo is not None for record in found)  # aware, in UTC, on both databases
    assert ledger.nurture.records(offered_before=NOW + timedelta(days=1)) == found[:1]


def standing(contact: str, state: str, due_days: float | None = None) -> NurtureStanding:
    due = None if due_days is None else NOW + timedelta(days=due_days)
    return NurtureStanding(contact, state, "awareness", "webinar-invite", due, NOW)


def test_standings_keep_the_latest_plan_and_the_due_ones_are_read_through_their_index(ledger: Ledger) -> None:
    with ledger.transaction() as connection:
        record_standings(connection, [standing("101", "waiting", 5), standing("102", "waiting", 1),
                                      standing("103", "paused"), standing("104", "waiting", 2)])  # fmt: skip
    with ledger.transaction() as connection:  # 104's step went out: its latest plan replaces the waiting one
        record_standings(connection, [standing("104", "active")])
    assert ledger.nurture.standings_of(["104"])["104"].state == "active"
    assert ledger.nurture.standings_of(["104"])["104"].due_at is None
    pages = list(ledger.nurture.due_for_offer(NOW + timedelta(days=6), page_size=1))
    assert pages == [["102"], ["101"]]  # oldest due first, one per page, keyset paging to the end
    assert list(ledger.nurture.due_for_offer(NOW + timedelta(hours=12))) == []
    assert ledger.nurture.count_standings(NOW + timedelta(days=2)) == {"waiting": 2, "paused": 1, "active": 1,
                                                                       "due": 1}  # fmt: skip
    ledger.signals.record_intake(Intake(merges=(Merge("103", ("101",)),)), NOW)
    assert set(ledger.nurture.standings_of(["101", "102", "103"])) == {"102", "103"}  # merged away: dropped
    ledger.privacy.forget(["102"], "forget", NOW)
    assert ledger.nurture.standings_of(["102"]) == {}


def test_an_enrollment_is_recorded_once_per_handover_merges_rekey_it_and_an_erasure_deletes_it(ledger: Ledger) -> None:
    first = NewEnrollment("102:mql:1", "102", "80000001", "60000001", NOW)
    assert ledger.nurture.record_enrollment(first)
    assert not ledger.nurture.record_enrollment(NewEnrollment("102:mql:1", "102", "80000001", "60000009", NOW))
    assert ledger.nurture.enrolled(["102:mql:1", "101:mql:1"]) == {"102:mql:1"}
    ledger.signals.record_intake(Intake(merges=(Merge("101", ("102",)),)), NOW)
    with ledger.engine.connect() as connection:
        rows = connection.execute(select(NURTURE_ENROLLMENTS.c.contact_id, NURTURE_ENROLLMENTS.c.enrollment_id)).all()
    assert [tuple(row) for row in rows] == [("101", "60000001")]  # the first enrollment, now the survivor's
    ledger.privacy.forget(["101"], "forget", NOW)
    assert ledger.nurture.enrolled(["102:mql:1"]) == set()

"""The ledger on SQLite and PostgreSQL: durable signals, no duplicates, merges, privacy deletion, state."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest
from alembic import command
from sqlalchemy import inspect

from app.ledger.database import alembic_config, migrate, schema_is_current
from app.ledger.records import AssessedContact, Intake, Merge, NewSignal, QuarantinedEvent, Resolution
from app.ledger.store import Ledger
from tests.support.ledger import assessment, record_drain

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def signal(key: str, contact: str | None = "101", types: tuple[str, ...] = (), **fields: object) -> NewSignal:
    values: dict[str, object] = {
        "dedupe_key": key,
        "subscription_type": "contact.propertyChange",
        "kind": "contact.changed",
        "object_type": "contact",
        "object_id": contact or "501",
        "contact_id": contact,
        "occurred_at": NOW - timedelta(hours=1),
        "payload": {"eventId": 1, "propertyName": "jobtitle"},
        "engagement_types": types,
    }
    values.update(fields)
    return NewSignal(**values)  # type: ignore[arg-type]


def assessed(contact: str, company: str | None = None, changed: bool = True) -> AssessedContact:
    return AssessedContact(contact, company, assessment(), NOW, changed)


def test_migrations_leave_the_schema_current(ledger: Ledger) -> None:
    assert schema_is_current(ledger.engine)
    tables = set(inspect(ledger.engine).get_table_names())
    assert {"signals", "engagements", "contact_state", "property_types"} <= tables


def test_checking_the_schema_logs_nothing_while_migrating_still_says_what_alembic_does(
    ledger: Ledger, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="alembic")
    assert schema_is_current(ledger.engine)  # every /readyz asks this
    assert [record.getMessage() for record in caplog.records] == []
    migrate(ledger.engine)
    assert any(record.getMessage().startswith("Context impl") for record in caplog.records), caplog.text


def test_signals_are_stored_with_their_engagements(ledger: Ledger) -> None:
    result = ledger.signals.record_intake(
        Intake(signals=(signal("a", types=("demo_request", "webinar_registration")),)), NOW
    )
    assert (result.stored, result.duplicates, result.dirty_contacts) == (1, 0, frozenset({"101"}))
    engagements = ledger.contacts.engagements_of(["101"])["101"]
    assert sorted(e.type for e in engagements) == ["demo_request", "webinar_registration"]
    assert all(e.occurred_at == NOW - timedelta(hours=1) for e in engagements)


def test_a_duplicate_delivery_stores_nothing_new(ledger: Ledger) -> None:
    batch = Intake(signals=(signal("a", types=("demo_request",)), signal("a", types=("demo_request",))))
    first = ledger.signals.record_intake(batch, NOW)
    again = ledger.signals.record_intake(Intake(signals=(signal("a", types=("demo_request",)),)), NOW)
    assert (first.stored, again.stored, again.duplicates) == (1, 0, 1)
    assert again.dirty_contacts == frozenset()
    counts = ledger.counts()
    assert (counts.signals, counts.engagements) == (1, 1)


def test_signals_whose_contacts_are_unknown_wait_for_the_resolver(ledger: Ledger) -> None:
    company_signal = signal("c", contact=None, kind="company.changed", object_type="company")
    result = ledger.signals.record_intake(Intake(signals=(company_signal,)), NOW)
    assert (result.pending_objects, result.dirty_contacts) == (1, frozenset())
    (pending,) = ledger.signals.pending_object_signals()
    assert (pending.object_type, pending.object_id) == ("company", "501")
    ledger.signals.record_resolutions([Resolution(pending.id, "company:501", NOW, ("101", "102"))], NOW)
    assert ledger.signals.pending_object_signals() == []


def test_a_resolved_meeting_becomes_one_engagement_per_contact_even_if_resolved_twice(ledger: Ledger) -> None:
    meeting = signal("m", contact=None, kind="engagement.created", object_type="meeting", object_id="9001")
    ledger.signals.record_intake(Intake(signals=(meeting,)), NOW)
    (pending,) = ledger.signals.pending_object_signals()
    resolution = Resolution(pending.id, "meeting:9001", NOW, ("101", "102"), ("meeting_booked",))
    ledger.signals.record_resolutions([resolution], NOW)
    ledger.signals.record_resolutions([resolution], NOW)
    engagements = ledger.contacts.engagements_of(["101", "102"])
    assert {cid: [e.type for e in found] for cid, found in engagements.items()} == {
        "101": ["meeting_booked"],
        "102": ["meeting_booked"],
    }


def test_a_merge_moves_signals_and_engagements_to_the_survivor_without_doubling(ledger: Ledger) -> None:
    ledger.signals.record_intake(
        Intake(signals=(signal("a", "101", ("demo_request",)), signal("b", "102", ("demo_request",)))), NOW
    )
    record_drain(ledger, [assessed("102")], [], {}, ledger.signals.watermark(), NOW)
    ledger.signals.record_intake(Intake(merges=(Merge("101", ("102",)),)), NOW)
    engagements = ledger.contacts.engagements_of(["101", "102"])
    assert list(engagements) == ["101"]
    assert len(engagements["101"]) == 2
    assert ledger.contacts.states_of(["102"]) == {}
    assert ledger.signals.contacts_with_pending_signals(NOW + timedelta(seconds=1)) == ["101"]


def test_a_privacy_deletion_removes_every_row_of_the_contact(ledger: Ledger) -> None:
    ledger.signals.record_intake(Intake(signals=(signal("a", "101", ("demo_request",)), signal("b", "202"))), NOW)
    record_drain(ledger, [assessed("101")], [], {}, ledger.signals.watermark(), NOW)
    result = ledger.signals.record_intake(Intake(signals=(signal("c", "101"),), forgotten=("101",)), NOW)
    assert result.forgotten == frozenset({"101"})
    assert result.dirty_contacts == frozenset()
    assert ledger.contacts.engagements_of(["101"]) == {}
    assert ledger.contacts.states_of(["101"]) == {}
    assert ledger.signals.contacts_with_pending_signals(NOW + timedelta(seconds=1)) == ["202"]


def test_recording_a_drain_marks_only_signals_up_to_the_watermark_processed(ledger: Ledger) -> None:
    ledger.signals.record_intake(Intake(signals=(signal("a"),)), NOW)
    watermark = ledger.signals.watermark()
    ledger.signals.record_intake(Intake(signals=(signal("b"),)), NOW)
    record_drain(ledger, [assessed("101", company="501")], [], {}, watermark, NOW)
    assert ledger.counts().pending_signals == 1
    state = ledger.contacts.states_of(["101"])["101"]
    assert (state.fit, state.grade, state.company_id, state.changed_at) == (40, "B3", "501", NOW)
    assert ledger.contacts.contacts_at_companies(["501"]) == {"501": ["101"]}


def test_changed_at_moves_only_when_leadflow_changed_what_hubspot_shows(ledger: Ledger) -> None:
    record_drain(ledger, [assessed("101")], [], {}, 0, NOW)
    later = NOW + timedelta(hours=1)
    unchanged = AssessedContact("101", None, assessment(), later, False)
    record_drain(ledger, [unchanged], [], {}, 0, later)
    state = ledger.contacts.states_of(["101"])["101"]
    assert (state.assessed_at, state.changed_at) == (later, NOW)


def test_contacts_hubspot_no_longer_has_are_marked_deleted(ledger: Ledger) -> None:
    ledger.signals.record_intake(Intake(signals=(signal("a"),)), NOW)
    record_drain(ledger, [assessed("101")], [], {}, ledger.signals.watermark(), NOW)
    ledger.signals.record_intake(Intake(signals=(signal("b", kind="contact.deleted"),)), NOW)
    record_drain(ledger, [], ["101"], {}, ledger.signals.watermark(), NOW)
    assert ledger.contacts.states_of(["101"])["101"].deleted_at == NOW
    assert ledger.counts().pending_signals == 0


def test_a_refused_write_is_recorded_on_the_contact(ledger: Ledger) -> None:
    record_drain(ledger, [assessed("101")], [], {"101": "VALIDATION_ERROR: bad option"}, 0, NOW)
    assert ledger.contacts.states_of(["101"])["101"].last_error == "VALIDATION_ERROR: bad option"


def test_property_types_are_replaced_as_a_whole(ledger: Ledger) -> None:
    ledger.contacts.save_property_types({"company.numberofemployees": "number", "contact.country": "string"}, NOW)
    ledger.contacts.save_property_types({"company.numberofemployees": "number"}, NOW)
    assert ledger.contacts.property_types() == {"company.numberofemployees": "number"}


def test_only_signals_older_than_the_grace_period_are_reconciled(ledger: Ledger) -> None:
    ledger.signals.record_intake(Intake(signals=(signal("a"),)), NOW)
    assert ledger.signals.contacts_with_pending_signals(received_before=NOW) == []
    assert ledger.signals.contacts_with_pending_signals(received_before=NOW + timedelta(minutes=3)) == ["101"]


def test_forgetting_a_contact_erases_every_row_and_keeps_only_counts(ledger: Ledger) -> None:
    from app.ledger.records import HandoverRequest, TransitionRecord
    from tests.integration.test_ledger_handovers import round_robin

    ledger.signals.record_intake(Intake(signals=(signal("a", "101", ("demo_request",)), signal("b", "202"))), NOW)
    record_drain(ledger, [assessed("101")], [], {}, ledger.signals.watermark(), NOW)
    ledger.handovers.reserve([HandoverRequest("101-mql-1", "101", "mql", 1)], round_robin, NOW)
    ledger.handovers.record_transitions([TransitionRecord("101", None, "mql", NOW, 1, "m")])
    rows = ledger.privacy.forget(["101"], "forget", NOW)
    assert rows == 5  # a signal, an engagement, a handover, a transition, the state
    assert ledger.contacts.engagements_of(["101"]) == {}
    assert ledger.contacts.states_of(["101"]) == {}
    assert ledger.handovers.of_contacts(["101"]) == {}
    assert ledger.handovers.transitions_of("101") == []
    assert ledger.signals.contacts_with_pending_signals(NOW + timedelta(seconds=1)) == ["202"]
    assert ledger.privacy.erasures() == [(NOW, "forget", 1, 5)]


def test_a_privacy_deletion_leaves_a_count_level_audit_record(ledger: Ledger) -> None:
    ledger.signals.record_intake(Intake(signals=(signal("a", "101", ("demo_request",)),)), NOW)
    ledger.signals.record_intake(Intake(forgotten=("101",)), NOW)
    assert ledger.privacy.erasures() == [(NOW, "privacy-deletion", 1, 2)]


def test_a_merge_moves_handovers_and_transitions_to_the_survivor(ledger: Ledger) -> None:
    from app.ledger.records import HandoverRequest, TransitionRecord
    from tests.integration.test_ledger_handovers import round_robin

    requests = [HandoverRequest("102-mql-1", "102", "mql", 1), HandoverRequest("102-sql-1", "102", "sql", 1),
                HandoverRequest("101-mql-1", "101", "mql", 1)]  # fmt: skip
    ledger.handovers.reserve(requests, round_robin, NOW)
    ledger.handovers.record_transitions([TransitionRecord("102", None, "sql", NOW, 1, "m")])
    ledger.signals.record_intake(Intake(merges=(Merge("101", ("102",)),)), NOW)
    survivor = {(h.stage, h.key) for h in ledger.handovers.of_contacts(["101"])["101"]}
    assert survivor == {("mql", "101-mql-1"), ("sql", "102-sql-1")}
    assert [h.key for h in ledger.handovers.of_contacts(["102"])["102"]] == [
        "102-mql-1"
    ]  # the survivor has its own mql
    assert [t.to_stage for t in ledger.handovers.transitions_of("101")] == ["sql"]


def test_retention_prunes_old_processed_signals_and_contacts_deleted_long_ago(ledger: Ledger) -> None:
    old = NOW - timedelta(days=120)
    ledger.signals.record_intake(Intake(signals=(signal("a", "101", ("demo_request",)), signal("b", "202"))), old)
    record_drain(ledger, [assessed("101"), assessed("202")], [], {}, ledger.signals.watermark(), old)
    record_drain(ledger, [], ["202"], {}, ledger.signals.watermark(), old)  # HubSpot deleted 202 long ago
    ledger.signals.record_intake(Intake(signals=(signal("c", "303"),)), NOW)  # recent and unprocessed: kept
    old_entry = QuarantinedEvent(event="{}", reason="old", fingerprint="f-old")
    ledger.signals.record_intake(Intake(quarantined=(old_entry,)), old)
    ledger.signals.record_intake(Intake(quarantined=(QuarantinedEvent("[]", "recent", "f-new"),)), NOW)
    pruned = ledger.privacy.prune(NOW - timedelta(days=90), NOW - timedelta(days=90), NOW)
    assert (pruned.signals, pruned.contacts) == (2, 1)  # both old processed signals; then 202, deleted long ago
    assert pruned.quarantined == 1
    assert [entry.reason for entry in ledger.quarantine.entries()] == ["recent"]
    assert [e.type for e in ledger.contacts.engagements_of(["101"])["101"]] == ["demo_request"]  # engagements stay
    assert ledger.contacts.states_of(["202"]) == {}
    assert ledger.counts().signals == 1


def test_a_full_batch_is_stored_once_with_its_payloads_and_times_intact(ledger: Ledger) -> None:
    ledger.signals.record_intake(Intake(signals=(signal("k0", contact="100"),)), NOW)
    payloads = [
        {"eventId": i, "propertyValue": f'Whitepaper: "Lean" \\ 4.0 — {i}', "ids": [i, None]} for i in range(100)
    ]
    batch = [
        signal(f"k{i}", contact=None if i % 10 == 0 else str(100 + i), types=("demo_request",) * (i % 2), payload=p)
        for i, p in enumerate(payloads)
    ]
    result = ledger.signals.record_intake(Intake(signals=(*batch, batch[7])), NOW)
    assert (result.stored, result.duplicates, result.pending_objects) == (99, 2, 9)
    assert result.dirty_contacts == frozenset(str(100 + i) for i in range(1, 100) if i % 10)
    counts = ledger.counts()
    assert (counts.signals, counts.engagements, counts.pending_signals) == (100, 50, 100)
    waiting = {s.payload["eventId"]: s for s in ledger.signals.pending_object_signals()}
    assert waiting[30].payload == payloads[30]
    assert waiting[30].occurred_at == NOW - timedelta(hours=1)
    assert [e.occurred_at for e in ledger.contacts.engagements_of(["101"])["101"]] == [NOW - timedelta(hours=1)]


def test_contacts_due_for_a_change_are_read_by_time_in_pages_ties_included(ledger: Ledger) -> None:
    moments = {f"c{n:02d}": NOW + timedelta(minutes=n // 3 - 5) for n in range(30)}  # three contacts per minute
    moments["never"] = None  # type: ignore[assignment]
    ledger.contacts.record_assessed(
        [AssessedContact(contact, None, assessment(), NOW, True, moment) for contact, moment in moments.items()]
    )
    pages = list(ledger.contacts.due_for_change(NOW, page_size=4))
    due = [contact for page in pages for contact in page]
    assert due == [f"c{n:02d}" for n in range(18)]  # up to NOW included, in order, each once, across tied pages
    assert [len(page) for page in pages] == [4, 4, 4, 4, 2]
    assert list(ledger.contacts.due_for_change(NOW - timedelta(hours=1))) == []


def test_a_contact_hubspot_no_longer_has_is_never_due(ledger: Ledger) -> None:
    ledger.contacts.record_assessed([AssessedContact("101", None, assessment(), NOW, True, NOW)])
    record_drain(ledger, [], ["101"], {}, ledger.signals.watermark(), NOW)
    assert list(ledger.contacts.due_for_change(NOW + timedelta(days=1))) == []


def test_contacts_assessed_before_next_change_at_existed_are_due_at_once(ledger: Ledger) -> None:
    """Upgrading to migration 0005: values assessed earlier may have decayed since, so the first sweep takes them."""
    ledger.contacts.record_assessed([AssessedContact(c, None, assessment(), NOW, True) for c in ("101", "102")])
    record_drain(ledger, [], ["102"], {}, ledger.signals.watermark(), NOW)  # HubSpot no longer has 102
    config = alembic_config()
    with ledger.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0004")
        command.upgrade(config, "head")
    assert ledger.contacts.states_of(["101"])["101"].next_change_at == NOW
    assert list(ledger.contacts.due_for_change(NOW)) == [["101"]]

"""The drain's shell logic on the in-memory HubSpot: what it writes, what it records, what it costs, how it fails."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.sync.hubspot.errors import DailyLimitReached, HubSpotError, RateLimited, TransientHubSpotError
from tests.integration.sync.conftest import MQL, SQL, Portal

WRITE = ("update_objects", "contact")


def test_150_new_contacts_cost_two_requests_per_100_plus_their_companies_and_are_scored(portal: Portal) -> None:
    ids = [portal.lead(f"buyer.{n}@maker{n}.de") for n in range(150)]
    portal.created(*ids)
    report = portal.drain()
    assert (report.claimed, report.written, report.unchanged, report.remaining) == (150, 150, 0, 0)
    assert [(c.operation, c.object_type, c.records) for c in portal.hubspot.calls] == [
        ("read_objects", "contact", 100),
        ("read_objects", "contact", 50),
        ("read_objects", "company", 100),
        ("read_objects", "company", 50),
        ("update_objects", "contact", 100),
        ("update_objects", "contact", 50),
    ]
    assert {portal.contact(i)["leadflow_fit_score"] for i in ids} == {"90"}
    assert portal.container.ledger.counts().pending_signals == 0


def test_a_second_drain_reads_companies_from_the_cache_and_writes_only_what_changed(portal: Portal) -> None:
    ids = [portal.lead(f"buyer.{n}@maker{n}.de") for n in range(3)]
    portal.created(*ids)
    portal.drain()
    scored_at = portal.contact(ids[0])["leadflow_scored_at"]
    portal.hubspot.calls.clear()
    portal.clock.advance(minutes=5)
    portal.changed(ids[0], jobtitle="Managing Director")  # moves no score
    portal.changed(ids[1], hs_buying_role="END_USER")  # fit 90 → 60
    report = portal.drain()
    assert (report.claimed, report.written, report.unchanged) == (2, 1, 1)
    assert portal.hubspot.request_counts() == {("read_objects", "contact"): 1, WRITE: 1}
    assert portal.hubspot.calls[-1].records == 1
    assert portal.contact(ids[1])["leadflow_fit_score"] == "60"
    assert portal.contact(ids[0])["leadflow_scored_at"] == scored_at
    states = portal.container.ledger.contacts.states_of(ids)
    assert (states[ids[0]].fit, states[ids[1]].fit) == (90, 60)
    assert states[ids[0]].changed_at < states[ids[1]].changed_at


def test_a_contact_hubspot_no_longer_has_is_marked_deleted_and_its_signals_closed(portal: Portal) -> None:
    kept, gone = portal.lead("kept.one@a.de"), portal.lead("gone.one@b.de")
    portal.created(kept, gone)
    portal.drain()
    portal.hubspot.delete("contact", gone)
    portal.created(kept, gone)  # HubSpot's events arrive after the deletion
    report = portal.drain()
    assert (report.claimed, report.missing) == (2, 1)
    states = portal.container.ledger.contacts.states_of([kept, gone])
    assert states[gone].deleted_at == portal.clock.now and states[kept].deleted_at is None
    assert portal.container.ledger.counts().pending_signals == 0


def test_a_refused_write_is_the_contacts_error_and_its_signals_are_processed_anyway(portal: Portal) -> None:
    refused, fine = portal.lead("refused.one@a.de"), portal.lead("fine.one@b.de")
    reason = "VALIDATION_ERROR: leadflow_grade: A3 is not a valid option"
    portal.hubspot.refuse("contact", refused, reason)
    portal.created(refused, fine)
    portal.converts(refused, *MQL)
    report = portal.drain()
    # Both contacts' creations, and each form's name, date (judged by the drain's recall) and count.
    assert (report.written, report.refused, report.signals_processed) == (1, 1, 8)
    states = portal.container.ledger.contacts.states_of([refused, fine])
    assert (states[refused].last_error, states[fine].last_error) == (reason, None)
    assert [e.type for e in portal.container.ledger.contacts.engagements_of([refused])[refused]] == [
        "whitepaper_download",
        "demo_request",
    ]
    assert states[refused].engagement == 15
    assert portal.container.ledger.counts().pending_signals == 0
    assert "leadflow_fit_score" not in portal.contact(refused)
    assert portal.contact(fine)["leadflow_fit_score"] == "90"


def test_a_write_hubspot_left_unanswered_is_looked_at_again_after_the_recheck_delay(portal: Portal) -> None:
    ids = [portal.lead(f"buyer.{n}@maker{n}.de") for n in range(2)]
    portal.created(*ids)
    portal.hubspot.leave_unanswered()
    portal.drain()
    worklist, delay = portal.container.worklist, portal.container.settings.hubspot_recheck_seconds
    assert worklist.recheck_count() == 2
    now = portal.clock.now.timestamp()
    assert worklist.take_due_rechecks(now + delay - 1) == []
    assert sorted(worklist.take_due_rechecks(now + delay)) == sorted(ids)


@pytest.mark.parametrize("operation", ["read_objects", "update_objects"])
def test_a_spent_daily_limit_pauses_the_drain_and_gives_its_contacts_back_untouched(
    portal: Portal, operation: str
) -> None:
    ids = [portal.lead(f"buyer.{n}@maker{n}.de") for n in range(3)]
    portal.created(*ids)
    midnight = portal.clock.now.replace(hour=0) + timedelta(days=1)
    portal.hubspot.fail_next(operation, DailyLimitReached("daily limit", midnight, retry_after=50_400))
    report = portal.drain()
    assert (report.claimed, report.written, report.paused_until) == (3, 0, midnight.isoformat())
    worklist, ledger = portal.container.worklist, portal.container.ledger
    assert (worklist.dirty_count(), worklist.claimed_count(), report.remaining) == (3, 0, 3)
    assert ledger.contacts.states_of(ids) == {} and ledger.counts().pending_signals == 3
    assert portal.drain().written == 3  # after midnight: every contact, once


@pytest.mark.parametrize(
    "error", [TransientHubSpotError("batch-update contacts: 503"), RateLimited("429", retry_after=10, daily=False)]
)
def test_a_drain_that_fails_gives_its_contacts_back_and_raises_for_rqs_retry(
    portal: Portal, error: HubSpotError
) -> None:
    ids = [portal.lead(f"buyer.{n}@maker{n}.de") for n in range(2)]
    portal.created(*ids)
    portal.hubspot.fail_next("update_objects", error)
    with pytest.raises(type(error)):
        portal.drain()
    worklist = portal.container.worklist
    assert (worklist.dirty_count(), worklist.claimed_count()) == (2, 0)
    assert portal.container.ledger.contacts.states_of(ids) == {}
    assert portal.drain().written == 2


def test_every_change_of_stage_is_recorded_as_a_transition(portal: Portal) -> None:
    contact_id, stays = portal.lead("anna.keller@kessler.de", phone="+49 30 5550"), portal.lead("no.stage@a.de")
    portal.created(contact_id, stays)
    portal.drain()
    portal.converts(contact_id, *MQL)
    portal.drain()
    portal.clock.advance(days=1)
    portal.converts(contact_id, *SQL)
    portal.drain()
    ledger = portal.container.ledger
    transitions = [(t.from_stage, t.to_stage, t.cycle, t.model) for t in ledger.handovers.transitions_of(contact_id)]
    assert transitions == [(None, "mql", 1, "default-2026-12"), ("mql", "sql", 1, "default-2026-12")]
    assert ledger.handovers.transitions_of(stays) == []
    assert portal.contact(contact_id)["leadflow_stage"] == "sql"

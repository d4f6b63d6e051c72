"""History for KPIs and calibration, as the drain records it on the in-memory HubSpot: each transition with the
assessment that caused it, why and when the buyer acted; a score history row per score change HubSpot took."""

from __future__ import annotations

from datetime import timedelta

from app.rules.handover.types import handover_key
from tests.integration.sync.conftest import MQL, Portal
from tests.integration.sync.test_rescore import Chain

MODEL = "default-2026-12"


def test_a_transition_records_the_assessment_that_caused_it_and_when_the_buyer_acted(portal: Portal) -> None:
    contact_id = portal.lead("anna.keller@kessler.de")
    portal.created(contact_id)
    portal.drain()
    portal.clock.advance(hours=1)
    portal.converts(contact_id, *MQL)  # the demo request, the buyer's last action, one second after the whitepaper
    acted_at = portal.clock.now - timedelta(seconds=1)
    portal.clock.advance(minutes=5)  # the drain runs later than the buyer acted
    portal.drain()
    (transition,) = portal.container.ledger.handovers.transitions_of(contact_id)
    written = portal.contact(contact_id)
    assert (transition.from_stage, transition.to_stage, transition.at, transition.cycle) == (
        None, "mql", portal.clock.now, 1
    )  # fmt: skip
    assert (transition.fit, transition.engagement, transition.score) == (90, 15, 105)
    assert (transition.grade, transition.model) == (written["leadflow_grade"], MODEL)
    assert (transition.cause, transition.signal_at) == ("signal", acted_at)


def test_the_score_history_has_one_row_per_score_change_hubspot_took(portal: Portal) -> None:
    contact_id, refused = portal.lead("anna.keller@kessler.de"), portal.lead("refused.one@a.de")
    portal.hubspot.refuse("contact", refused, "VALIDATION_ERROR: locked by a workflow")
    portal.created(contact_id, refused)
    portal.drain()
    portal.clock.advance(minutes=5)
    portal.changed(contact_id, jobtitle="Managing Director")  # moves no score: nothing written
    portal.drain()
    portal.converts(contact_id, *MQL)
    portal.drain()
    portal.container.worklist.mark_dirty([contact_id], portal.clock.now.timestamp())  # assessed again, unchanged
    portal.drain()
    history = portal.container.ledger.history.of(contact_id)
    assert [(c.fit, c.engagement, c.score, c.stage, c.cause) for c in history.score_changes] == [
        (90, 0, 90, None, "signal"),
        (90, 15, 105, "mql", "signal"),
    ]
    last = history.score_changes[-1]
    written = portal.contact(contact_id)
    assert (last.grade, last.reasons, last.model, last.cycle) == (
        written["leadflow_grade"], written["leadflow_score_reasons"], MODEL, 1
    )  # fmt: skip
    assert portal.container.ledger.history.of(refused).score_changes == ()


def test_a_drain_that_writes_only_a_handovers_properties_adds_no_score_history(portal: Portal) -> None:
    contact_id = portal.lead("anna.keller@kessler.de")
    key = handover_key(contact_id, "mql", 1)
    portal.hubspot.refuse("task", key, "VALIDATION_ERROR: hs_task_priority")
    portal.converts(contact_id, *MQL)
    portal.drain()  # scores written; the handover waits for its task
    del portal.hubspot.refusals[("task", key)]
    portal.clock.advance(minutes=5)
    portal.created(contact_id)
    portal.drain()  # the owner and lead status are written now, the scores are unchanged
    assert portal.container.ledger.handovers.of_contacts([contact_id])[contact_id][0].status == "done"
    assert [c.stage for c in portal.container.ledger.history.of(contact_id).score_changes] == ["mql"]


def test_a_decay_without_a_signal_records_cause_decay_and_no_trigger_time(portal: Portal) -> None:
    contact_id = portal.lead("anna.keller@kessler.de")
    portal.converts(contact_id, *MQL)
    portal.drain()
    portal.clock.advance(days=10)  # engagement 15 decays below mql's 15
    portal.container.worklist.mark_dirty([contact_id], portal.clock.now.timestamp())  # as a decay sweep would
    portal.drain()
    ledger = portal.container.ledger
    last = ledger.handovers.transitions_of(contact_id)[-1]
    assert (last.from_stage, last.to_stage, last.cause, last.signal_at) == ("mql", None, "decay", None)
    assert [(c.stage, c.cause, c.signal_at) for c in ledger.history.of(contact_id).score_changes][-1] == (
        None, "decay", None
    )  # fmt: skip


def test_a_contact_marked_dirty_before_its_change_is_due_records_cause_none(portal: Portal) -> None:
    contact_id = portal.lead("anna.keller@kessler.de")
    portal.converts(contact_id, *MQL)
    portal.drain()
    portal.clock.advance(days=1)  # nothing is due yet; a change no webhook tells of (fit 90 → 30) is found
    portal.hubspot.change("contact", contact_id, {"hs_buying_role": "INFLUENCER", "email": "anna@gmail.com"})
    portal.container.worklist.mark_dirty([contact_id], portal.clock.now.timestamp())
    portal.drain()
    last = portal.container.ledger.handovers.transitions_of(contact_id)[-1]
    assert (last.from_stage, last.to_stage, last.cause) == ("mql", None, "none")


def test_a_rescore_that_finds_a_change_no_webhook_reported_records_cause_rescore(portal: Portal) -> None:
    contact_id = portal.lead("anna.keller@kessler.de")
    portal.created(contact_id)
    portal.drain()
    portal.hubspot.change("contact", contact_id, {"hs_buying_role": "END_USER"})  # no webhook: fit 90 → 60
    portal.clock.advance(minutes=5)
    Chain(portal).run("run-1")
    last = portal.container.ledger.history.of(contact_id).score_changes[-1]
    assert (last.fit, last.cause, last.signal_at, last.at) == (60, "rescore", None, portal.clock.now)


def test_a_rejection_records_the_recycle_as_the_cause_with_the_lead_status_change_as_its_trigger(
    portal: Portal,
) -> None:
    contact_id = portal.lead("anna.keller@kessler.de")
    portal.converts(contact_id, *MQL)
    portal.drain()
    portal.clock.advance(hours=1)
    rejected_at = portal.clock.now
    portal.changed(contact_id, hs_lead_status="BAD_TIMING")
    portal.clock.advance(seconds=30)
    portal.drain()
    last = portal.container.ledger.handovers.transitions_of(contact_id)[-1]
    assert (last.from_stage, last.to_stage, last.cycle, last.engagement) == ("mql", None, 2, 0)
    assert (last.cause, last.signal_at) == ("recycle", rejected_at)

"""The decay sweep on the in-memory HubSpot: scores that change by time alone are re-assessed and written without
any webhook — engagement decaying, an MQL dropping out, an SQL's demo request leaving its 30-day window — and a
contact is handed over once per cycle however often it drops out of a stage and comes back."""

from __future__ import annotations

from datetime import datetime, timedelta

from app.rules import assess
from app.sync.scoring.sweep import SweepContext, sweep_decay
from tests.integration.sync.conftest import MQL, Portal

# 3 whitepapers (15, the cap) + 2 webinar registrations (16) + a demo request (10) = 41: still 32 after 30 days of
# decay, so the SQL ends when its demo request leaves the 30-day window, not by decay.
STRONG_SQL = ("Whitepaper: A", "Whitepaper: B", "Whitepaper: C", "Webinar: One", "Webinar: Two", "Request a demo")


def next_change(portal: Portal, contact_id: str) -> datetime | None:
    state = portal.container.ledger.contacts.states_of([contact_id])[contact_id]
    return state.next_change_at


def sweep(portal: Portal) -> int:
    return sweep_decay(portal.container.provide(SweepContext)).due


def truth(portal: Portal, contact_id: str) -> tuple[str, str]:
    """What `leadflow assess --at now` says of the contact's ledger data: (engagement, stage)."""
    container = portal.container
    events = container.ledger.contacts.engagements_of([contact_id])[contact_id]
    contact = portal.contact(contact_id)
    company = portal.hubspot.get("company", contact["associatedcompanyid"])
    assessment = assess(container.model, contact, company, events, portal.clock())
    return str(assessment.engagement), assessment.stage or ""


def shown(portal: Portal, contact_id: str) -> tuple[str, str]:
    contact = portal.contact(contact_id)
    return contact["leadflow_engagement_score"], contact.get("leadflow_stage") or ""


def test_nothing_is_due_until_the_moment_and_the_sweep_asks_hubspot_nothing(portal: Portal) -> None:
    contact_id = portal.lead("anna.keller@kessler.de")
    portal.converts(contact_id, *MQL)
    portal.drain()
    moment = next_change(portal, contact_id)
    assert moment is not None and moment > portal.clock()
    portal.hubspot.calls.clear()
    portal.clock.now = moment - timedelta(seconds=1)
    assert sweep(portal) == 0
    assert portal.container.worklist.dirty_count() == 0
    portal.clock.now = moment
    assert sweep(portal) == 1
    assert portal.container.worklist.dirty_count() == 1
    assert portal.hubspot.request_counts() == {}  # finding the due contacts is the ledger's work alone


def test_an_mql_by_recent_events_drops_out_with_no_webhook(portal: Portal) -> None:
    contact_id = portal.lead("anna.keller@kessler.de")
    portal.converts(contact_id, *MQL)  # 5 + 10 = 15: MQL at engagement 15
    portal.drain()
    assert shown(portal, contact_id) == ("15", "mql")
    moment = next_change(portal, contact_id)
    assert moment is not None
    # 15 × 0.5^(d/90) < 14.5 after 4.4 days: engagement 14, below the MQL threshold.
    assert timedelta(days=4.3) < moment - portal.clock() < timedelta(days=4.5)
    portal.clock.now = moment
    assert sweep(portal) == 1
    report = portal.drain()
    assert report.written == 1
    assert shown(portal, contact_id) == truth(portal, contact_id) == ("14", "")
    stages = [(t.from_stage, t.to_stage) for t in portal.container.ledger.handovers.transitions_of(contact_id)]
    assert stages == [(None, "mql"), ("mql", None)]


def test_an_mql_that_comes_back_in_the_same_cycle_is_not_handed_over_again(portal: Portal) -> None:
    contact_id = portal.lead("anna.keller@kessler.de")
    portal.converts(contact_id, *MQL)
    portal.drain()
    portal.clock.now = next_change(portal, contact_id) or portal.clock()
    sweep(portal)
    portal.drain()
    assert shown(portal, contact_id)[1] == ""
    portal.converts(contact_id, "Whitepaper: Retrofit")  # back to MQL with a new download
    portal.drain()
    assert shown(portal, contact_id)[1] == "mql"
    (handover,) = portal.container.ledger.handovers.of_contacts([contact_id])[contact_id]
    assert handover.stage == "mql"
    assert len(portal.hubspot.records["task"]) == 1
    stages = [(t.from_stage, t.to_stage) for t in portal.container.ledger.handovers.transitions_of(contact_id)]
    assert stages == [(None, "mql"), ("mql", None), (None, "mql")]


def test_an_sql_whose_demo_request_leaves_the_window_becomes_mql_and_keeps_its_owner(portal: Portal) -> None:
    contact_id = portal.lead("jonas.meier@pumpen.de", phone="+49 30 5550")
    portal.converts(contact_id, *STRONG_SQL)
    demo_at = portal.clock() - timedelta(seconds=1)
    portal.drain()
    assert shown(portal, contact_id)[1] == "sql"
    owner = portal.contact(contact_id)["hubspot_owner_id"]
    sweeps = 0
    while shown(portal, contact_id)[1] == "sql":
        moment = next_change(portal, contact_id)
        assert moment is not None and sweeps < 40
        portal.clock.now = moment
        assert sweep(portal) == 1
        portal.drain()
        sweeps += 1
        assert shown(portal, contact_id) == truth(portal, contact_id)
    # The stage changed exactly when the window closed (to the second), and never before it.
    assert demo_at + timedelta(days=30) < portal.clock() <= demo_at + timedelta(days=30, seconds=2)
    assert shown(portal, contact_id)[1] == "mql"
    (handover,) = portal.container.ledger.handovers.of_contacts([contact_id])[contact_id]
    assert handover.stage == "sql"  # no MQL handover after the SQL one in the same cycle
    assert portal.contact(contact_id)["hubspot_owner_id"] == owner
    assert len(portal.hubspot.records["task"]) == 1
    assert [t.to_stage for t in portal.container.ledger.handovers.transitions_of(contact_id)] == ["sql", "mql"]


def test_values_never_lag_the_truth_by_more_than_a_sweep_and_a_drain(portal: Portal) -> None:
    """Follow a strong SQL until its engagement has decayed to 0 (about 570 days): before each change and one sweep
    interval after it, HubSpot shows what assess says now."""
    contact_id = portal.lead("anna.keller@kessler.de")
    portal.converts(contact_id, *STRONG_SQL)
    portal.drain()
    interval = timedelta(seconds=portal.container.settings.decay_sweep_seconds)
    end = portal.clock() + timedelta(days=1000)
    checked = 0
    while portal.clock() < end:
        moment = next_change(portal, contact_id)
        if moment is None:
            break
        # Jump to the last sweep before the change: still true; then the sweep at or after it.
        portal.clock.now = max(portal.clock(), moment - interval)
        sweep(portal)
        portal.drain()
        assert shown(portal, contact_id) == truth(portal, contact_id)
        portal.clock.now = moment + interval - timedelta(seconds=1)
        assert sweep(portal) == 1
        portal.drain()
        assert shown(portal, contact_id) == truth(portal, contact_id)
        checked += 1
    assert checked > 40
    assert shown(portal, contact_id) == truth(portal, contact_id) == ("0", "")
    assert next_change(portal, contact_id) is None

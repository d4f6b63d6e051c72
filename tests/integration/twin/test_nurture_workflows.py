"""The portal's nurture workflows and the buyers' reactions, against a real twin: a change of the nurture step sends
that step's email once (as HubSpot's workflow re-enrollment works), buyers react by persona at the planned moments
through the usual actions, and their reactions leave the twin as HubSpot's webhooks.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from hubspot_twin import Twin
from hubspot_twin.crm.changes import Change, integration
from hubspot_twin.crm.timestamps import parse_instant
from hubspot_twin.simulator import SeededPortal, SimClock, Simulation, SimulationReport, seed_portal
from hubspot_twin.simulator.actions import EMAIL, FORM
from hubspot_twin.simulator.reactions import CONTENT, plan_reactions
from hubspot_twin.simulator.workflows import NURTURE_STEP, NURTURE_STEP_AT, NurtureWorkflows, workflow_source
from hubspot_twin.webhooks.delivery import RetrySchedule
from hubspot_twin.webhooks.dispatch import DispatchOptions, WebhookDispatcher
from hubspot_twin.webhooks.subscriptions import Subscription, WebhookSettings
from tests.integration.twin.test_webhook_delivery import Receiver
from tests.support.app import APP_ID, CLIENT_SECRET

START = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)
LEADFLOW = integration(APP_ID)  # Leadflow writes the step through the API, as its app
STEP_PROPERTY = {
    "name": NURTURE_STEP,
    "label": "Nurture step",
    "type": "enumeration",
    "fieldType": "select",
    "groupName": "contactinformation",
    "options": [{"label": c, "value": c} for c in (*CONTENT, "company-news")],
}
STEP_AT_PROPERTY = {
    "name": NURTURE_STEP_AT,
    "label": "Nurture step at",
    "type": "datetime",
    "fieldType": "date",
    "groupName": "contactinformation",
}


@pytest.fixture
def clock() -> SimClock:
    return SimClock(START)


@pytest.fixture
def twin(clock: SimClock) -> Twin:
    """A fresh twin on simulated time (replaces the package's served twin: nothing here needs HTTP)."""
    return Twin(clock=clock)


@pytest.fixture(autouse=True)
def step_property(twin: Twin, fresh_portal: None) -> None:
    """Create Leadflow's step properties, as `leadflow setup` does (after the package's reset of the portal)."""
    twin.create_property("contacts", STEP_PROPERTY)
    twin.create_property("contacts", STEP_AT_PROPERTY)


@pytest.fixture
def workflows(twin: Twin) -> Iterator[NurtureWorkflows]:
    running = NurtureWorkflows(twin.feed)
    yield running
    running.close()


@pytest.fixture
def changes(twin: Twin) -> Iterator[list[Change]]:
    seen: list[Change] = []
    unsubscribe = twin.feed.subscribe(seen.append)
    yield seen
    unsubscribe()


def millis(moment: datetime) -> str:
    return str(int(moment.timestamp() * 1000))


def stored_instant(twin: Twin, contact_id: str, name: str) -> datetime:
    return parse_instant(twin.get_object("contacts", contact_id)[name])


def test_a_step_change_sends_its_email_once_as_the_workflow_and_the_same_value_again_sends_nothing(
    twin: Twin, clock: SimClock, workflows: NurtureWorkflows, changes: list[Change]
) -> None:
    contact = twin.create_object("contacts", {"email": "ada@example.com"})
    twin.update_object("contacts", contact, {NURTURE_STEP: "checklist"}, source=LEADFLOW)
    assert [(s.contact_id, s.content, s.at) for s in workflows.send_enrolled(twin)] == [(contact, "checklist", START)]
    stored = twin.get_object("contacts", contact)
    assert (stored["hs_email_last_email_name"], stored["hs_email_delivered"]) == ("checklist", "1")
    assert stored_instant(twin, contact, "hs_email_last_send_date") == START
    sent = [c for c in changes if "hs_email_last_send_date" in c.properties]
    assert [c.source for c in sent] == [workflow_source("checklist")]
    assert sent[0].source.change_source == "AUTOMATION_PLATFORM"
    assert workflows.send_enrolled(twin) == []  # each change sends once

    clock.set(START + timedelta(days=1))
    twin.update_object("contacts", contact, {NURTURE_STEP: "checklist"}, source=LEADFLOW)  # no change
    twin.update_object("contacts", contact, {NURTURE_STEP: ""}, source=LEADFLOW)  # cleared: no workflow
    assert workflows.send_enrolled(twin) == []
    assert twin.get_object("contacts", contact)["hs_email_delivered"] == "1"

    clock.set(START + timedelta(days=6))
    twin.update_object("contacts", contact, {NURTURE_STEP: "webinar-invite"}, source=LEADFLOW)
    assert [s.content for s in workflows.send_enrolled(twin)] == ["webinar-invite"]
    stored = twin.get_object("contacts", contact)
    assert (stored["hs_email_last_email_name"], stored["hs_email_delivered"]) == ("webinar-invite", "2")
    assert stored_instant(twin, contact, "hs_email_last_send_date") == START + timedelta(days=6)


def test_a_new_step_time_re_enrolls_the_contact_in_its_steps_workflow_and_one_write_of_both_enrolls_once(
    twin: Twin, clock: SimClock, workflows: NurtureWorkflows
) -> None:
    contact = twin.create_object("contacts", {"email": "ada@example.com"})
    offer = {NURTURE_STEP: "checklist", NURTURE_STEP_AT: millis(START)}
    twin.update_object("contacts", contact, offer, source=LEADFLOW)
    assert [s.content for s in workflows.send_enrolled(twin)] == ["checklist"]  # one write of both: one email
    twin.update_object("contacts", contact, offer, source=LEADFLOW)  # the same values again: nothing
    assert workflows.send_enrolled(twin) == []
    clock.set(START + timedelta(days=2))
    twin.update_object("contacts", contact, {NURTURE_STEP_AT: millis(clock())}, source=LEADFLOW)
    assert [(s.content, s.at) for s in workflows.send_enrolled(twin)] == [("checklist", clock())]  # re-enrolled
    assert twin.get_object("contacts", contact)["hs_email_delivered"] == "2"
    other = twin.create_object("contacts", {"email": "bob@example.com"})
    twin.update_object("contacts", other, {NURTURE_STEP_AT: millis(clock())}, source=LEADFLOW)
    assert workflows.send_enrolled(twin) == []  # a time without a step: no workflow's trigger holds


def test_a_contact_created_with_a_step_is_enrolled_and_each_contact_gets_its_own_email(
    twin: Twin, workflows: NurtureWorkflows
) -> None:
    first = twin.create_object("contacts", {"email": "a@example.com", NURTURE_STEP: "roi-calculator"})
    second = twin.create_object("contacts", {"email": "b@example.com"})
    twin.update_object("contacts", second, {NURTURE_STEP: "roi-calculator"}, source=LEADFLOW)
    twin.update_object("contacts", second, {"jobtitle": "CTO"}, source=LEADFLOW)  # another property: nothing
    assert sorted(s.contact_id for s in workflows.send_enrolled(twin)) == sorted([first, second])


def test_an_unsubscribed_contact_gets_no_nurture_email(twin: Twin, workflows: NurtureWorkflows) -> None:
    contact = twin.create_object("contacts", {"email": "ada@example.com"})
    twin.update_object("contacts", contact, {"hs_email_optout": "true"}, system=True, source=EMAIL)
    twin.update_object("contacts", contact, {NURTURE_STEP: "checklist"}, source=LEADFLOW)
    assert workflows.send_enrolled(twin) == []
    assert "hs_email_last_send_date" not in twin.get_object("contacts", contact)


def test_a_closed_workflow_enrolls_no_one(twin: Twin, workflows: NurtureWorkflows) -> None:
    workflows.close()
    contact = twin.create_object("contacts", {"email": "ada@example.com"})
    twin.update_object("contacts", contact, {NURTURE_STEP: "checklist"}, source=LEADFLOW)
    assert workflows.send_enrolled(twin) == []


# In a run ------------------------------------------------------------------------------------------------------


def nurture_run(
    twin: Twin, clock: SimClock, portal: SeededPortal, content: str, days: int = 4
) -> tuple[SimulationReport, datetime]:
    """Run `days`; at the first tick's end write `content` to every contact, as Leadflow's nurture would."""
    simulation = Simulation(twin, clock, portal, days=days)
    written: list[datetime] = []

    def after_tick(tick: int) -> None:
        if tick == 0:
            written.append(clock())
            for contact in portal.contacts:
                twin.update_object("contacts", contact.id, {NURTURE_STEP: content}, source=LEADFLOW)

    return simulation.run(after_tick), written[0]


def test_in_a_run_each_buyer_reacts_at_the_planned_moments_through_the_usual_actions(
    twin: Twin, clock: SimClock, changes: list[Change]
) -> None:
    portal = seed_portal(twin, 30, seed=5)
    report, written = nurture_run(twin, clock, portal, "checklist")
    opted_out_before = {
        c.object_id for c in changes if "hs_email_optout" in c.properties and c.occurred_at_ms <= int(millis(written))
    }
    assert report.nurture.sent["checklist"] == len(portal.contacts) - len(opted_out_before) > 20
    expected: Counter[tuple[str, str]] = Counter()
    for contact in portal.contacts:
        if contact.id in opted_out_before:
            continue
        for reaction in plan_reactions(contact, "checklist", written, portal.seed):
            if reaction.at >= START + timedelta(days=4):
                continue
            source = FORM if reaction.reaction == "action" else EMAIL
            at = int(millis(reaction.at))
            played = [c for c in changes if c.object_id == contact.id and c.occurred_at_ms == at]
            assert [c.source for c in played] == [source], (contact.persona.name, reaction)
            expected["checklist", reaction.reaction] += 1
    assert report.nurture.reactions == expected
    assert expected["checklist", "action"] > 0 and expected["checklist", "open"] > 0
    times = [change.occurred_at_ms for change in changes]
    assert times == sorted(times)  # reactions were played among the planned actions, in time order


def test_the_same_seed_plays_the_same_reactions() -> None:
    outcomes = []
    for _ in range(2):
        clock = SimClock(START)
        twin = Twin(clock=clock)
        twin.create_property("contacts", STEP_PROPERTY)
        twin.create_property("contacts", STEP_AT_PROPERTY)
        portal = seed_portal(twin, 20, seed=9)
        report, _ = nurture_run(twin, clock, portal, "webinar-invite")
        outcomes.append((twin.live_objects("contacts"), report.nurture))
    assert outcomes[0] == outcomes[1]
    assert outcomes[0][1].reactions["webinar-invite", "action"] > 0


def test_reactions_reach_a_subscriber_as_hubspots_webhooks(twin: Twin, clock: SimClock) -> None:
    portal = seed_portal(twin, 20, seed=5)
    subscriptions = tuple(
        Subscription("contact.propertyChange", name)
        for name in ("hs_email_last_send_date", "hs_email_last_click_date", "recent_conversion_date")
    )
    with Receiver() as receiver:
        settings = WebhookSettings(receiver.url, CLIENT_SECRET, int(APP_ID), 62515, subscriptions=subscriptions)
        retry = RetrySchedule.compressed(total_s=2.0)
        dispatcher = WebhookDispatcher(twin.feed, settings, DispatchOptions(retry=retry)).start()
        try:
            report, written = nurture_run(twin, clock, portal, "checklist")
            assert dispatcher.wait_idle(timeout=10)
        finally:
            dispatcher.stop(drain=False)
    events = {(str(e["objectId"]), e["propertyName"], e["occurredAt"]): e for e in receiver.events()}
    sends = [e for e in events.values() if e["propertyName"] == "hs_email_last_send_date"]
    assert len(sends) == report.nurture.sent["checklist"] > 0
    assert {(e["changeSource"], e["occurredAt"]) for e in sends} == {("AUTOMATION_PLATFORM", int(millis(written)))}
    end = START + timedelta(days=4)
    planned = [
        (contact.id, reaction)
        for contact in portal.contacts
        if (contact.id, "hs_email_last_send_date", int(millis(written))) in events
        for reaction in plan_reactions(contact, "checklist", written, portal.seed)
        if reaction.at < end and reaction.reaction != "open"
    ]
    assert any(reaction.reaction == "action" for _, reaction in planned)
    for contact_id, reaction in planned:
        name = "recent_conversion_date" if reaction.reaction == "action" else "hs_email_last_click_date"
        event = events[contact_id, name, int(millis(reaction.at))]
        assert event["changeSource"] == ("FORM" if reaction.reaction == "action" else "EMAIL")
        assert event["propertyValue"] == reaction.at.isoformat(timespec="milliseconds").replace("+00:00", "Z")

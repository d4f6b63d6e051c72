"""The buyer-journey simulator against a real twin: a seeded portal, buyers' actions written the way HubSpot's own
processes write them, a run on simulated time, the sales team reacting to tasks and deals, and the change gate.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from app.rules import assess, load_scoring_model
from hubspot_twin import Twin
from hubspot_twin.crm.changes import CRM_UI, Change, ChangeFeed, ChangeSource
from hubspot_twin.crm.pipelines import StageSpec
from hubspot_twin.crm.timestamps import iso, parse_instant
from hubspot_twin.simulator import SeededPortal, SimClock, Simulation, seed_portal
from hubspot_twin.simulator.actions import ANALYTICS, EMAIL, FORM, FORMS, PRICING_URLS, TITLES, apply_action
from hubspot_twin.simulator.gate import ChangeGate
from hubspot_twin.simulator.personas import Persona
from hubspot_twin.simulator.portal import FREE_MAIL, SimContact
from hubspot_twin.simulator.reps import FIELD_TEAMS, after_working_hours
from hubspot_twin.simulator.sales import ACCEPTED, HANDOVER_KEY, LOST_REASONS, REJECTED, SalesActivity, SalesTeam
from tests.conftest import CONFIG_DIR

START = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)
SEED = 5
CONTACTS = 40
TASK_TO_CONTACT = 204
DEAL_TO_CONTACT = 3


def start_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


@pytest.fixture
def clock() -> SimClock:
    return SimClock(START)


@pytest.fixture
def twin(clock: SimClock) -> Twin:
    """Return a fresh twin on simulated time (replaces the package's served twin: nothing here needs HTTP)."""
    return Twin(clock=clock)


@pytest.fixture
def portal(twin: Twin) -> SeededPortal:
    return seed_portal(twin, CONTACTS, SEED)


@pytest.fixture
def changes(twin: Twin) -> Iterator[list[Change]]:
    """Record every change published from now on."""
    seen: list[Change] = []
    unsubscribe = twin.feed.subscribe(seen.append)
    yield seen
    unsubscribe()


def seeded(seed: int, contacts: int = CONTACTS) -> tuple[Twin, SimClock, SeededPortal]:
    clock = SimClock(START)
    twin = Twin(clock=clock)
    return twin, clock, seed_portal(twin, contacts, seed)


def with_persona(portal: SeededPortal, contact: SimContact, **changes: Any) -> SeededPortal:
    """Return the portal with one contact's persona changed (e.g. `accept_rate=1.0`)."""
    persona: Persona = replace(contact.persona, **changes)
    others = [c for c in portal.contacts if c.id != contact.id]
    return SeededPortal(portal.seed, portal.owners, portal.companies, [*others, replace(contact, persona=persona)])


def first_of(portal: SeededPortal, persona: str) -> SimContact:
    return next(contact for contact in portal.contacts if contact.persona.name == persona)


def rep(twin: Twin, owner_id: str) -> ChangeSource:
    """Return the source HubSpot reports for a change by the user behind an owner (`userId:<user id>`)."""
    user_id = next(owner["userId"] for owner in twin.owners() if owner["id"] == owner_id)
    return ChangeSource("CRM_UI", f"userId:{user_id}")


def hand_over(twin: Twin, owner_id: str, contact_id: str) -> str:
    """Create what Leadflow creates on a handover: a call task for an owner, associated with the contact."""
    values = {
        "hs_timestamp": iso(START + timedelta(days=1)),
        "hs_task_subject": "Call the lead",
        "hs_task_type": "CALL",
        "hubspot_owner_id": owner_id,
    }
    link = {
        "to": {"id": contact_id},
        "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": TASK_TO_CONTACT}],
    }
    return twin.create_object("tasks", values, associations=[link])


def open_deal(twin: Twin, owner_id: str, contact_id: str) -> str:
    """Create a deal in the default pipeline for an owner, associated with the contact."""
    values = {
        "dealname": "Pilot",
        "pipeline": "default",
        "dealstage": "appointmentscheduled",
        "hubspot_owner_id": owner_id,
    }
    link = {
        "to": {"id": contact_id},
        "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": DEAL_TO_CONTACT}],
    }
    return twin.create_object("deals", values, associations=[link])


def play_at(sales: SalesTeam, clock: SimClock, moment: datetime) -> None:
    clock.set(moment)
    sales.play(moment)


# The seeded portal -------------------------------------------------------------------------------------------


def test_the_same_seed_seeds_the_same_companies_contacts_and_owners() -> None:
    (first, _, portal), (second, _, again) = seeded(11), seeded(11)
    for object_type in ("companies", "contacts"):
        assert first.live_objects(object_type) == second.live_objects(object_type)
    assert first.owners() == second.owners()
    assert first.owners(archived=True) == second.owners(archived=True)
    assert [c.persona.name for c in portal.contacts] == [c.persona.name for c in again.contacts]
    other, _, _ = seeded(12)
    assert [p for _, _, p in other.live_objects("contacts")] != [p for _, _, p in first.live_objects("contacts")]


def test_a_seeded_portal_has_the_contacts_asked_for_and_a_few_companies_each(twin: Twin, portal: SeededPortal) -> None:
    assert len(twin.live_objects("contacts")) == len(portal.contacts) == CONTACTS
    assert len(portal.companies) == CONTACTS // 3
    assert len(twin.live_objects("companies")) == len(portal.companies) + 2  # and two competitors


def test_the_sales_reps_sit_in_teams_beside_one_archived_former_rep(twin: Twin, portal: SeededPortal) -> None:
    active = twin.owners()
    assert [owner["id"] for owner in active] == [owner.id for owner in portal.owners]
    assert all(len(owner["teams"]) == 1 and owner["teams"][0]["primary"] for owner in active)
    teams = {"DACH", "International", "Sales leadership", "Marketing operations"}
    assert {owner["teams"][0]["name"] for owner in active} == teams
    assert {owner.team for owner in portal.owners} == teams
    assert sum(owner.team in ("DACH", "International") for owner in portal.owners) == 6
    (former,) = twin.owners(archived=True)
    assert former["archived"] is True
    assert former["userId"] is None
    assert former["id"] not in {owner.id for owner in portal.owners}


def test_seeded_contacts_are_as_untidy_as_a_real_portal(twin: Twin, portal: SeededPortal) -> None:
    stored = {contact_id: properties for contact_id, _, properties in twin.live_objects("contacts")}
    domains = [properties["email"].split("@")[1] for properties in stored.values()]
    assert 0 < sum(domain in FREE_MAIL for domain in domains) < len(domains)
    assert 0 < sum("phone" not in properties for properties in stored.values()) < len(stored)
    without_company = [contact for contact in portal.contacts if contact.company is None]
    assert 0 < len(without_company) < len(portal.contacts)
    for contact in without_company:
        assert twin.primary_company_id(contact.id) is None
        assert stored[contact.id].get("associatedcompanyid") is None
    assert all(contact.company is None for contact in portal.contacts if contact.persona.name == "student")


def test_existing_customers_are_customers_and_no_one_else_is(twin: Twin, portal: SeededPortal) -> None:
    customers = [contact for contact in portal.contacts if contact.persona.customer]
    assert customers
    for contact in portal.contacts:
        stage = twin.get_object("contacts", contact.id).get("lifecyclestage")
        assert stage == ("customer" if contact.persona.customer else None), contact.persona.name


def test_every_contact_with_a_company_has_it_as_its_primary_company(twin: Twin, portal: SeededPortal) -> None:
    employed = [contact for contact in portal.contacts if contact.company is not None]
    assert employed
    for contact in employed:
        assert contact.company is not None
        assert twin.primary_company_id(contact.id) == contact.company.id
        properties = twin.get_object("contacts", contact.id)
        assert properties["associatedcompanyid"] == contact.company.id
        assert properties["company"] == contact.company.name


# Buyers' actions ----------------------------------------------------------------------------------------------


@pytest.fixture
def buyer(twin: Twin) -> str:
    return twin.create_object("contacts", {"email": "ada@example.com", "firstname": "Ada"})


def act(twin: Twin, clock: SimClock, contact_id: str, action: str, moment: datetime) -> bool:
    """Play one action at `moment` as the simulation does: the twin's clock first, then the action."""
    clock.set(moment)
    return apply_action(twin, contact_id, action, moment, random.Random(action))


@pytest.mark.parametrize("form", sorted(FORMS))
def test_a_form_submission_writes_the_conversion_as_hubspots_forms_do(
    twin: Twin, clock: SimClock, buyer: str, changes: list[Change], form: str
) -> None:
    at = START + timedelta(hours=3)
    assert act(twin, clock, buyer, form, at)
    properties = twin.get_object("contacts", buyer)
    titles = {FORMS[form].format(title) for title in TITLES[form]}
    assert properties["recent_conversion_event_name"] in titles
    assert properties["recent_conversion_date"] == iso(at)
    assert properties["num_conversion_events"] == "1"
    (change,) = changes
    assert (change.kind, change.object_id, change.source) == ("updated", buyer, FORM)
    assert change.occurred_at_ms == start_ms(at)
    assert change.source.change_source == "FORM"


def test_each_form_submission_counts_and_the_latest_names_the_conversion(
    twin: Twin, clock: SimClock, buyer: str, changes: list[Change]
) -> None:
    act(twin, clock, buyer, "whitepaper", START + timedelta(hours=1))
    later = START + timedelta(days=2)
    assert act(twin, clock, buyer, "demo_request", later)
    properties = twin.get_object("contacts", buyer)
    assert properties["recent_conversion_event_name"] == "Request a demo"
    assert properties["recent_conversion_date"] == iso(later)
    assert properties["num_conversion_events"] == "2"
    assert [change.source for change in changes] == [FORM, FORM]
    assert changes[-1].properties == {
        "recent_conversion_event_name": "Request a demo",
        "recent_conversion_date": iso(later),
        "num_conversion_events": "2",
    }


def test_a_marketing_email_open_and_click_write_their_dates_from_the_email_tool(
    twin: Twin, clock: SimClock, buyer: str, changes: list[Change]
) -> None:
    opened, clicked = START + timedelta(hours=1), START + timedelta(hours=5)
    assert act(twin, clock, buyer, "newsletter_open", opened)
    assert changes[-1].properties == {"hs_email_last_open_date": iso(opened)}
    assert act(twin, clock, buyer, "newsletter_click", clicked)
    assert changes[-1].properties == {"hs_email_last_open_date": iso(clicked), "hs_email_last_click_date": iso(clicked)}
    assert [change.source for change in changes] == [EMAIL, EMAIL]
    assert EMAIL.change_source == "EMAIL"


def test_a_pricing_page_view_writes_the_last_url_and_counts_page_views_from_analytics(
    twin: Twin, clock: SimClock, buyer: str, changes: list[Change]
) -> None:
    assert act(twin, clock, buyer, "pricing_view", START + timedelta(hours=1))
    assert act(twin, clock, buyer, "pricing_view", START + timedelta(hours=2))
    properties = twin.get_object("contacts", buyer)
    assert properties["hs_analytics_last_url"] in PRICING_URLS
    assert properties["hs_analytics_num_page_views"] == "2"
    assert [change.source for change in changes] == [ANALYTICS, ANALYTICS]
    assert ANALYTICS.change_source == "ANALYTICS"
    assert changes[0].properties["hs_analytics_num_page_views"] == "1"


def test_after_an_opt_out_email_actions_are_refused_and_write_nothing(
    twin: Twin, clock: SimClock, buyer: str, changes: list[Change]
) -> None:
    assert act(twin, clock, buyer, "unsubscribe", START + timedelta(hours=1))
    assert twin.get_object("contacts", buyer)["hs_email_optout"] == "true"
    assert [(change.source, dict(change.properties)) for change in changes] == [(EMAIL, {"hs_email_optout": "true"})]
    before = twin.get_object("contacts", buyer)
    for action in ("newsletter_open", "newsletter_click"):
        assert act(twin, clock, buyer, action, START + timedelta(hours=2)) is False
    assert twin.get_object("contacts", buyer) == before
    assert len(changes) == 1
    assert act(twin, clock, buyer, "whitepaper", START + timedelta(hours=3))  # forms still reach an opted-out buyer


def test_an_unknown_action_is_refused_loudly(twin: Twin, clock: SimClock, buyer: str) -> None:
    with pytest.raises(ValueError, match="unknown action"):
        act(twin, clock, buyer, "tweet", START)


# A run on simulated time -------------------------------------------------------------------------------------


def test_a_run_publishes_its_changes_in_time_order_within_the_simulated_days(
    twin: Twin, clock: SimClock, portal: SeededPortal, changes: list[Change]
) -> None:
    report = Simulation(twin, clock, portal, days=21).run()
    times = [change.occurred_at_ms for change in changes]
    assert times
    assert times == sorted(times)
    assert start_ms(START) <= times[0]
    assert times[-1] <= start_ms(START + timedelta(days=21))
    assert clock() == START + timedelta(days=21)
    forms = sum(report.actions[name] for name in (*FORMS, "demo_request"))
    assert sum(change.source == FORM for change in changes) == forms
    assert sum(change.source == ANALYTICS for change in changes) == report.actions["pricing_view"]


def test_a_run_sends_no_email_to_a_buyer_after_the_opt_out(
    twin: Twin, clock: SimClock, portal: SeededPortal, changes: list[Change]
) -> None:
    report = Simulation(twin, clock, portal, days=21).run()
    opted_out = {
        change.object_id: index for index, change in enumerate(changes) if "hs_email_optout" in change.properties
    }
    assert opted_out
    assert report.skipped > 0  # with this seed, planned emails after an opt-out were dropped
    for index, change in enumerate(changes):
        if change.object_id in opted_out and index > opted_out[change.object_id]:
            assert "hs_email_last_open_date" not in change.properties


def test_after_tick_runs_once_per_tick_once_the_clock_reached_the_ticks_end(
    twin: Twin, clock: SimClock, portal: SeededPortal, changes: list[Change]
) -> None:
    seen: list[tuple[int, datetime, int]] = []

    def after_tick(tick: int) -> None:
        seen.append((tick, clock(), max((change.occurred_at_ms for change in changes), default=0)))

    simulation = Simulation(twin, clock, portal, days=5, ticks_per_day=3)
    simulation.run(after_tick)
    step = timedelta(hours=8)
    assert [(tick, moment) for tick, moment, _ in seen] == [(n, START + step * (n + 1)) for n in range(15)]
    assert all(latest <= start_ms(moment) for _, moment, latest in seen)
    assert simulation.ticks == 15


def test_the_same_seed_plays_the_same_run() -> None:
    finals = []
    for _ in range(2):
        twin, clock, portal = seeded(SEED)
        report = Simulation(twin, clock, portal, days=14).run()
        finals.append((twin.live_objects("contacts"), report.actions, report.skipped))
    assert finals[0] == finals[1]
    twin, clock, portal = seeded(SEED)
    Simulation(twin, clock, portal, days=14, seed=SEED + 1).run()
    assert twin.live_objects("contacts") != finals[0][0]


# The sales team ----------------------------------------------------------------------------------------------


def field_rep(sales: SalesTeam, portal: SeededPortal, pace: str, *, away: bool = False) -> str:
    """Return a field rep of this pace (`away`: the one on holiday)."""
    field = {owner.id for owner in portal.owners if owner.team in FIELD_TEAMS}
    profiles = sorted(sales.profiles.items())
    return next(o for o, p in profiles if o in field and p.pace == pace and (p.away is not None) == away)


def test_a_rep_does_nothing_before_the_response_delay(
    twin: Twin, clock: SimClock, portal: SeededPortal, changes: list[Change]
) -> None:
    student = first_of(portal, "student")
    sales = SalesTeam(twin, portal, SEED, deal_days=(5, 30))
    owner = field_rep(sales, portal, "fast")
    task = hand_over(twin, owner, student.id)
    deal = open_deal(twin, owner, student.id)
    changes.clear()
    play_at(sales, clock, START + timedelta(minutes=29))  # a fast rep answers in half an hour at the earliest
    assert changes == []
    assert sales.activity == SalesActivity()
    play_at(sales, clock, START + timedelta(days=4, hours=23))  # the task is worked by now, the deal still open
    assert twin.get_object("deals", deal)["dealstage"] == "appointmentscheduled"
    assert {change.object_type for change in changes} - {"calls", "emails"} == {"tasks", "contacts"}
    assert twin.get_object("tasks", task)["hs_task_status"] == "COMPLETED"


def test_a_rep_touches_the_lead_then_works_the_task_and_rejects_a_student_as_the_rep_in_hubspots_ui(
    twin: Twin, clock: SimClock, portal: SeededPortal, changes: list[Change]
) -> None:
    student = first_of(portal, "student")
    sales = SalesTeam(twin, portal, SEED)
    owner = field_rep(sales, portal, "fast")
    task = hand_over(twin, owner, student.id)
    play_at(sales, clock, START + timedelta(minutes=29))
    assert twin.get_object("tasks", task).get("hs_task_status") != "COMPLETED"
    assert twin.get_object("contacts", student.id).get("hs_lead_status") is None
    changes.clear()
    play_at(sales, clock, START + timedelta(hours=36))
    worked = twin.get_object("tasks", task)
    assert worked["hs_task_status"] == "COMPLETED"
    assert worked["hs_task_completion_date"] == iso(START + timedelta(hours=36))
    status = twin.get_object("contacts", student.id)["hs_lead_status"]
    assert status in REJECTED
    (kind,) = sales.activity.touches
    (engagement,) = twin.associated_ids("contacts", student.id, kind)
    assert [(c.object_type, c.object_id, c.source) for c in changes if c.object_type in ("tasks", "contacts")][-2:] == [
        ("tasks", task, rep(twin, owner)),
        ("contacts", student.id, rep(twin, owner)),
    ]
    assert changes[0].object_type == kind and changes[0].source == rep(twin, owner)  # the touch came first
    assert (sales.activity.tasks_worked, sales.activity.accepted, sales.activity.rejected) == (1, 0, 1)
    assert sales.activity.outcomes == {student.id: status}
    play_at(sales, clock, START + timedelta(days=3))  # a completed task is not worked again, the lead not touched
    assert sales.activity.tasks_worked == 1 and sum(sales.activity.touches.values()) == 1
    assert twin.associated_ids("contacts", student.id, kind) == [engagement]


def touches_of(twin: Twin, contact_id: str) -> list[dict[str, str]]:
    """Return the calls and e-mails logged on a contact."""
    found = []
    for kind in ("calls", "emails"):
        found += [twin.get_object(kind, i) for i in twin.associated_ids("contacts", contact_id, kind)]
    return found


def touched_at(entry: dict[str, str]) -> datetime:
    stamp = parse_instant(entry["hs_timestamp"])
    assert stamp is not None
    return stamp


def test_the_first_touch_is_dated_when_the_rep_made_it_in_working_hours_not_when_the_tick_ended(
    twin: Twin, clock: SimClock, portal: SeededPortal
) -> None:
    contact = portal.contacts[0]
    sales = SalesTeam(twin, portal, SEED)
    owner = field_rep(sales, portal, "fast")
    hand_over(twin, owner, contact.id)
    play_at(sales, clock, START + timedelta(hours=12))  # Tuesday 22:00 in Berlin: the tick's end
    (entry,) = touches_of(twin, contact.id)
    assert entry["hubspot_owner_id"] == owner
    assert START + timedelta(minutes=30) <= touched_at(entry) <= START + timedelta(hours=4)  # 10:30 to 14:00
    assert entry.get("hs_email_direction") in (None, "EMAIL")


def test_a_slow_rep_has_not_touched_after_a_working_day_and_touches_later(
    twin: Twin, clock: SimClock, portal: SeededPortal
) -> None:
    contact = portal.contacts[0]
    sales = SalesTeam(twin, portal, SEED)
    hand_over(twin, field_rep(sales, portal, "slow"), contact.id)
    play_at(sales, clock, START + timedelta(hours=20))  # Wednesday 06:00 in Berlin: 7 working hours later
    assert touches_of(twin, contact.id) == []
    play_at(sales, clock, START + timedelta(days=9))
    (entry,) = touches_of(twin, contact.id)
    assert touched_at(entry) >= START + timedelta(days=1)  # at least 8 working hours: Wednesday 10:00


def open_lead(twin: Twin, owner_id: str, contact_id: str, stage: str = "new-stage-id") -> str:
    """Create a Lead for the contact as Leadflow does at a handover (with its primary contact, 578)."""
    link = {"to": {"id": contact_id}, "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 578}]}
    values = {"hs_lead_name": "Lead", "hubspot_owner_id": owner_id, "hs_pipeline_stage": stage}
    return twin.create_object("leads", values, associations=[link])


def test_a_rep_moves_the_contacts_open_lead_to_attempting_on_the_touch_and_disqualifies_it_on_rejection(
    twin: Twin, clock: SimClock, portal: SeededPortal
) -> None:
    student = first_of(portal, "student")
    sales = SalesTeam(twin, portal, SEED)
    owner = field_rep(sales, portal, "fast")
    lead = open_lead(twin, owner, student.id)
    earlier = open_lead(twin, owner, student.id, stage="qualified-stage-id")  # an earlier cycle's, closed
    hand_over(twin, owner, student.id)

    play_at(sales, clock, START + timedelta(hours=36))

    status = twin.get_object("contacts", student.id)["hs_lead_status"]
    assert [value for _, value in twin.history("leads", lead, "hs_pipeline_stage")] == [
        "new-stage-id",
        "attempting-stage-id",
        "unqualified-stage-id",
    ]
    reason = twin.get_object("leads", lead)["hs_lead_disqualification_reason"]
    assert reason == {"UNQUALIFIED": "NOT_A_GOOD_FIT", "BAD_TIMING": "BAD_TIMING"}[status]
    assert [value for _, value in twin.history("leads", earlier, "hs_pipeline_stage")] == ["qualified-stage-id"]


def test_a_rep_qualifies_the_lead_of_a_contact_they_accept(twin: Twin, clock: SimClock, portal: SeededPortal) -> None:
    contact = portal.contacts[0]
    portal = with_persona(portal, contact, accept_rate=1.0)
    sales = SalesTeam(twin, portal, SEED)
    owner = field_rep(sales, portal, "fast")
    lead = open_lead(twin, owner, contact.id)
    hand_over(twin, owner, contact.id)

    play_at(sales, clock, START + timedelta(hours=36))

    assert twin.get_object("contacts", contact.id)["hs_lead_status"] in ACCEPTED
    stored = twin.get_object("leads", lead)
    assert (stored["hs_pipeline_stage"], stored.get("hs_lead_disqualification_reason")) == ("qualified-stage-id", None)


def test_reps_work_tasks_in_a_portal_without_leads() -> None:
    clock = SimClock(START)
    twin = Twin(clock=clock, leads=False)
    portal = seed_portal(twin, 6, SEED)
    sales = SalesTeam(twin, portal, SEED)
    task = hand_over(twin, field_rep(sales, portal, "fast"), portal.contacts[0].id)

    play_at(sales, clock, START + timedelta(hours=36))

    assert twin.get_object("tasks", task)["hs_task_status"] == "COMPLETED"
    assert sales.activity.tasks_worked == 1


def test_a_rep_on_holiday_touches_nothing_until_back(twin: Twin, clock: SimClock, portal: SeededPortal) -> None:
    contact = portal.contacts[0]
    sales = SalesTeam(twin, portal, SEED, holiday=(START, 6))
    owner = field_rep(sales, portal, "fast", away=True)
    away = sales.profiles[owner].away
    assert away is not None
    clock.set(away[0])
    task = hand_over(twin, owner, contact.id)
    play_at(sales, clock, away[1] - timedelta(minutes=1))
    assert touches_of(twin, contact.id) == [] and sales.activity.tasks_worked == 0
    play_at(sales, clock, away[1] + timedelta(days=3))
    (entry,) = touches_of(twin, contact.id)
    assert touched_at(entry) >= away[1]
    assert twin.get_object("tasks", task)["hs_task_status"] == "COMPLETED"


def test_a_reassigned_task_is_new_to_its_new_owner_who_answers_from_when_they_got_it(
    twin: Twin, clock: SimClock, portal: SeededPortal
) -> None:
    contact = portal.contacts[0]
    sales = SalesTeam(twin, portal, SEED)
    slow, fast = field_rep(sales, portal, "slow"), field_rep(sales, portal, "fast")
    task = hand_over(twin, slow, contact.id)
    play_at(sales, clock, START + timedelta(hours=12))  # the slow rep has seen it and not touched it
    moved_at = START + timedelta(days=1, hours=2)  # Wednesday 12:00 in Berlin
    clock.set(moved_at)
    twin.update_object("tasks", task, {"hubspot_owner_id": fast})  # the SLA watch reassigns it
    play_at(sales, clock, moved_at + timedelta(minutes=29))
    assert touches_of(twin, contact.id) == []  # the old task is new to the fast rep: no instant answer
    play_at(sales, clock, START + timedelta(days=9))
    (entry,) = touches_of(twin, contact.id)  # only the new owner touched it
    assert entry["hubspot_owner_id"] == fast
    assert moved_at + timedelta(minutes=30) <= touched_at(entry) <= after_working_hours(moved_at, 4)


def test_an_escalation_task_is_completed_by_the_manager_without_touching_or_judging_the_lead(
    twin: Twin, clock: SimClock, portal: SeededPortal
) -> None:
    contact = portal.contacts[0]
    sales = SalesTeam(twin, portal, SEED)
    task = hand_over(twin, field_rep(sales, portal, "fast"), contact.id)
    key = {"name": HANDOVER_KEY, "label": "Leadflow handover", "type": "string", "fieldType": "text",
           "groupName": "task"}  # fmt: skip
    twin.create_property("tasks", key)
    twin.update_object("tasks", task, {HANDOVER_KEY: f"{contact.id}-sql-1-escalation"})
    later = hand_over(twin, field_rep(sales, portal, "fast"), contact.id)  # the next owner's escalation
    twin.update_object("tasks", later, {HANDOVER_KEY: f"{contact.id}-sql-1-escalation-1"})
    play_at(sales, clock, START + timedelta(days=9))
    assert twin.get_object("tasks", task)["hs_task_status"] == "COMPLETED"
    assert twin.get_object("tasks", later)["hs_task_status"] == "COMPLETED"
    assert touches_of(twin, contact.id) == []
    assert twin.get_object("contacts", contact.id).get("hs_lead_status") is None


def test_a_rep_accepts_a_lead_whose_persona_always_accepts(twin: Twin, clock: SimClock, portal: SeededPortal) -> None:
    contact = first_of(portal, "evaluator")
    task = hand_over(twin, portal.owners[0].id, contact.id)
    sales = SalesTeam(twin, with_persona(portal, contact, accept_rate=1.0), SEED)
    play_at(sales, clock, START + timedelta(hours=36))
    assert twin.get_object("tasks", task)["hs_task_status"] == "COMPLETED"
    assert twin.get_object("contacts", contact.id)["hs_lead_status"] in ACCEPTED
    assert sales.activity.accepted == 1


def test_a_task_without_an_owner_is_left_alone(twin: Twin, clock: SimClock, portal: SeededPortal) -> None:
    contact = portal.contacts[0]
    task = hand_over(twin, "", contact.id)
    SalesTeam(twin, portal, SEED).play(START + timedelta(days=30))
    assert twin.get_object("tasks", task).get("hs_task_status") != "COMPLETED"
    assert twin.get_object("contacts", contact.id).get("hs_lead_status") is None


def test_the_reps_decisions_follow_the_personas_and_are_the_same_for_the_same_seed() -> None:
    outcomes = []
    for _ in range(2):
        twin, clock, portal = seeded(SEED)
        for index, contact in enumerate(portal.contacts):
            hand_over(twin, portal.owners[index % len(portal.owners)].id, contact.id)
        sales = SalesTeam(twin, portal, SEED)
        play_at(sales, clock, START + timedelta(days=10))  # the slow reps too have answered by then
        outcomes.append(dict(sales.activity.outcomes))
        personas = {contact.id: contact.persona for contact in portal.contacts}
    first, second = outcomes
    assert first == second
    assert len(first) == CONTACTS
    assert set(first.values()) <= {*ACCEPTED, *REJECTED}
    assert {status in ACCEPTED for status in first.values()} == {True, False}
    for contact_id, status in first.items():
        if personas[contact_id].accept_rate == 0:
            assert status in REJECTED


def test_a_deal_is_lost_with_a_reason_when_the_persona_never_buys(
    twin: Twin, clock: SimClock, portal: SeededPortal, changes: list[Change]
) -> None:
    owner, student = portal.owners[2], first_of(portal, "student")
    deal = open_deal(twin, owner.id, student.id)
    sales = SalesTeam(twin, portal, SEED, deal_days=(5, 30))
    play_at(sales, clock, START + timedelta(days=4, hours=23))
    assert twin.get_object("deals", deal)["dealstage"] == "appointmentscheduled"
    changes.clear()
    play_at(sales, clock, START + timedelta(days=30))
    closed = twin.get_object("deals", deal)
    assert closed["dealstage"] == "closedlost"
    assert closed["closed_lost_reason"] in LOST_REASONS
    assert closed["hs_is_closed"] == "true"
    assert [(c.object_type, c.source) for c in changes] == [("deals", rep(twin, owner.id))]
    assert (sales.activity.won, sales.activity.lost) == (0, 1)


def test_a_deal_is_won_when_the_persona_always_buys(twin: Twin, clock: SimClock, portal: SeededPortal) -> None:
    champion = first_of(portal, "champion")
    deal = open_deal(twin, portal.owners[0].id, champion.id)
    sales = SalesTeam(twin, with_persona(portal, champion, win_rate=1.0), SEED, deal_days=(5, 30))
    play_at(sales, clock, START + timedelta(days=30))
    won = twin.get_object("deals", deal)
    assert won["dealstage"] == "closedwon"
    assert won["hs_is_closed_won"] == "true"
    assert won.get("closed_lost_reason") is None
    assert sales.activity.won == 1


def test_a_deal_in_another_pipeline_is_closed_in_that_pipelines_own_closed_stage(
    twin: Twin, clock: SimClock, portal: SeededPortal
) -> None:
    stages = (StageSpec("Open", 0.5), StageSpec("Renewed", 1.0, closed=True), StageSpec("Churned", 0.0, closed=True))
    pipeline = twin.create_pipeline("Renewals", stages)
    (renewals,) = [p for p in twin.pipelines() if p["id"] == pipeline]
    owner, student = portal.owners[0], first_of(portal, "student")
    first_stage = renewals["stages"][0]["id"]
    values = {"dealname": "Renewal", "pipeline": pipeline, "dealstage": first_stage, "hubspot_owner_id": owner.id}
    deal = twin.create_object("deals", values)
    twin.associate("deals", deal, "contacts", student.id)
    play_at(SalesTeam(twin, portal, SEED), clock, START + timedelta(days=30))
    closed = twin.get_object("deals", deal)
    assert closed["hs_is_closed"] == "true"
    assert closed["dealstage"] == renewals["stages"][2]["id"]  # lost: the closed stage with probability 0


# The change gate ---------------------------------------------------------------------------------------------


def note(number: int) -> Change:
    return Change("updated", "contacts", str(number), number, CRM_UI, {"firstname": f"v{number}"})


@pytest.fixture
def gate() -> Iterator[tuple[ChangeFeed, ChangeGate, list[Change]]]:
    source = ChangeFeed()
    gate = ChangeGate(source)
    passed: list[Change] = []
    gate.target.subscribe(passed.append)
    yield source, gate, passed
    gate.close()


def test_an_open_gate_lets_changes_through_at_once(gate: tuple[ChangeFeed, ChangeGate, list[Change]]) -> None:
    source, _, passed = gate
    source.publish(note(1))
    assert passed == [note(1)]


def test_a_held_gate_keeps_changes_until_released_then_lets_them_out_in_order(
    gate: tuple[ChangeFeed, ChangeGate, list[Change]],
) -> None:
    source, held, passed = gate
    held.hold()
    held.hold()  # holding twice keeps what is held
    for number in (1, 2, 3):
        source.publish(note(number))
    assert passed == []
    held.release()
    assert passed == [note(1), note(2), note(3)]
    source.publish(note(4))
    assert passed[-1] == note(4)
    held.release()  # releasing an open gate forwards nothing twice
    assert len(passed) == 4


def test_a_closed_gate_forwards_nothing_more(gate: tuple[ChangeFeed, ChangeGate, list[Change]]) -> None:
    source, held, passed = gate
    held.close()
    source.publish(note(1))
    assert passed == []


def test_a_gate_on_the_twins_feed_holds_a_simulated_tick(twin: Twin, clock: SimClock, portal: SeededPortal) -> None:
    gate = ChangeGate(twin.feed)
    passed: list[Change] = []
    gate.target.subscribe(passed.append)
    gate.hold()
    Simulation(twin, clock, portal, days=1, ticks_per_day=1).run(lambda _tick: None)
    assert passed == []
    gate.release()
    assert passed
    assert [c.occurred_at_ms for c in passed] == sorted(c.occurred_at_ms for c in passed)
    gate.close()


def test_some_buyers_hold_two_buying_roles_and_the_shipped_model_counts_the_decision_maker(
    twin: Twin, portal: SeededPortal
) -> None:
    model = load_scoring_model(CONFIG_DIR / "scoring.yaml")
    roles = {cid: values.get("hs_buying_role") or "" for cid, _created, values in twin.live_objects("contacts")}
    both = [cid for cid, role in roles.items() if role.startswith("DECISION_MAKER;")]
    assert both and all(";" in roles[cid] for cid in both)
    contact = twin.get_object("contacts", both[0])
    reasons = assess(model, contact, {}, [], START).reasons
    assert "decision-maker" in {reason.id for reason in reasons}

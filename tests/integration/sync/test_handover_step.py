"""The handover step on the in-memory HubSpot, with the shipped config/handover.yaml and config/routing.yaml:
one task (and deal) per handover through upserts, the owner set, nothing twice, rejections recycled."""

from __future__ import annotations

import pytest

from app.rules.handover.types import handover_key
from app.sync.hubspot.errors import TransientHubSpotError
from app.sync.hubspot.gateway import DEAL_TO_COMPANY, DEAL_TO_CONTACT, TASK_TO_COMPANY, TASK_TO_CONTACT, TASK_TO_DEAL
from tests.integration.sync.conftest import MQL, SQL, Portal


def only(records: dict[str, dict[str, str]]) -> tuple[str, dict[str, str]]:
    """Return the id and (a copy of) the values of the one record there is."""
    ((object_id, values),) = records.items()
    return object_id, dict(values)


def test_entering_mql_upserts_one_task_for_the_routed_owner_and_sets_the_contact(portal: Portal) -> None:
    contact_id = portal.lead("anna.keller@kessler.de")
    portal.converts(contact_id, *MQL)
    portal.hubspot.calls.clear()  # the resolver's reads of the form names are not the drain's
    report = portal.drain()
    dana = portal.owners["dana.fuchs@example.com"]  # the first of the DACH pool's round robin
    task_id, task = only(portal.hubspot.records["task"])
    assert task["leadflow_handover_id"] == handover_key(contact_id, "mql", 1)
    assert (task["hubspot_owner_id"], task["hs_task_type"], task["hs_task_priority"]) == (dana, "TODO", "HIGH")
    assert task["hs_timestamp"] == "2026-11-26T10:00:02.000Z"  # 8 business hours later, Berlin time
    assert portal.hubspot.records["deal"] == {}
    company_id = portal.contact(contact_id)["associatedcompanyid"]
    assert sorted(portal.hubspot.links.of(("task", task_id), "contact")) == [(contact_id, TASK_TO_CONTACT)]
    assert portal.hubspot.links.of(("task", task_id), "company") == [(company_id, TASK_TO_COMPANY)]
    contact = portal.contact(contact_id)
    assert (contact["hubspot_owner_id"], contact["lifecyclestage"], contact["hs_lead_status"]) == (
        dana,
        "marketingqualifiedlead",
        "NEW",
    )
    assert contact["leadflow_routing_reason"].startswith("territory dach: round robin in pool dach-team, Dana Fuchs")
    (handover,) = portal.container.ledger.handovers.of_contacts([contact_id])[contact_id]
    assert (handover.status, handover.owner_id, handover.task_id, handover.deal_id) == ("done", dana, task_id, None)
    assert report.effects == {"handovers": 1}
    # Owners once, the contact once (and the first form's name from the history: the contact converted again before
    # its drain), its company for scoring and again fresh for routing, one contact write.
    assert portal.hubspot.request_counts() == {
        ("owners", ""): 2,
        ("read_objects", "contact"): 1,
        ("read_histories", "contact"): 1,
        ("read_objects", "company"): 2,
        ("upsert_objects", "task"): 1,
        ("create_associations", "task→contact"): 1,
        ("create_associations", "task→company"): 1,
        ("update_objects", "contact"): 1,
    }


def test_entering_sql_also_upserts_a_deal_linked_to_contact_company_and_task(portal: Portal) -> None:
    contact_id = portal.lead("jonas.meier@pumpen.de", phone="+49 30 5550")
    portal.converts(contact_id, *SQL)
    portal.drain()
    company_id = portal.contact(contact_id)["associatedcompanyid"]
    deal_id, deal = only(portal.hubspot.records["deal"])
    task_id, task = only(portal.hubspot.records["task"])
    assert deal["dealname"] == "pumpen.de GmbH – Jonas Tester"
    assert (deal["pipeline"], deal["dealstage"], deal["amount"]) == ("default", "appointmentscheduled", "42000000")
    assert deal["hubspot_owner_id"] == task["hubspot_owner_id"] == portal.contact(contact_id)["hubspot_owner_id"]
    assert deal["leadflow_handover_id"] == task["leadflow_handover_id"] == handover_key(contact_id, "sql", 1)
    assert portal.hubspot.links.of(("deal", deal_id), "contact") == [(contact_id, DEAL_TO_CONTACT)]
    assert portal.hubspot.links.of(("deal", deal_id), "company") == [(company_id, DEAL_TO_COMPANY)]
    assert portal.hubspot.links.of(("task", task_id), "deal") == [(deal_id, TASK_TO_DEAL)]
    assert portal.contact(contact_id)["lifecyclestage"] == "salesqualifiedlead"
    (handover,) = portal.container.ledger.handovers.of_contacts([contact_id])[contact_id]
    assert (handover.stage, handover.task_id, handover.deal_id) == ("sql", task_id, deal_id)


def test_draining_the_same_contacts_again_creates_nothing_more(portal: Portal) -> None:
    contact_id = portal.lead("jonas.meier@pumpen.de", phone="+49 30 5550")
    portal.converts(contact_id, *SQL)
    portal.drain()
    portal.hubspot.calls.clear()
    portal.created(contact_id)
    portal.drain()
    assert portal.hubspot.request_counts() == {("read_objects", "contact"): 1}  # a read, and nothing to do
    assert (len(portal.hubspot.records["task"]), len(portal.hubspot.records["deal"])) == (1, 1)
    assert len(portal.container.ledger.handovers.of_contacts([contact_id])[contact_id]) == 1


def test_a_drain_that_failed_after_creating_the_task_finishes_the_same_handover_when_run_again(
    portal: Portal,
) -> None:
    contact_id = portal.lead("anna.keller@kessler.de")
    portal.converts(contact_id, *MQL)
    portal.hubspot.fail_next("update_objects", TransientHubSpotError("batch-update contacts: 502"))
    with pytest.raises(TransientHubSpotError):
        portal.drain()
    task_id, task = only(portal.hubspot.records["task"])  # created, though the drain failed
    (planned,) = portal.container.ledger.handovers.of_contacts([contact_id])[contact_id]
    assert (planned.status, planned.task_id) == ("planned", None)
    portal.clock.advance(hours=1)  # RQ retries the drain later
    portal.drain()
    assert list(portal.hubspot.records["task"]) == [task_id]
    assert portal.hubspot.get("task", task_id)["hs_timestamp"] == task["hs_timestamp"]  # due from the reservation
    (done,) = portal.container.ledger.handovers.of_contacts([contact_id])[contact_id]
    assert (done.status, done.task_id, done.owner_id) == ("done", task_id, planned.owner_id)


def test_a_task_hubspot_refuses_is_the_contacts_error_and_the_handover_is_finished_later(portal: Portal) -> None:
    contact_id = portal.lead("anna.keller@kessler.de")
    key = handover_key(contact_id, "mql", 1)
    portal.hubspot.refuse("task", key, "VALIDATION_ERROR: hs_task_priority")
    portal.converts(contact_id, *MQL)
    assert portal.drain().effects == {"handovers": 0}
    ledger = portal.container.ledger
    assert ledger.contacts.states_of([contact_id])[contact_id].last_error == "VALIDATION_ERROR: hs_task_priority"
    assert ledger.handovers.of_contacts([contact_id])[contact_id][0].status == "planned"
    assert portal.hubspot.records["task"] == {}
    del portal.hubspot.refusals[("task", key)]
    portal.created(contact_id)
    portal.drain()
    (handover,) = ledger.handovers.of_contacts([contact_id])[contact_id]
    assert (handover.status, handover.task_id) == ("done", only(portal.hubspot.records["task"])[0])
    assert ledger.contacts.states_of([contact_id])[contact_id].last_error is None


def test_a_rejection_recycles_the_lead_into_its_next_cycle_and_it_is_handed_over_again(portal: Portal) -> None:
    contact_id = portal.lead("anna.keller@kessler.de")
    portal.converts(contact_id, *MQL)
    portal.drain()
    portal.hubspot.calls.clear()
    portal.clock.advance(hours=1)
    portal.changed(contact_id, hs_lead_status="BAD_TIMING")
    portal.drain()
    # HubSpot only moves a lifecycle stage forward: it is cleared by a first write, then set back to lead.
    writes = [c for c in portal.hubspot.calls if (c.operation, c.object_type) == ("update_objects", "contact")]
    assert len(writes) == 2
    contact = portal.contact(contact_id)
    assert (contact["lifecyclestage"], contact.get("hs_lead_status"), contact.get("leadflow_stage")) == (
        "lead",
        None,
        None,
    )
    ledger = portal.container.ledger
    assert ledger.contacts.states_of([contact_id])[contact_id].qualification_cycle == 2
    portal.clock.advance(days=1)
    portal.converts(contact_id, *MQL)
    portal.drain()
    handovers = ledger.handovers.of_contacts([contact_id])[contact_id]
    assert [(h.cycle, h.status, h.outcome, h.outcome_reason) for h in handovers] == [
        (1, "recycled", "rejected", "bad timing"),
        (2, "done", None, None),
    ]
    assert len(portal.hubspot.records["task"]) == 2
    assert portal.contact(contact_id)["lifecyclestage"] == "marketingqualifiedlead"


def test_a_refused_clearing_write_is_recorded_as_the_contacts_error(portal: Portal) -> None:
    contact_id = portal.lead("anna.keller@kessler.de")
    portal.converts(contact_id, *MQL)
    portal.drain()
    portal.clock.advance(hours=1)
    portal.changed(contact_id, hs_lead_status="BAD_TIMING")
    portal.hubspot.refuse("contact", contact_id, "VALIDATION_ERROR: locked by a workflow", times=1)
    portal.drain()
    state = portal.container.ledger.contacts.states_of([contact_id])[contact_id]
    assert state.last_error == "HubSpot refused clearing lifecyclestage: VALIDATION_ERROR: locked by a workflow"
    assert portal.contact(contact_id)["lifecyclestage"] == "marketingqualifiedlead"  # HubSpot kept it: said so


def test_a_recycle_whose_clear_landed_late_is_finished_by_the_next_drain(portal: Portal) -> None:
    contact_id = portal.lead("anna.keller@kessler.de")
    portal.converts(contact_id, *MQL)
    portal.drain()
    portal.changed(contact_id, hs_lead_status="BAD_TIMING")
    portal.drain()
    portal.hubspot.change("contact", contact_id, {"lifecyclestage": ""})  # HubSpot applied the clear after the set
    portal.created(contact_id)  # the recheck of the unanswered write drains the contact again
    portal.drain()
    assert portal.contact(contact_id)["lifecyclestage"] == "lead"
    portal.hubspot.change("contact", contact_id, {"lifecyclestage": "opportunity"})  # sales moved it: left alone
    portal.created(contact_id)
    portal.drain()
    assert portal.contact(contact_id)["lifecyclestage"] == "opportunity"

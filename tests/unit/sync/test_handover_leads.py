"""The cycle's Lead on the in-memory gateway: created with its primary contact and company, updated by id when the
cycle has one, never twice when a retried drain finds its key taken, and a refusal kept apart from the handover."""

from __future__ import annotations

from datetime import UTC, datetime

from app.rules.handover.types import HandoverPlan, LeadSpec, RoutingDecision
from app.sync.handover.leads import put_leads, read_leads
from app.sync.hubspot.fake import InMemoryHubSpot
from app.sync.hubspot.gateway import LEAD_TO_COMPANY, LEAD_TO_PRIMARY_CONTACT

DUE = datetime(2026, 12, 4, 13, 0, tzinfo=UTC)
DECISION = RoutingDecision("11", "territories", "dach")


def plan(contact_id: str, stage: str = "sql", cycle: int = 1, owner: str = "11") -> HandoverPlan:
    spec = LeadSpec(f"{contact_id}-{cycle}", {"hs_lead_name": f"Lead {contact_id}", "hubspot_owner_id": owner,
                                              "leadflow_stage": stage}, "lead-pipeline-id")  # fmt: skip
    return HandoverPlan(contact_id, stage, cycle, f"{contact_id}-{stage}-{cycle}", DECISION, {}, lead=spec)


def portal() -> tuple[InMemoryHubSpot, str, str]:
    fake = InMemoryHubSpot()
    contact_id, company_id = fake.create("contact", {"email": "a@b.de"}), fake.create("company", {"name": "B"})
    return fake, contact_id, company_id


def test_a_new_cycles_lead_is_created_with_its_primary_contact_company_and_pipeline() -> None:
    fake, contact_id, company_id = portal()
    made = put_leads(fake, [plan(contact_id)], {contact_id: company_id}, {})
    lead_id = made.ids[f"{contact_id}-sql-1"]
    assert not made.refused
    lead = fake.get("lead", lead_id)
    assert (lead["leadflow_cycle_id"], lead["hs_pipeline"], lead["hubspot_owner_id"]) == (
        f"{contact_id}-1",
        "lead-pipeline-id",
        "11",
    )
    assert fake.links.of(("lead", lead_id), "contact") == [(contact_id, LEAD_TO_PRIMARY_CONTACT)]
    assert fake.links.of(("lead", lead_id), "company") == [(company_id, LEAD_TO_COMPANY)]
    assert fake.request_counts()[("create_objects", "lead")] == 1


def test_a_lead_whose_key_is_taken_is_updated_not_created_again() -> None:
    """A retried drain: the first create landed in HubSpot, but the ledger never heard of it."""
    fake, contact_id, company_id = portal()
    first = put_leads(fake, [plan(contact_id)], {contact_id: company_id}, {}).ids[f"{contact_id}-sql-1"]
    again = put_leads(fake, [plan(contact_id, owner="12")], {contact_id: company_id}, {})
    assert again.ids == {f"{contact_id}-sql-1": first} and not again.refused
    assert len(fake.records["lead"]) == 1 and fake.get("lead", first)["hubspot_owner_id"] == "12"


def test_the_cycles_lead_is_updated_by_id_without_moving_its_pipeline() -> None:
    fake, contact_id, company_id = portal()
    lead_id = put_leads(fake, [plan(contact_id, "mql")], {contact_id: company_id}, {}).ids[f"{contact_id}-mql-1"]
    fake.change("lead", lead_id, {"hs_pipeline": "sales-led", "hs_pipeline_stage": "attempting-stage-id"})
    made = put_leads(fake, [plan(contact_id, "sql")], {}, {f"{contact_id}-sql-1": lead_id})
    assert made.ids == {f"{contact_id}-sql-1": lead_id}
    held = fake.get("lead", lead_id)
    assert (held["leadflow_stage"], held["hs_pipeline"], held["hs_pipeline_stage"]) == (
        "sql",
        "sales-led",
        "attempting-stage-id",
    )
    assert fake.request_counts()[("create_objects", "lead")] == 1 and len(fake.records["lead"]) == 1


def test_a_refused_lead_is_named_and_the_others_are_made() -> None:
    fake, contact_id, company_id = portal()
    other = fake.create("contact", {"email": "c@d.de"})
    fake.refuse("lead", f"{other}-1", "VALIDATION_ERROR: the owner has no seat")
    made = put_leads(fake, [plan(contact_id), plan(other)], {contact_id: company_id}, {})
    assert set(made.ids) == {f"{contact_id}-sql-1"}
    assert made.refused == {f"{other}-sql-1": "VALIDATION_ERROR: the owner has no seat"}


def test_plans_without_a_lead_send_nothing_and_reading_no_leads_sends_nothing() -> None:
    fake, contact_id, _ = portal()
    bare = HandoverPlan(contact_id, "sql", 1, f"{contact_id}-sql-1", DECISION, {})
    assert put_leads(fake, [bare], {}, {}).ids == {}
    assert read_leads(fake, []) == {}
    assert not fake.calls

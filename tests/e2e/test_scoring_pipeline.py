"""Signed webhook in → ledger → RQ worker → fit and engagement scores written to the twin."""

from __future__ import annotations

import random
import time
from typing import Any

from hubspot_twin.simulator.actions import FORM
from tests.e2e.conftest import Pipeline

DACH_MACHINERY = {
    "name": "Kessler Maschinenbau",
    "industry": "MACHINERY",
    "numberofemployees": "250",
    "country": "Germany",
}


def seed_contact(pipeline: Pipeline, company: dict[str, str] | None = None, **properties: str) -> str:
    contact = {"email": "anna.keller@kessler.de", "firstname": "Anna", "lastname": "Keller", "country": "Germany",
               "hs_buying_role": "DECISION_MAKER", **properties}  # fmt: skip
    contact_id = pipeline.twin.create_object("contacts", contact)
    if company is not None:
        company_id = pipeline.twin.create_object("companies", company)
        pipeline.twin.associate("contacts", contact_id, "companies", company_id, primary=True)
    return contact_id


def conversion(pipeline: Pipeline, contact_id: str, name: str) -> dict[str, Any]:
    """Submit a form in the twin; return HubSpot's webhook of the conversion date (Leadflow reads the form name)."""
    at_ms = int(time.time() * 1000)
    values = {"recent_conversion_event_name": name, "recent_conversion_date": str(at_ms)}
    pipeline.twin.update_object("contacts", contact_id, values, system=True, source=FORM)
    time.sleep(0.005)  # HubSpot stamps each submission at its own time
    return pipeline.events.property_change(
        "contact", contact_id, "recent_conversion_date", str(at_ms), source="FORM", occurred_at_ms=at_ms
    )


def click(pipeline: Pipeline, contact_id: str, at_ms: int) -> dict[str, Any]:
    pipeline.twin.update_object("contacts", contact_id, {"hs_email_last_click_date": str(at_ms)}, system=True)
    return pipeline.events.property_change(
        "contact", contact_id, "hs_email_last_click_date", str(at_ms), source="EMAIL"
    )


def busy_day(pipeline: Pipeline, contact_id: str) -> list[dict[str, Any]]:
    now_ms = pipeline.events.event("x")["occurredAt"]
    return [
        conversion(pipeline, contact_id, "Whitepaper: Predictive maintenance"),
        conversion(pipeline, contact_id, "Demo request"),
        click(pipeline, contact_id, now_ms - 3_600_000),
        click(pipeline, contact_id, now_ms - 60_000),
    ]


def test_whitepaper_demo_and_two_newsletter_clicks_the_same_day_make_engagement_19(pipeline: Pipeline) -> None:
    contact_id = seed_contact(pipeline, DACH_MACHINERY)
    assert pipeline.post(busy_day(pipeline, contact_id)) == 204
    pipeline.work()
    scored = pipeline.contact(contact_id)
    assert scored["leadflow_engagement_score"] == "19"
    assert scored["leadflow_fit_score"] == "90"  # industry 25 + size 20 + decision maker 30 + DACH 15
    assert scored["leadflow_score"] == "109"
    assert scored["leadflow_grade"] == "A3"
    assert scored["leadflow_stage"] == "mql"
    assert scored["leadflow_model"] == "default-2026-12"
    assert scored["leadflow_scored_at"]
    assert scored["leadflow_score_reasons"].startswith("+30 Decision maker or budget holder · +25 Target industry")
    assert "+10 Demo request (1×)" in scored["leadflow_score_reasons"]
    assert "+5 Whitepaper download (1×)" in scored["leadflow_score_reasons"]
    assert "+4 Newsletter click (2×)" in scored["leadflow_score_reasons"]


def test_duplicated_and_reordered_deliveries_converge_to_the_same_scores(pipeline: Pipeline) -> None:
    contact_id = seed_contact(pipeline, DACH_MACHINERY)
    events = busy_day(pipeline, contact_id)
    for _ in range(3):
        shuffled = random.Random(len(events)).sample(events, len(events))
        assert pipeline.post(shuffled) == 204
    assert pipeline.post(list(reversed(events))) == 204
    pipeline.work()
    assert pipeline.container.ledger.counts().engagements == 4
    assert pipeline.contact(contact_id)["leadflow_engagement_score"] == "19"


def test_a_company_property_change_re_scores_its_contacts(pipeline: Pipeline) -> None:
    company = {
        "name": "Helios Health",
        "industry": "HOSPITAL_HEALTH_CARE",
        "numberofemployees": "650",
        "country": "Germany",
    }
    first = seed_contact(pipeline, company)
    second = pipeline.twin.create_object("contacts", {"email": "jonas@helios.de", "country": "Germany"})
    company_id = pipeline.twin.primary_company_id(first)
    assert company_id is not None
    pipeline.twin.associate("contacts", second, "companies", company_id, primary=True)
    pipeline.post([pipeline.events.creation("contact", first), pipeline.events.creation("contact", second)])
    pipeline.work()
    assert (pipeline.contact(first)["leadflow_fit_score"], pipeline.contact(second)["leadflow_fit_score"]) == (
        "65",
        "35",
    )

    pipeline.twin.update_object("companies", company_id, {"industry": "INDUSTRIAL_AUTOMATION"})
    pipeline.post([pipeline.events.property_change("company", company_id, "industry", "INDUSTRIAL_AUTOMATION")])
    pipeline.work()
    assert (pipeline.contact(first)["leadflow_fit_score"], pipeline.contact(second)["leadflow_fit_score"]) == (
        "90",
        "60",
    )
    assert "+25 Target industry" in pipeline.contact(second)["leadflow_score_reasons"]


def test_a_change_that_moves_no_score_writes_nothing(pipeline: Pipeline) -> None:
    contact_id = seed_contact(pipeline, DACH_MACHINERY)
    pipeline.post([pipeline.events.creation("contact", contact_id)])
    pipeline.work()
    scored_at = pipeline.contact(contact_id)["leadflow_scored_at"]
    pipeline.twin.reset_request_counts()
    pipeline.twin.update_object("contacts", contact_id, {"jobtitle": "Managing Director"})
    pipeline.post([pipeline.events.property_change("contact", contact_id, "jobtitle", "Managing Director")])
    pipeline.work()
    counts = pipeline.twin.request_counts()
    assert "POST /crm/v3/objects/contacts/batch/update" not in counts
    assert counts["POST /crm/v3/objects/contacts/batch/read"] == 1
    assert pipeline.contact(contact_id)["leadflow_scored_at"] == scored_at


def test_draining_a_hundred_dirty_contacts_costs_three_hubspot_requests(pipeline: Pipeline) -> None:
    """The floor: read the contacts (their primary company id comes with them), read the companies, write."""
    ids = [
        seed_contact(pipeline, {**DACH_MACHINERY, "name": f"Company {n}"}, email=f"c{n}@kessler{n}.de")
        for n in range(100)
    ]
    pipeline.twin.reset_request_counts()
    for start in range(0, 100, 50):
        pipeline.post([pipeline.events.creation("contact", cid) for cid in ids[start : start + 50]])
    pipeline.work()
    counts = pipeline.twin.request_counts()
    assert counts == {
        "POST /crm/v3/objects/contacts/batch/read": 1,
        "POST /crm/v3/objects/companies/batch/read": 1,
        "POST /crm/v3/objects/contacts/batch/update": 1,
    }
    assert all(pipeline.contact(cid)["leadflow_fit_score"] == "90" for cid in ids)


def test_companies_read_once_are_served_from_the_cache_until_they_change(pipeline: Pipeline) -> None:
    company = {**DACH_MACHINERY, "name": "Shared GmbH"}
    first = seed_contact(pipeline, company, email="a@shared.de")
    company_id = pipeline.twin.primary_company_id(first)
    assert company_id is not None
    second = pipeline.twin.create_object("contacts", {"email": "b@shared.de", "hs_buying_role": "DECISION_MAKER",
                                                      "country": "Germany"})  # fmt: skip
    pipeline.twin.associate("contacts", second, "companies", company_id, primary=True)
    pipeline.post([pipeline.events.creation("contact", first)])
    pipeline.work()
    pipeline.twin.reset_request_counts()
    pipeline.post([pipeline.events.creation("contact", second)])
    pipeline.work()
    assert "POST /crm/v3/objects/companies/batch/read" not in pipeline.twin.request_counts()
    assert pipeline.contact(second)["leadflow_fit_score"] == "90"
    # HubSpot says the company changed: the resolver forgets it, and its contacts are scored on the new values.
    pipeline.twin.update_object("companies", company_id, {"numberofemployees": "5000"})
    pipeline.post([pipeline.events.property_change("company", company_id, "numberofemployees", "5000")])
    pipeline.work()
    assert pipeline.twin.request_counts()["POST /crm/v3/objects/companies/batch/read"] == 1
    assert pipeline.contact(first)["leadflow_fit_score"] == pipeline.contact(second)["leadflow_fit_score"] == "70"


def test_a_booked_meeting_is_recorded_for_each_of_its_contacts(pipeline: Pipeline) -> None:
    contact_id = seed_contact(pipeline, DACH_MACHINERY)
    meeting = pipeline.twin.create_object(
        "meetings",
        {"hs_timestamp": "2026-11-26T10:00:00.000Z", "hs_meeting_title": "Discovery"},
        associations=[
            {"to": {"id": contact_id}, "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 200}]}
        ],
    )
    pipeline.post([pipeline.events.object_creation("0-47", meeting)])
    pipeline.work()
    engagements = pipeline.container.ledger.contacts.engagements_of([contact_id])
    assert [e.type for e in engagements[contact_id]] == ["meeting_booked"]
    assert pipeline.contact(contact_id)["leadflow_fit_score"] == "90"


def test_a_deleted_contact_is_recorded_as_gone_and_its_signals_closed(pipeline: Pipeline) -> None:
    contact_id = seed_contact(pipeline, DACH_MACHINERY)
    pipeline.post([pipeline.events.creation("contact", contact_id)])
    pipeline.work()
    pipeline.twin.archive_object("contacts", contact_id)
    pipeline.post([pipeline.events.event("contact.deletion", objectId=int(contact_id), changeFlag="DELETED")])
    pipeline.work()
    assert pipeline.container.ledger.contacts.states_of([contact_id])[contact_id].deleted_at is not None
    assert pipeline.container.ledger.counts().pending_signals == 0


def test_leadflows_own_writes_coming_back_as_webhooks_cause_no_work(pipeline: Pipeline) -> None:
    contact_id = seed_contact(pipeline, DACH_MACHINERY)
    echo = pipeline.events.property_change(
        "contact", contact_id, "leadflow_score", "90", source="INTEGRATION", sourceId="4242"
    )
    assert pipeline.post([echo]) == 204
    assert pipeline.container.queue.count == 0
    assert pipeline.container.ledger.counts().signals == 0

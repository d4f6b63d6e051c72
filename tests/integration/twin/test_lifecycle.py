"""Lifecycle stages through the official SDK: they only move forward; clearing first allows a lower stage."""

from __future__ import annotations

from typing import Any

from hubspot import HubSpot
from hubspot.crm.contacts import (
    BatchInputSimplePublicObjectBatchInput,
    SimplePublicObjectBatchInput,
    SimplePublicObjectInput,
)

from hubspot_twin import Twin
from tests.integration.twin.support import TIMEOUT


def set_stage(client: HubSpot, contact_id: str, stage: str) -> Any:
    body = SimplePublicObjectInput(properties={"lifecyclestage": stage})
    return client.crm.contacts.basic_api.update(contact_id, body, _request_timeout=TIMEOUT)


def test_a_stage_moves_forward(client: HubSpot, twin: Twin) -> None:
    contact_id = twin.create_object("contacts", {"lifecyclestage": "subscriber"})

    for stage in ("lead", "marketingqualifiedlead", "salesqualifiedlead", "opportunity", "customer", "evangelist"):
        assert set_stage(client, contact_id, stage).properties["lifecyclestage"] == stage


def test_a_backward_write_is_ignored_with_a_200(client: HubSpot, twin: Twin) -> None:
    contact_id = twin.create_object("contacts", {"lifecyclestage": "opportunity", "firstname": "Ada"})

    answered = client.crm.contacts.basic_api.update(
        contact_id,
        SimplePublicObjectInput(properties={"lifecyclestage": "lead", "firstname": "Ada L."}),
        _request_timeout=TIMEOUT,
    )

    assert answered.properties["lifecyclestage"] == "opportunity"
    assert answered.properties["firstname"] == "Ada L."
    assert twin.get_object("contacts", contact_id)["lifecyclestage"] == "opportunity"


def test_clearing_the_stage_first_allows_a_lower_one(client: HubSpot, twin: Twin) -> None:
    contact_id = twin.create_object("contacts", {"lifecyclestage": "customer"})

    cleared = set_stage(client, contact_id, "")
    lowered = set_stage(client, contact_id, "lead")

    assert "lifecyclestage" not in cleared.properties
    assert lowered.properties["lifecyclestage"] == "lead"


def test_other_can_be_set_from_any_stage_and_is_left_only_by_clearing(client: HubSpot, twin: Twin) -> None:
    contact_id = twin.create_object("contacts", {"lifecyclestage": "lead"})

    other = set_stage(client, contact_id, "other")
    back = set_stage(client, contact_id, "customer")

    assert other.properties["lifecyclestage"] == "other"
    assert back.properties["lifecyclestage"] == "other"


def test_a_batch_update_applies_forward_moves_and_ignores_backward_ones(client: HubSpot, twin: Twin) -> None:
    ahead = twin.create_object("contacts", {"lifecyclestage": "customer"})
    behind = twin.create_object("contacts", {"lifecyclestage": "lead"})
    body = BatchInputSimplePublicObjectBatchInput(
        inputs=[
            SimplePublicObjectBatchInput(id=ahead, properties={"lifecyclestage": "salesqualifiedlead"}),
            SimplePublicObjectBatchInput(id=behind, properties={"lifecyclestage": "salesqualifiedlead"}),
        ]
    )

    data = client.crm.contacts.batch_api.update(body, _request_timeout=TIMEOUT)

    assert {r.id: r.properties["lifecyclestage"] for r in data.results} == {
        ahead: "customer",
        behind: "salesqualifiedlead",
    }


def test_company_lifecycle_stages_follow_the_same_rule(twin: Twin) -> None:
    company_id = twin.create_object("companies", {"name": "Acme", "lifecyclestage": "customer"})

    twin.update_object("companies", company_id, {"lifecyclestage": "lead"})
    kept = twin.get_object("companies", company_id)["lifecyclestage"]
    twin.update_object("companies", company_id, {"lifecyclestage": ""})
    twin.update_object("companies", company_id, {"lifecyclestage": "lead"})

    assert (kept, twin.get_object("companies", company_id)["lifecyclestage"]) == ("customer", "lead")

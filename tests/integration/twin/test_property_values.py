"""HubSpot's rules for property values on write, through the SDK and the Python API."""

from __future__ import annotations

import json

import pytest
from hubspot import HubSpot
from hubspot.crm.companies import SimplePublicObjectInputForCreate as CompanyInput
from hubspot.crm.contacts import SimplePublicObjectInput, SimplePublicObjectInputForCreate

from hubspot_twin import HubSpotError, Twin
from tests.integration.twin.support import TIMEOUT, api_error


def create_contact(client: HubSpot, properties: dict[str, str]) -> dict[str, str | None]:
    created = client.crm.contacts.basic_api.create(
        SimplePublicObjectInputForCreate(properties=properties), _request_timeout=TIMEOUT
    )
    return dict(created.properties)


def test_an_unknown_property_is_rejected_with_hubspots_property_doesnt_exist_body(client: HubSpot) -> None:
    status, body = api_error(lambda: create_contact(client, {"email": "x@example.com", "favourite_colour": "blue"}))

    assert status == 400
    assert body["status"] == "error"
    assert body["category"] == "VALIDATION_ERROR"
    assert body["correlationId"]
    assert body["errors"] == [
        {
            "message": 'Property "favourite_colour" does not exist',
            "code": "PROPERTY_DOESNT_EXIST",
            "context": {"propertyName": ["favourite_colour"]},
        }
    ]
    prefix = "Property values were not valid: "
    assert body["message"].startswith(prefix)
    embedded = json.loads(body["message"][len(prefix) :])
    assert embedded[0]["error"] == "PROPERTY_DOESNT_EXIST"
    assert embedded[0]["name"] == "favourite_colour"
    assert embedded[0]["isValid"] is False


def test_every_invalid_property_of_a_write_is_reported_at_once(client: HubSpot) -> None:
    status, body = api_error(lambda: create_contact(client, {"nope": "1", "lifecyclestage": "hot", "email": "bad"}))

    assert status == 400
    assert [e["code"] for e in body["errors"]] == ["PROPERTY_DOESNT_EXIST", "INVALID_OPTION", "INVALID_EMAIL"]


def test_an_enumeration_takes_only_its_internal_option_values(client: HubSpot) -> None:
    accepted = create_contact(client, {"lifecyclestage": "marketingqualifiedlead", "hs_lead_status": "NEW"})
    status, body = api_error(lambda: create_contact(client, {"hs_lead_status": "New"}))

    assert accepted["hs_lead_status"] == "NEW"
    assert status == 400
    assert body["errors"][0]["code"] == "INVALID_OPTION"
    assert body["errors"][0]["message"].startswith("New was not one of the allowed options: [")


def test_a_company_industry_takes_hubspots_industry_values(client: HubSpot) -> None:
    created = client.crm.companies.basic_api.create(
        CompanyInput(properties={"name": "Bolt", "industry": "INDUSTRIAL_AUTOMATION", "numberofemployees": 250}),
        _request_timeout=TIMEOUT,
    )
    status, _ = api_error(
        lambda: client.crm.companies.basic_api.create(
            CompanyInput(properties={"industry": "Robots"}), _request_timeout=TIMEOUT
        )
    )

    assert created.properties["industry"] == "INDUSTRIAL_AUTOMATION"
    assert created.properties["numberofemployees"] == "250"
    assert status == 400


def test_a_multi_checkbox_takes_semicolon_separated_values_and_a_leading_semicolon_appends(
    client: HubSpot, twin: Twin
) -> None:
    contact_id = twin.create_object("contacts", {"hs_buying_role": "CHAMPION;INFLUENCER"})

    updated = client.crm.contacts.basic_api.update(
        contact_id, SimplePublicObjectInput(properties={"hs_buying_role": ";DECISION_MAKER"}), _request_timeout=TIMEOUT
    )

    assert updated.properties["hs_buying_role"] == "CHAMPION;INFLUENCER;DECISION_MAKER"


def test_numbers_must_parse_and_are_stored_as_hubspot_returns_them(client: HubSpot) -> None:
    status, body = api_error(
        lambda: client.crm.companies.basic_api.create(
            CompanyInput(properties={"annualrevenue": "a lot"}), _request_timeout=TIMEOUT
        )
    )
    created = client.crm.companies.basic_api.create(
        CompanyInput(properties={"annualrevenue": "1250000.50", "numberofemployees": "40.0"}), _request_timeout=TIMEOUT
    )

    assert status == 400
    assert body["errors"][0]["context"] == {"propertyName": ["annualrevenue"]}
    assert created.properties["annualrevenue"] == "1250000.5"
    assert created.properties["numberofemployees"] == "40"


def test_datetimes_accept_epoch_milliseconds_and_come_back_as_iso(twin: Twin) -> None:
    contact_id = twin.create_object("contacts", {"createdate": "1700000000000"})

    assert twin.get_object("contacts", contact_id)["createdate"] == "2023-11-14T22:13:20.000Z"
    with pytest.raises(HubSpotError) as raised:
        twin.create_object("contacts", {"createdate": "yesterday"})
    assert raised.value.errors is not None
    assert raised.value.errors[0]["code"] == "INVALID_LONG"


def test_a_calculated_property_cannot_be_written_through_the_api(client: HubSpot) -> None:
    status, body = api_error(lambda: create_contact(client, {"hs_analytics_num_page_views": "12"}))

    assert status == 400
    assert body["errors"][0]["code"] == "READ_ONLY_VALUE"


def test_the_python_api_can_seed_calculated_properties_as_hubspot_would(client: HubSpot, twin: Twin) -> None:
    contact_id = twin.create_object(
        "contacts",
        {"hs_analytics_num_page_views": 12, "recent_conversion_event_name": "Demo request"},
        system=True,
    )

    read = client.crm.contacts.basic_api.get_by_id(
        contact_id, properties=["hs_analytics_num_page_views", "recent_conversion_event_name"], _request_timeout=TIMEOUT
    )

    assert read.properties["hs_analytics_num_page_views"] == "12"
    assert read.properties["recent_conversion_event_name"] == "Demo request"


def test_the_python_api_validates_like_the_http_api(twin: Twin) -> None:
    with pytest.raises(HubSpotError) as raised:
        twin.create_object("contacts", {"no_such_property": "x"})

    assert raised.value.status == 400
    assert raised.value.category == "VALIDATION_ERROR"

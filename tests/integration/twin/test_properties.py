"""Properties v3 through the official SDK: default definitions, custom properties, groups."""

from __future__ import annotations

from hubspot import HubSpot
from hubspot.crm.contacts import SimplePublicObjectInputForCreate
from hubspot.crm.properties import OptionInput, PropertyCreate, PropertyGroupCreate, PropertyGroupUpdate, PropertyUpdate

from tests.integration.twin.support import TIMEOUT, api_error


def score_property(**overrides: object) -> PropertyCreate:
    fields: dict[str, object] = {
        "name": "leadflow_fit_score",
        "label": "Fit score",
        "type": "number",
        "field_type": "number",
        "group_name": "contactinformation",
    }
    fields.update(overrides)
    return PropertyCreate(**fields)


def tier_options() -> list[OptionInput]:
    return [
        OptionInput(label="A", value="A", hidden=False, display_order=0),
        OptionInput(label="B", value="B", hidden=False, display_order=1),
    ]


def test_all_contact_properties_include_hubspots_defaults_with_their_options(client: HubSpot) -> None:
    properties = {
        p.name: p for p in client.crm.properties.core_api.get_all("contacts", _request_timeout=TIMEOUT).results
    }

    assert {"email", "firstname", "lifecyclestage", "hs_lead_status", "hs_buying_role", "hubspot_owner_id"} <= set(
        properties
    )
    assert [o.value for o in properties["hs_lead_status"].options] == [
        "NEW", "OPEN", "IN_PROGRESS", "OPEN_DEAL", "UNQUALIFIED", "ATTEMPTED_TO_CONTACT", "CONNECTED", "BAD_TIMING",
    ]  # fmt: skip
    assert "marketingqualifiedlead" in [o.value for o in properties["lifecyclestage"].options]
    assert properties["hs_analytics_num_page_views"].modification_metadata.read_only_value is True
    assert properties["email"].hubspot_defined is True


def test_company_industry_is_an_enumeration_of_hubspots_industries(client: HubSpot) -> None:
    industry = client.crm.properties.core_api.get_by_name("companies", "industry", _request_timeout=TIMEOUT)

    assert (industry.type, industry.field_type, industry.group_name) == ("enumeration", "select", "companyinformation")
    assert {"MACHINERY", "COMPUTER_SOFTWARE", "INDUSTRIAL_AUTOMATION"} <= {o.value for o in industry.options}


def test_an_unknown_property_name_is_a_404(client: HubSpot) -> None:
    status, body = api_error(
        lambda: client.crm.properties.core_api.get_by_name("contacts", "nope", _request_timeout=TIMEOUT)
    )

    assert status == 404
    assert body["category"] == "OBJECT_NOT_FOUND"


def test_a_created_property_is_returned_with_every_field_and_can_then_be_written(client: HubSpot) -> None:
    created, status, _ = client.crm.properties.core_api.create_with_http_info(
        "contacts", score_property(description="Fit of the lead"), _request_timeout=TIMEOUT
    )
    contact = client.crm.contacts.basic_api.create(
        SimplePublicObjectInputForCreate(properties={"leadflow_fit_score": "72"}), _request_timeout=TIMEOUT
    )

    assert status == 201
    assert (created.name, created.type, created.field_type, created.hubspot_defined) == (
        "leadflow_fit_score", "number", "number", False,
    )  # fmt: skip
    assert created.modification_metadata.archivable is True
    assert created.options == []
    assert created.created_at is not None
    assert contact.properties["leadflow_fit_score"] == "72"


def test_an_enumeration_property_needs_options(client: HubSpot) -> None:
    status, _ = api_error(
        lambda: client.crm.properties.core_api.create(
            "contacts",
            score_property(name="leadflow_tier", type="enumeration", field_type="select"),
            _request_timeout=TIMEOUT,
        )
    )
    created = client.crm.properties.core_api.create(
        "contacts",
        score_property(name="leadflow_tier", type="enumeration", field_type="select", options=tier_options()),
        _request_timeout=TIMEOUT,
    )

    assert status == 400
    assert [o.value for o in created.options] == ["A", "B"]


def test_a_field_type_that_does_not_fit_the_type_is_rejected(client: HubSpot) -> None:
    status, body = api_error(
        lambda: client.crm.properties.core_api.create(
            "contacts", score_property(type="number", field_type="select"), _request_timeout=TIMEOUT
        )
    )

    assert status == 400
    assert body["category"] == "VALIDATION_ERROR"


def test_a_property_must_name_an_existing_group(client: HubSpot) -> None:
    status, body = api_error(
        lambda: client.crm.properties.core_api.create(
            "contacts", score_property(group_name="no_such_group"), _request_timeout=TIMEOUT
        )
    )

    assert status == 400
    assert "no_such_group" in body["message"]


def test_a_property_left_without_a_required_field_is_rejected(client: HubSpot) -> None:
    status, body = api_error(
        lambda: client.crm.properties.core_api.create(
            "contacts", {"name": "half", "label": "Half", "type": "string"}, _request_timeout=TIMEOUT
        )
    )

    assert status == 400
    assert body["message"].endswith("some of required attributes are not set [fieldType, groupName]")


def test_creating_a_property_whose_name_exists_is_a_409(client: HubSpot) -> None:
    status, body = api_error(
        lambda: client.crm.properties.core_api.create(
            "contacts", score_property(name="email"), _request_timeout=TIMEOUT
        )
    )

    assert status == 409
    assert body["category"] == "OBJECT_ALREADY_EXISTS"


def test_a_property_update_changes_its_label_and_options(client: HubSpot) -> None:
    client.crm.properties.core_api.create(
        "contacts",
        score_property(name="leadflow_tier", type="enumeration", field_type="select", options=tier_options()),
        _request_timeout=TIMEOUT,
    )

    updated = client.crm.properties.core_api.update(
        "contacts",
        "leadflow_tier",
        PropertyUpdate(label="Tier", options=[*tier_options(), OptionInput(label="C", value="C", hidden=False)]),
        _request_timeout=TIMEOUT,
    )

    assert updated.label == "Tier"
    assert [o.value for o in updated.options] == ["A", "B", "C"]
    read = client.crm.properties.core_api.get_by_name("contacts", "leadflow_tier", _request_timeout=TIMEOUT)
    assert read.label == "Tier"


def test_hubspots_default_groups_exist_and_new_groups_can_be_created_read_and_updated(client: HubSpot) -> None:
    names = {g.name for g in client.crm.properties.groups_api.get_all("contacts", _request_timeout=TIMEOUT).results}
    created, status, _ = client.crm.properties.groups_api.create_with_http_info(
        "contacts", PropertyGroupCreate(name="leadflow", label="Leadflow", display_order=5), _request_timeout=TIMEOUT
    )
    updated = client.crm.properties.groups_api.update(
        "contacts", "leadflow", PropertyGroupUpdate(label="Leadflow scores"), _request_timeout=TIMEOUT
    )
    read = client.crm.properties.groups_api.get_by_name("contacts", "leadflow", _request_timeout=TIMEOUT)

    assert "contactinformation" in names
    assert status == 201
    assert (created.name, created.label, created.display_order, created.archived) == ("leadflow", "Leadflow", 5, False)
    assert updated.label == "Leadflow scores"
    assert read.label == "Leadflow scores"


def test_a_group_name_that_exists_is_a_409_and_an_unknown_one_a_404(client: HubSpot) -> None:
    conflict, _ = api_error(
        lambda: client.crm.properties.groups_api.create(
            "companies", PropertyGroupCreate(name="companyinformation", label="Again"), _request_timeout=TIMEOUT
        )
    )
    missing, _ = api_error(
        lambda: client.crm.properties.groups_api.get_by_name("companies", "nope", _request_timeout=TIMEOUT)
    )

    assert (conflict, missing) == (409, 404)

"""CRM search through the official SDK: the operators on each property type, filter groups, query, associations."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from hubspot import HubSpot
from hubspot.crm.properties import PropertyCreate

from hubspot_twin import Twin
from tests.integration.twin.search_support import companies, contacts, ids, objects, seed_firms, seed_people, where
from tests.integration.twin.support import TIMEOUT, api_error, call


@pytest.fixture
def people(twin: Twin) -> dict[str, str]:
    """Four contacts; Linus has no last name, Grace no email."""
    return seed_people(twin)


@pytest.fixture
def firms(twin: Twin) -> list[str]:
    """Companies with 9, 10, 100 and no employees."""
    return seed_firms(twin)


# Strings ----------------------------------------------------------------------------------------------------


def test_string_equality_ignores_case_and_neq_also_matches_records_without_a_value(
    client: HubSpot, people: dict[str, str]
) -> None:
    assert ids(contacts(client, [where("email", "EQ", "ADA@example.COM")])) == [people["ada"]]
    assert ids(contacts(client, [where("lastname", "NEQ", "hopper")])) == [
        people["ada"],
        people["mary"],
        people["linus"],
    ]


def test_contains_token_matches_whole_words_and_star_wildcards(client: HubSpot, people: dict[str, str]) -> None:
    assert ids(contacts(client, [where("email", "CONTAINS_TOKEN", "*@example.com")])) == [
        people["ada"],
        people["linus"],
    ]
    assert ids(contacts(client, [where("firstname", "CONTAINS_TOKEN", "ann")])) == [people["mary"]]
    assert ids(contacts(client, [where("firstname", "CONTAINS_TOKEN", "an")])) == []
    assert ids(contacts(client, [where("email", "CONTAINS_TOKEN", "sample.org")])) == [people["mary"]]
    assert ids(contacts(client, [where("email", "NOT_CONTAINS_TOKEN", "*example*")])) == [
        people["grace"],
        people["mary"],
    ]


def test_in_on_a_string_needs_lowercase_values_as_hubspot_documents(client: HubSpot, people: dict[str, str]) -> None:
    assert ids(contacts(client, [where("firstname", "IN", values=["grace", "linus"])])) == [
        people["grace"],
        people["linus"],
    ]
    assert ids(contacts(client, [where("firstname", "IN", values=["Grace"])])) == []
    assert ids(contacts(client, [where("firstname", "NOT_IN", values=["ada", "grace"])])) == [
        people["mary"], people["linus"],
    ]  # fmt: skip


def test_has_property_and_not_has_property(client: HubSpot, people: dict[str, str]) -> None:
    assert ids(contacts(client, [where("email", "NOT_HAS_PROPERTY")])) == [people["grace"]]
    assert ids(contacts(client, [where("jobtitle", "HAS_PROPERTY")])) == [people["grace"]]


def test_string_ranges_compare_alphabetically_without_case(client: HubSpot, people: dict[str, str]) -> None:
    assert ids(contacts(client, [where("firstname", "LT", "grace")])) == [people["ada"]]
    assert ids(contacts(client, [where("firstname", "BETWEEN", "b", high_value="M")])) == [
        people["grace"],
        people["linus"],
    ]


# Numbers, dates, datetimes, booleans -------------------------------------------------------------------------


def test_numbers_compare_numerically(client: HubSpot, firms: list[str]) -> None:
    assert ids(companies(client, [where("numberofemployees", "LT", "10")])) == [firms[0]]
    assert ids(companies(client, [where("numberofemployees", "LTE", "10")])) == firms[:2]
    assert ids(companies(client, [where("numberofemployees", "GT", "9.5")])) == firms[1:3]
    assert ids(companies(client, [where("numberofemployees", "GTE", "100")])) == [firms[2]]
    assert ids(companies(client, [where("numberofemployees", "EQ", "10.0")])) == [firms[1]]
    assert ids(companies(client, [where("numberofemployees", "BETWEEN", "10", high_value="1e2")])) == firms[1:3]
    assert ids(companies(client, [where("numberofemployees", "IN", values=["9", "100"])])) == [firms[0], firms[2]]
    assert ids(companies(client, [where("numberofemployees", "NEQ", "9")])) == firms[1:]


def test_a_non_numeric_value_for_a_number_property_is_a_400(client: HubSpot, firms: list[str]) -> None:
    status, body = api_error(lambda: companies(client, [where("numberofemployees", "GT", "many")]))

    assert status == 400
    assert body["category"] == "VALIDATION_ERROR"
    assert body["context"] == {"propertyName": ["numberofemployees"]}


def test_datetimes_compare_as_instants_given_as_epoch_millis_or_iso(client: HubSpot, twin: Twin) -> None:
    early = twin.create_object("meetings", {"hs_timestamp": "2025-03-01T09:00:00Z"})
    late = twin.create_object("meetings", {"hs_timestamp": "2025-03-01T11:00:00Z"})
    ten = str(int(datetime(2025, 3, 1, 10, tzinfo=UTC).timestamp() * 1000))

    assert ids(objects(client, "meetings", [where("hs_timestamp", "GT", ten)])) == [late]
    assert ids(objects(client, "0-47", [where("hs_timestamp", "LTE", "2025-03-01T10:00:00+01:00")])) == [early]
    assert ids(objects(client, "meetings", [where("hs_timestamp", "EQ", "2025-03-01T09:00:00.000Z")])) == [early]
    between = where("hs_timestamp", "BETWEEN", "2025-03-01T08:00:00Z", high_value=ten)
    assert ids(objects(client, "meetings", [between])) == [early]


def test_dates_and_booleans_of_custom_properties(client: HubSpot, twin: Twin) -> None:
    for name, type_, field_type in (("renewal_date", "date", "date"), ("is_partner", "bool", "booleancheckbox")):
        client.crm.properties.core_api.create(
            "contacts",
            PropertyCreate(name=name, label=name, type=type_, field_type=field_type, group_name="contactinformation"),
            _request_timeout=TIMEOUT,
        )
    may = twin.create_object("contacts", {"firstname": "May", "renewal_date": "2025-05-01", "is_partner": "true"})
    june = twin.create_object("contacts", {"firstname": "June", "renewal_date": "2025-06-01", "is_partner": "false"})
    midnight_june = str(int(datetime(2025, 6, 1, tzinfo=UTC).timestamp() * 1000))

    assert ids(contacts(client, [where("renewal_date", "EQ", midnight_june)])) == [june]
    assert ids(contacts(client, [where("renewal_date", "LT", "2025-06-01")])) == [may]
    assert ids(contacts(client, [where("renewal_date", "GTE", "2025-05-15T12:00:00Z")])) == [june]
    assert ids(contacts(client, [where("is_partner", "EQ", "TRUE")])) == [may]


# Enumerations -------------------------------------------------------------------------------------------------


def test_enumerations_match_case_sensitively_and_multi_checkboxes_by_any_option(
    client: HubSpot, people: dict[str, str]
) -> None:
    assert ids(contacts(client, [where("lifecyclestage", "EQ", "lead")])) == [people["ada"]]
    assert ids(contacts(client, [where("lifecyclestage", "EQ", "LEAD")])) == []
    assert ids(contacts(client, [where("lifecyclestage", "IN", values=["lead", "customer"])])) == [
        people["ada"], people["grace"],
    ]  # fmt: skip
    assert ids(contacts(client, [where("hs_buying_role", "EQ", "BLOCKER")])) == [people["ada"], people["mary"]]
    assert ids(contacts(client, [where("hs_buying_role", "NOT_IN", values=["CHAMPION"])])) == [
        people["grace"], people["mary"], people["linus"],
    ]  # fmt: skip


# Groups, query, associations ---------------------------------------------------------------------------------


def test_groups_are_ored_and_the_filters_of_a_group_anded(client: HubSpot, people: dict[str, str]) -> None:
    page = contacts(
        client,
        [where("firstname", "EQ", "ada"), where("lastname", "NEQ", "smith")],
        [where("email", "NOT_HAS_PROPERTY")],
        [where("firstname", "EQ", "linus"), where("lastname", "HAS_PROPERTY")],
    )

    assert ids(page) == [people["ada"], people["grace"]]
    assert page.total == 2


def test_query_searches_the_default_searchable_properties(client: HubSpot, people: dict[str, str]) -> None:
    assert ids(contacts(client, query="LOVE")) == [people["ada"]]
    assert ids(contacts(client, query="example.com")) == [people["ada"], people["linus"]]
    assert ids(contacts(client, query="mary smith")) == [people["mary"]]
    assert ids(contacts(client, query="admiral")) == []  # jobtitle is not searched by default
    assert ids(contacts(client, [where("lifecyclestage", "EQ", "lead")], query="linus")) == []


def test_associations_pseudo_property_finds_associated_records(client: HubSpot, twin: Twin) -> None:
    company = twin.create_object("companies", {"name": "Acme"})
    linked = twin.create_object("contacts", {"email": "in@acme.com"})
    twin.create_object("contacts", {"email": "out@acme.com"})
    twin.associate("contacts", linked, "companies", company)

    assert ids(contacts(client, [where("associations.company", "EQ", company)])) == [linked]


def test_unknown_property_in_a_filter_or_a_sort_is_a_400(client: HubSpot, people: dict[str, str]) -> None:
    status, body = api_error(lambda: contacts(client, [where("no_such_property", "EQ", "x")]))
    assert status == 400
    assert body["category"] == "VALIDATION_ERROR"
    assert body["context"] == {"propertyName": ["no_such_property"]}

    status, body = api_error(lambda: contacts(client, sorts=[{"propertyName": "nope", "direction": "ASCENDING"}]))
    assert (status, body["context"]) == (400, {"propertyName": ["nope"]})


def test_operators_without_their_operands_are_refused(client: HubSpot, server: Any) -> None:
    status, body = api_error(lambda: contacts(client, [where("firstname", "BETWEEN", "a")]))
    assert status == 400
    assert "operator BETWEEN requires a highValue" in body["message"]

    like = {"propertyName": "email", "operator": "LIKE", "value": "x"}
    reply = call(server, "POST", "/crm/v3/objects/contacts/search", {"filterGroups": [{"filters": [like]}]})
    assert reply.status == 400
    assert "FilterOperator" in reply.body["message"]

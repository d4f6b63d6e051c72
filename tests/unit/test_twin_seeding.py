"""Seeding a portal in bulk through the Python API: ``Twin.bulk_create`` and ``Twin.bulk_associate_primary``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from hubspot_twin import HubSpotError, Twin
from hubspot_twin.crm.changes import Change, integration


@pytest.fixture
def twin() -> Twin:
    return Twin()


@pytest.fixture
def changes(twin: Twin) -> Iterator[list[Change]]:
    """Record every change published while the test runs."""
    seen: list[Change] = []
    unsubscribe = twin.feed.subscribe(seen.append)
    yield seen
    unsubscribe()


def test_bulk_create_returns_increasing_ids_in_input_order_of_records_stored_like_creates(twin: Twin) -> None:
    single = twin.create_object("contacts", {"email": "single@example.com"})

    ids = twin.bulk_create("contacts", [{"email": " Ada@Example.COM ", "firstname": "Ada"}, {"lifecyclestage": "lead"}])

    assert [int(i) for i in ids] == [int(single) + 1, int(single) + 2]
    ada = twin.get_object("contacts", ids[0])
    assert (ada["email"], ada["firstname"], ada["hs_object_id"]) == ("ada@example.com", "Ada", ids[0])
    assert ada["createdate"] == ada["lastmodifieddate"]
    assert [row[0] for row in twin.live_objects("contacts")] == [single, *ids]


def test_a_seed_publishes_nothing_unless_asked(twin: Twin, changes: list[Change]) -> None:
    twin.bulk_create("companies", [{"name": "Quiet"}])
    published = twin.bulk_create("companies", [{"name": "Loud"}], publish=True, source=integration("99"))

    assert [(c.kind, c.object_id, c.source.source_id, c.properties["name"]) for c in changes] == [
        ("created", published[0], "99", "Loud")
    ]


def test_bulk_create_is_all_or_nothing_and_names_the_refused_record(twin: Twin) -> None:
    with pytest.raises(HubSpotError) as raised:
        twin.bulk_create("contacts", [{"email": "fine@example.com"}, {"email": "not an email"}])

    assert raised.value.status == 400
    assert "record 1 of the seed of contacts" in (raised.value.__notes__ or [])
    assert twin.live_objects("contacts") == []


def test_bulk_create_refuses_an_email_repeated_in_the_seed_or_held_already(twin: Twin) -> None:
    holder = twin.create_object("contacts", {"email": "taken@example.com"})

    with pytest.raises(HubSpotError) as repeated:
        twin.bulk_create("contacts", [{"email": "twice@example.com"}, {"email": "TWICE@example.com"}])
    with pytest.raises(HubSpotError) as taken:
        twin.bulk_create("contacts", [{"email": "taken@example.com"}])

    assert (repeated.value.status, repeated.value.message) == (
        400,
        "Duplicate email found in batch input: twice@example.com",
    )
    assert (taken.value.status, taken.value.message) == (409, f"Contact already exists. Existing ID: {holder}")
    assert [row[0] for row in twin.live_objects("contacts")] == [holder]


def test_bulk_create_refuses_calculated_properties_unless_written_as_hubspot(twin: Twin) -> None:
    with pytest.raises(HubSpotError):
        twin.bulk_create("contacts", [{"hs_analytics_num_page_views": "3"}])

    ids = twin.bulk_create("contacts", [{"hs_analytics_num_page_views": "3"}], system=True)

    assert twin.get_object("contacts", ids[0])["hs_analytics_num_page_views"] == "3"


def test_bulk_associate_primary_sets_each_primary_company_and_associatedcompanyid(
    twin: Twin, changes: list[Change]
) -> None:
    first, second = twin.bulk_create("companies", [{"name": "First"}, {"name": "Second"}])
    contacts = twin.bulk_create("contacts", [{"firstname": f"C{n}"} for n in range(3)])
    twin.associate("contacts", contacts[2], "companies", first, primary=True)
    changes.clear()

    twin.bulk_associate_primary([(contacts[0], first), (contacts[1], second), (contacts[2], second)])

    assert [twin.primary_company_id(c) for c in contacts] == [first, second, second]
    assert [twin.get_object("contacts", c)["associatedcompanyid"] for c in contacts] == [first, second, second]
    assert twin.associated_ids("contacts", contacts[2], "companies") == [first, second]  # the old one, demoted
    assert twin.associated_ids("companies", second, "contacts") == contacts[1:]
    assert changes == []


def test_bulk_associate_primary_publishes_like_associate_when_asked(twin: Twin, changes: list[Change]) -> None:
    company = twin.create_object("companies", {"name": "Acme"})
    contact = twin.create_object("contacts", {"firstname": "Ada"})
    changes.clear()

    twin.bulk_associate_primary([(contact, company)], publish=True)

    assert [(c.kind, c.object_type, c.is_primary) for c in changes] == [
        ("associated", "contacts", True),
        ("updated", "contacts", False),
    ]
    assert changes[1].properties == {"associatedcompanyid": company}


def test_bulk_associate_primary_checks_every_pair_before_associating_any(twin: Twin) -> None:
    company = twin.create_object("companies", {"name": "Acme"})
    contact = twin.create_object("contacts", {"firstname": "Ada"})

    with pytest.raises(HubSpotError) as raised:
        twin.bulk_associate_primary([(contact, company), (contact, "999999")])

    assert raised.value.status == 404
    assert twin.primary_company_id(contact) is None
    assert "associatedcompanyid" not in twin.get_object("contacts", contact)


def test_deals_take_primary_companies_in_bulk_and_tasks_have_none(twin: Twin) -> None:
    company = twin.create_object("companies", {"name": "Acme"})
    deal = twin.create_object("deals", {"dealname": "Big"})
    task = twin.create_object("tasks", {"hs_timestamp": "2025-01-01T00:00:00Z"})

    twin.bulk_associate_primary([(deal, company)], from_type="deals")
    with pytest.raises(HubSpotError) as raised:
        twin.bulk_associate_primary([(task, company)], from_type="tasks")

    assert dict(twin.store.associated(("deals", deal), "companies")) == {company: frozenset({"primary", "unlabeled"})}
    assert raised.value.status == 400

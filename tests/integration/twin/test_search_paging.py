"""CRM search through the official SDK: sorting, paging, returned properties, HubSpot's limits, every object type
and the index delay."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from functools import partial

import pytest
from hubspot import HubSpot
from hubspot.crm.contacts import CollectionResponseWithTotalSimplePublicObjectForwardPaging as ContactPage

from hubspot_twin import Twin
from hubspot_twin.catalog import OBJECT_TYPES
from hubspot_twin.crm.search import CAP_MESSAGE, SearchSettings
from tests.integration.twin.search_support import (
    companies,
    contacts,
    ids,
    objects,
    request,
    seed_firms,
    seed_people,
    where,
)
from tests.integration.twin.support import TIMEOUT, TOKEN, api_error


@pytest.fixture
def people(twin: Twin) -> dict[str, str]:
    """Four contacts; Linus has no last name, Grace no email."""
    return seed_people(twin)


@pytest.fixture
def firms(twin: Twin) -> list[str]:
    """Companies with 9, 10, 100 and no employees."""
    return seed_firms(twin)


# Sorting, paging, totals, properties ---------------------------------------------------------------------------


def test_one_sort_in_either_direction_puts_records_without_a_value_last(client: HubSpot, firms: list[str]) -> None:
    up = companies(client, sorts=[{"propertyName": "numberofemployees", "direction": "ASCENDING"}])
    down = companies(client, sorts=[{"propertyName": "numberofemployees", "direction": "DESCENDING"}])

    assert ids(up) == firms
    assert ids(down) == [firms[2], firms[1], firms[0], firms[3]]
    assert ids(companies(client, sorts=["-name"])) == firms[::-1]


def test_without_sorts_results_come_oldest_first_with_default_properties(
    client: HubSpot, people: dict[str, str]
) -> None:
    page = contacts(client)

    assert isinstance(page, ContactPage)
    assert ids(page) == list(people.values())
    assert set(page.results[0].properties) == {"createdate", "email", "firstname", "hs_object_id", "lastmodifieddate",
                                               "lastname"}  # fmt: skip
    assert page.paging is None


def test_requested_properties_come_with_the_ones_every_read_carries(client: HubSpot, people: dict[str, str]) -> None:
    page = contacts(client, [where("firstname", "EQ", "grace")], properties=["jobtitle", "phone", "nope"])

    assert page.results[0].properties == {
        "createdate": page.results[0].properties["createdate"],
        "hs_object_id": people["grace"],
        "jobtitle": "Admiral",
        "lastmodifieddate": page.results[0].properties["lastmodifieddate"],
        "phone": None,
    }


def test_paging_walks_to_the_end_with_offsets_and_a_constant_total(client: HubSpot, twin: Twin) -> None:
    created = [twin.create_object("companies", {"name": f"Co {i:02d}"}) for i in range(25)]
    seen: list[str] = []
    after: str | None = None
    afters: list[str | None] = []
    while True:
        page = companies(client, limit=10, after=after)
        assert page.total == 25
        seen += ids(page)
        afters.append(after)
        if page.paging is None:
            break
        after = page.paging.next.after

    assert seen == created
    assert afters == [None, "10", "20"]


def test_limit_200_is_accepted_and_201_refused(client: HubSpot, twin: Twin) -> None:
    for i in range(201):
        twin.create_object("companies", {"name": f"Co {i}"})

    page = companies(client, limit=200)
    assert (len(page.results), page.total, page.paging.next.after) == (200, 201, "200")

    status, body = api_error(lambda: companies(client, limit=201))
    assert status == 400
    assert body["category"] == "VALIDATION_ERROR"


def test_a_page_reaching_past_the_10000th_result_is_refused(client: HubSpot, firms: list[str]) -> None:
    # Paging up to the cap over 10,001 records is covered in tests/unit/test_twin_search.py (seeding that many
    # records through the store takes seconds).
    assert companies(client, limit=200, after="9800").total == len(firms)

    for after, limit in (("10000", 10), ("9900", 200), ("9999", 2)):
        status, body = api_error(partial(companies, client, limit=limit, after=after))
        assert (status, body["message"], body["category"]) == (400, CAP_MESSAGE, "VALIDATION_ERROR")


def test_archived_records_never_appear(client: HubSpot, twin: Twin, people: dict[str, str]) -> None:
    twin.archive_object("contacts", people["ada"])

    page = contacts(client, [where("firstname", "HAS_PROPERTY")])

    assert page.total == 3
    assert people["ada"] not in ids(page)


# HubSpot's request limits ------------------------------------------------------------------------------------


def test_at_most_5_groups_6_filters_a_group_and_18_filters_in_all(client: HubSpot, people: dict[str, str]) -> None:
    one = where("firstname", "HAS_PROPERTY")
    assert contacts(client, *[[one] * 6] * 3).total == 4

    for groups in ([[one]] * 6, [[one] * 7], [[one] * 5] * 3 + [[one] * 4]):
        status, body = api_error(partial(contacts, client, *groups))
        assert (status, body["category"]) == (400, "VALIDATION_ERROR")


def test_one_sort_and_3000_query_characters_at_most(client: HubSpot, people: dict[str, str]) -> None:
    assert contacts(client, query="a" * 3000).total == 0
    too_many_sorts = [{"propertyName": "firstname"}, {"propertyName": "lastname"}]

    for fields in ({"query": "a" * 3001}, {"sorts": too_many_sorts}):
        status, _body = api_error(partial(contacts, client, **fields))
        assert status == 400


# Every object type, and the index delay ----------------------------------------------------------------------


@pytest.mark.parametrize("type_id", [otype.type_id for otype in OBJECT_TYPES])
def test_every_object_type_is_searchable_by_type_id(client: HubSpot, type_id: str) -> None:
    page = objects(client, type_id, [where("hs_object_id", "GT", "0")])

    assert (page.total, page.results, page.paging) == (0, [], None)


def test_deals_and_tasks_through_their_own_sdk_apis(client: HubSpot, twin: Twin) -> None:
    big = twin.create_object("deals", {"dealname": "Big deal", "amount": "1000", "dealstage": "appointmentscheduled"})
    twin.create_object("deals", {"dealname": "Small deal", "amount": "99.5", "dealstage": "appointmentscheduled"})
    task = twin.create_object("tasks", {"hs_task_subject": "Call Ada back", "hs_timestamp": "2025-01-01T00:00:00Z"})
    deals = client.crm.deals.search_api.do_search(
        public_object_search_request=request([where("amount", "GTE", "100")], query="deal"), _request_timeout=TIMEOUT
    )
    tasks = client.crm.objects.tasks.search_api.do_search(
        public_object_search_request=request(query="ada"), _request_timeout=TIMEOUT
    )

    assert (ids(deals), deals.results[0].properties["pipeline"]) == ([big], "default")
    assert (ids(tasks), set(tasks.results[0].properties)) == ([task], {"hs_createdate", "hs_lastmodifieddate",
                                                                          "hs_object_id"})  # fmt: skip


@pytest.fixture
def delayed() -> Iterator[tuple[HubSpot, Twin, list[datetime]]]:
    """A twin on a hand-moved clock whose search index lags 5 seconds behind writes."""
    clock = [datetime(2025, 1, 1, tzinfo=UTC)]
    twin = Twin(access_tokens={TOKEN}, clock=lambda: clock[0])
    twin.app.config["TWIN_SEARCH"] = SearchSettings(indexing_delay_seconds=5)
    with twin.serve() as server:
        yield HubSpot(access_token=TOKEN, host=server.url, client_side_validation=True), twin, clock


def test_an_index_delay_hides_new_records_and_recent_changes(delayed: tuple[HubSpot, Twin, list[datetime]]) -> None:
    client, twin, clock = delayed
    contact = twin.create_object("contacts", {"firstname": "Ada"})

    clock[0] += timedelta(seconds=4)
    assert contacts(client).total == 0
    clock[0] += timedelta(seconds=2)
    assert ids(contacts(client, [where("firstname", "EQ", "ada")])) == [contact]

    twin.update_object("contacts", contact, {"firstname": "Grace"})
    clock[0] += timedelta(seconds=1)
    assert ids(contacts(client, [where("firstname", "EQ", "ada")])) == [contact]
    assert contacts(client, [where("firstname", "EQ", "grace")]).total == 0
    clock[0] += timedelta(seconds=5)
    assert ids(contacts(client, [where("firstname", "EQ", "grace")])) == [contact]


def test_the_index_delay_may_be_configured_as_a_mapping(delayed: tuple[HubSpot, Twin, list[datetime]]) -> None:
    client, twin, clock = delayed
    twin.app.config["TWIN_SEARCH"] = {"indexing_delay_seconds": 60}
    twin.create_object("contacts", {"firstname": "Ada"})

    clock[0] += timedelta(seconds=59)
    assert contacts(client).total == 0
    clock[0] += timedelta(seconds=1)
    assert contacts(client).total == 1

"""The twin's search at the unit level: HubSpot's 10,000-result cap over more records than it can page through,
and EQ filters narrowing a search to the records they name."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from hubspot_twin import Twin
from hubspot_twin.catalog import COMPANIES, CONTACTS
from hubspot_twin.crm.schema import Schema
from hubspot_twin.crm.search import CAP_MESSAGE, MAX_RESULTS, SearchRequest, Sort, check_window, narrowed, search
from hubspot_twin.crm.search_filters import Filter
from hubspot_twin.errors import HubSpotError
from hubspot_twin.model import CrmObject

NOW = datetime(2025, 1, 1, tzinfo=UTC)
CREATED = "2024-12-31T00:00:00.000Z"


def companies(count: int) -> list[CrmObject]:
    return [
        CrmObject(str(1001 + n), "companies", CREATED, CREATED, {"name": f"Co {n}", "hs_object_id": str(1001 + n)})
        for n in range(count)
    ]


def page_of(records: list[CrmObject], limit: int, after: int) -> tuple[int, list[str], str | None]:
    definitions = Schema(CREATED).definitions(COMPANIES)
    page = search(records, COMPANIES, definitions, SearchRequest(limit=limit, after=after), now=NOW)
    return page.total, [obj.id for obj in page.results], page.next_after


def test_the_last_reachable_page_still_names_the_offset_10000_when_more_results_exist() -> None:
    records = companies(MAX_RESULTS + 1)

    total, ids, next_after = page_of(records, limit=200, after=9800)

    assert (total, len(ids), next_after) == (10_001, 200, "10000")
    assert ids == [obj.id for obj in records[9800:10_000]]


def test_exactly_10000_results_end_without_paging() -> None:
    assert page_of(companies(MAX_RESULTS), limit=200, after=9800)[2] is None


def test_limit_0_counts_without_results_or_paging() -> None:
    assert page_of(companies(3), limit=0, after=0) == (3, [], None)


@pytest.mark.parametrize(("after", "limit"), [(10_000, 10), (9_901, 100), (9_999, 2), (-1, 10)])
def test_a_page_reaching_past_the_cap_is_hubspots_400(after: int, limit: int) -> None:
    with pytest.raises(HubSpotError) as raised:
        check_window(after, limit)

    assert (raised.value.status, raised.value.message) == (400, CAP_MESSAGE)


@pytest.mark.parametrize(("after", "limit"), [(0, 200), (9_800, 200), (9_999, 1)])
def test_pages_within_the_first_10000_results_are_served(after: int, limit: int) -> None:
    check_window(after, limit)


def test_eq_filters_on_text_narrow_a_search_to_the_records_they_name_without_changing_its_answer() -> None:
    twin = Twin()
    names = ["Ada", "ADA", "ada ", "Straße", "STRASSE", "Grace", ""]
    ids = twin.bulk_create("contacts", [{"firstname": name, "jobtitle": f"T{n % 3}"} for n, name in enumerate(names)])
    twin.bulk_create("contacts", [{"email": f"p{n}@example.com", "firstname": "Ada"} for n in range(3)])
    twin.update_object("contacts", ids[5], {"firstname": "ada"})
    twin.archive_object("contacts", ids[1])
    store, definitions = twin.store, twin.store.schema.definitions(CONTACTS)
    requests = [
        SearchRequest(filter_groups=((Filter("firstname", "EQ", "aDa"),),), limit=100),
        SearchRequest(filter_groups=((Filter("firstname", "EQ", "strasse"),),), limit=100),
        SearchRequest(filter_groups=((Filter("firstname", "EQ", "ada"), Filter("jobtitle", "EQ", "t0")),), limit=100),
        SearchRequest(
            filter_groups=((Filter("email", "EQ", "P1@EXAMPLE.COM"),), (Filter("firstname", "EQ", "grace"),))
        ),
        SearchRequest(required=(Filter("firstname", "EQ", "ada"),), filter_groups=((Filter("jobtitle", "EQ", "T1"),),)),
        SearchRequest(filter_groups=((Filter("firstname", "EQ", "ada"),),), sorts=(Sort("firstname", True),), limit=2),
    ]

    for wanted in requests:
        candidates = narrowed(wanted, definitions, lambda n, v: store.values.holders("contacts", n, v, folded=True))
        assert candidates is not None
        everything = list(store.objects["contacts"].values())
        full, narrow = (search(rows, CONTACTS, definitions, wanted, now=NOW) for rows in (everything, candidates))
        assert (narrow.total, [o.id for o in narrow.results], narrow.next_after) == (
            full.total,
            [o.id for o in full.results],
            full.next_after,
        )
        assert len(candidates) < len(everything)


@pytest.mark.parametrize(
    "groups",
    [
        (),
        ((Filter("firstname", "EQ", "ada"),), (Filter("lastname", "NEQ", "x"),)),
        ((Filter("firstname", "CONTAINS_TOKEN", "ada"),),),
        ((Filter("hs_object_id", "EQ", "1001"),),),
        ((Filter("lifecyclestage", "EQ", "lead"),),),
        ((),),
    ],
)
def test_a_search_without_an_eq_on_text_in_every_group_reads_every_record(
    groups: tuple[tuple[Filter, ...], ...],
) -> None:
    definitions = Schema(CREATED).definitions(CONTACTS)

    assert narrowed(SearchRequest(filter_groups=groups), definitions, lambda _n, _v: []) is None

"""The twin's search at the unit level: HubSpot's 10,000-result cap over more records than it can page through."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from hubspot_twin.catalog import COMPANIES
from hubspot_twin.errors import HubSpotError
from hubspot_twin.model import CrmObject
from hubspot_twin.schema import Schema
from hubspot_twin.search import CAP_MESSAGE, MAX_RESULTS, SearchRequest, check_window, search

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

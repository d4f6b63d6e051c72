"""The company cache on a real Redis: hits, misses per property set, expiry, and no old values after a change."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence

import pytest
import redis

from app.sync.hubspot.company_cache import CompanyCache, read_companies
from app.sync.hubspot.gateway import HubSpotGateway, Properties

PROPS = ["industry", "numberofemployees"]


class CompanyReads:
    """Stands in for HubSpot's company batch read only: records each read, answers from `companies`."""

    def __init__(self, companies: dict[str, Properties]) -> None:
        self.companies = companies
        self.reads: list[list[str]] = []

    def read_objects(self, object_type: str, ids: Sequence[str], properties: Sequence[str]) -> dict[str, Properties]:
        assert object_type == "company"
        self.reads.append(list(ids))
        return {i: {p: self.companies[i].get(p) for p in properties} for i in ids if i in self.companies}


@pytest.fixture
def cache(redis_client: redis.Redis) -> CompanyCache:
    return CompanyCache(redis_client, "test", ttl_seconds=60)


def read(reads: CompanyReads, cache: CompanyCache | None, ids: list[str], props: list[str] = PROPS) -> Mapping:
    gateway: HubSpotGateway = reads  # type: ignore[assignment]  # only read_objects is used
    return read_companies(gateway, cache, ids, props)


def test_a_company_is_read_from_hubspot_once_then_from_the_cache(cache: CompanyCache) -> None:
    reads = CompanyReads({"1": {"industry": "MACHINERY", "numberofemployees": "250"}, "2": {"industry": "RETAIL"}})
    assert read(reads, cache, ["1"]) == {"1": {"industry": "MACHINERY", "numberofemployees": "250"}}
    assert read(reads, cache, ["1", "2"]) == {
        "1": {"industry": "MACHINERY", "numberofemployees": "250"},
        "2": {"industry": "RETAIL", "numberofemployees": None},
    }
    assert read(reads, cache, ["2", "1"])["2"]["industry"] == "RETAIL"
    assert reads.reads == [["1"], ["2"]], "only what the cache lacked was read, once"


def test_another_set_of_properties_misses_and_unknown_companies_are_never_kept(cache: CompanyCache) -> None:
    reads = CompanyReads({"1": {"industry": "MACHINERY", "country": "Germany"}})
    read(reads, cache, ["1"])
    assert read(reads, cache, ["1"], ["industry", "country"]) == {"1": {"industry": "MACHINERY", "country": "Germany"}}
    assert read(reads, cache, ["404"]) == {} and read(reads, cache, ["404"]) == {}
    assert reads.reads == [["1"], ["1"], ["404"], ["404"]]


def test_a_forgotten_company_is_read_again(cache: CompanyCache) -> None:
    reads = CompanyReads({"1": {"industry": "MACHINERY"}})
    read(reads, cache, ["1"])
    reads.companies["1"] = {"industry": "RETAIL"}
    cache.forget(["1"])
    assert read(reads, cache, ["1"])["1"]["industry"] == "RETAIL"
    assert len(reads.reads) == 2


def test_values_read_before_a_change_are_not_kept_after_it(cache: CompanyCache) -> None:
    """A drain looks the company up, reads the old values from HubSpot, and only then stores them: the change the
    resolver forgot the company for in between must win."""
    lookup = cache.lookup(["1"], PROPS)
    assert lookup.found == {} and lookup.generations == {"1": "0"}
    cache.forget(["1"])  # HubSpot said the company changed, while the drain's read was in flight
    assert cache.store({"1": {"industry": "MACHINERY (old)"}}, PROPS, lookup.generations) == 0
    assert cache.lookup(["1"], PROPS).found == {}
    fresh = cache.lookup(["1"], PROPS)
    assert cache.store({"1": {"industry": "RETAIL"}}, PROPS, fresh.generations) == 1
    assert cache.lookup(["1"], PROPS).found == {"1": {"industry": "RETAIL"}}


def test_entries_expire_after_the_ttl(redis_client: redis.Redis) -> None:
    cache = CompanyCache(redis_client, "test", ttl_seconds=1)
    reads = CompanyReads({"1": {"industry": "MACHINERY"}})
    read(reads, cache, ["1"])
    assert 0 < redis_client.ttl("test:company:1") <= 1
    time.sleep(1.2)
    read(reads, cache, ["1"])
    assert len(reads.reads) == 2


def test_without_a_cache_every_read_goes_to_hubspot() -> None:
    reads = CompanyReads({"1": {"industry": "MACHINERY"}})
    read(reads, None, ["1"])
    read(reads, None, ["1"])
    assert read(reads, None, []) == {}
    assert reads.reads == [["1"], ["1"]]

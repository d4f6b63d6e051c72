"""The SDK gateway against the twin behind a fault layer: retries where HubSpot says so, never otherwise."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from app.sync.hubspot.errors import PermanentHubSpotError, RateLimited, TransientHubSpotError
from app.sync.hubspot.retry import RetryPolicy
from app.sync.hubspot.sdk import SdkGateway
from hubspot_twin import Twin, TwinServer
from tests.support.faults import Fault, FaultyHubSpot, rate_limited

TOKEN = "gateway-token"
BATCH_READ = "/crm/v3/objects/contacts/batch/read"
BATCH_UPDATE = "/crm/v3/objects/contacts/batch/update"
POLICY = RetryPolicy(attempts=4, max_seconds=20, initial_backoff=0.01, max_backoff=0.02)


@pytest.fixture
def hubspot() -> Iterator[tuple[Twin, FaultyHubSpot, SdkGateway]]:
    twin = Twin(access_tokens={TOKEN})
    faulty = FaultyHubSpot(twin.app)
    with TwinServer(faulty).start() as server:  # type: ignore[arg-type]
        yield twin, faulty, SdkGateway(TOKEN, server.url, (1.0, 0.5), POLICY)


def contacts(twin: Twin, count: int) -> list[str]:
    return [twin.create_object("contacts", {"email": f"c{n}@example.com", "firstname": f"C{n}"}) for n in range(count)]


def calls(faulty: FaultyHubSpot, path: str) -> list[object]:
    return [body for _method, seen_path, body in faulty.seen if seen_path == path]


def test_batch_read_returns_what_hubspot_has_and_leaves_out_what_it_lacks(
    hubspot: tuple[Twin, FaultyHubSpot, SdkGateway],
) -> None:
    twin, _, gateway = hubspot
    ids = contacts(twin, 2)
    found = gateway.read_objects("contact", [*ids, "999999"], ["email", "firstname"])
    assert sorted(found) == sorted(ids)
    assert found[ids[0]]["email"] == "c0@example.com"


def test_a_429_is_retried_after_the_time_hubspot_asks_for(hubspot: tuple[Twin, FaultyHubSpot, SdkGateway]) -> None:
    twin, faulty, gateway = hubspot
    ids = contacts(twin, 1)
    faulty.add(rate_limited(BATCH_READ, times=2, retry_after="0.05"))
    assert list(gateway.read_objects("contact", ids, ["email"])) == ids
    assert len(calls(faulty, BATCH_READ)) == 3


def test_a_spent_daily_limit_is_not_retried(hubspot: tuple[Twin, FaultyHubSpot, SdkGateway]) -> None:
    twin, faulty, gateway = hubspot
    faulty.add(rate_limited(BATCH_READ, times=5, daily=True))
    with pytest.raises(RateLimited) as limited:
        gateway.read_objects("contact", contacts(twin, 1), ["email"])
    assert limited.value.daily
    assert len(calls(faulty, BATCH_READ)) == 1


def test_server_errors_are_retried_with_backoff_then_given_up(hubspot: tuple[Twin, FaultyHubSpot, SdkGateway]) -> None:
    twin, faulty, gateway = hubspot
    ids = contacts(twin, 1)
    faulty.add(Fault("POST", BATCH_READ, times=2, status=502))
    assert list(gateway.read_objects("contact", ids, ["email"])) == ids
    faulty.add(Fault("POST", BATCH_READ, times=10, status=503, body={"message": "down for maintenance"}))
    with pytest.raises(TransientHubSpotError, match="503: down for maintenance"):
        gateway.read_objects("contact", ids, ["email"])
    assert len(calls(faulty, BATCH_READ)) == 3 + POLICY.attempts


def test_a_timeout_is_retried(hubspot: tuple[Twin, FaultyHubSpot, SdkGateway]) -> None:
    twin, faulty, gateway = hubspot
    ids = contacts(twin, 1)
    faulty.add(Fault("POST", BATCH_READ, times=1, status=200, delay=1.0))
    assert list(gateway.read_objects("contact", ids, ["email"])) == ids
    assert len(calls(faulty, BATCH_READ)) == 2


def test_records_whose_update_went_unanswered_are_reported_once(
    hubspot: tuple[Twin, FaultyHubSpot, SdkGateway],
) -> None:
    twin, faulty, gateway = hubspot
    ids = contacts(twin, 3)
    gateway.update_objects("contact", {ids[0]: {"firstname": "A"}})
    assert gateway.uncertain_writes("contact") == set()  # answered: nothing to look at again

    faulty.add(Fault("POST", BATCH_UPDATE, times=1, status=200, delay=1.0))  # times out, may still be applied
    assert gateway.update_objects("contact", {ids[1]: {"firstname": "B"}, ids[2]: {"firstname": "C"}}) == {}
    assert len(calls(faulty, BATCH_UPDATE)) == 3
    assert gateway.uncertain_writes("company") == set()
    assert gateway.uncertain_writes("contact") == {ids[1], ids[2]}
    assert gateway.uncertain_writes("contact") == set()


def test_a_rejected_request_is_not_retried_and_says_why_without_the_token(
    hubspot: tuple[Twin, FaultyHubSpot, SdkGateway],
) -> None:
    twin, faulty, gateway = hubspot
    ids = contacts(twin, 1)
    with pytest.raises(PermanentHubSpotError) as rejected:
        gateway.update_objects("contact", {ids[0]: {"no_such_property": "x"}})
    assert rejected.value.status == 400
    assert "no_such_property" in str(rejected.value)
    assert TOKEN not in str(rejected.value)
    assert len(calls(faulty, BATCH_UPDATE)) == 1


def test_a_partial_failure_retries_only_the_refused_records(hubspot: tuple[Twin, FaultyHubSpot, SdkGateway]) -> None:
    twin, faulty, gateway = hubspot
    ids = contacts(twin, 3)
    faulty.add(Fault("POST", BATCH_UPDATE, times=1, refuse_ids=frozenset({ids[1]})))
    refused = gateway.update_objects("contact", {cid: {"firstname": "Written"} for cid in ids})
    assert refused == {}
    bodies = calls(faulty, BATCH_UPDATE)
    assert [[item["id"] for item in body["inputs"]] for body in bodies] == [ids, [ids[1]]]  # type: ignore[index]
    assert all(twin.get_object("contacts", cid)["firstname"] == "Written" for cid in ids)


def test_a_record_hubspot_cannot_find_is_reported_not_retried(hubspot: tuple[Twin, FaultyHubSpot, SdkGateway]) -> None:
    twin, faulty, gateway = hubspot
    ids = contacts(twin, 2)
    faulty.add(Fault("POST", BATCH_UPDATE, times=1, refuse_ids=frozenset({ids[0]}), category="OBJECT_NOT_FOUND"))
    refused = gateway.update_objects("contact", {cid: {"firstname": "Written"} for cid in ids})
    assert list(refused) == [ids[0]]
    assert "OBJECT_NOT_FOUND" in refused[ids[0]]
    assert len(calls(faulty, BATCH_UPDATE)) == 1


def test_association_reads_follow_every_page(hubspot: tuple[Twin, FaultyHubSpot, SdkGateway]) -> None:
    twin, _, gateway = hubspot
    company = twin.create_object("companies", {"name": "Big Co"})
    ids = contacts(twin, 30)
    for cid in ids:
        twin.associate("contacts", cid, "companies", company, primary=True)
    linked = gateway.read_associations("company", "contact", [company])
    assert sorted({cid for cid, _type in linked[company]}) == sorted(ids)
    primary = gateway.read_associations("contact", "company", ids[:2])
    assert all((company, 1) in primary[cid] for cid in ids[:2])


def test_listing_walks_every_page_of_contacts(hubspot: tuple[Twin, FaultyHubSpot, SdkGateway]) -> None:
    twin, _, gateway = hubspot
    ids = contacts(twin, 230)
    seen: list[str] = []
    after: str | None = None
    while True:
        page, after = gateway.list_objects("contact", after, ["hs_object_id"])
        seen.extend(page)
        if after is None:
            break
    assert sorted(seen) == sorted(ids)


def test_list_and_sequence_calls_retry_and_report_as_every_call_does(
    hubspot: tuple[Twin, FaultyHubSpot, SdkGateway],
) -> None:
    twin, faulty, gateway = hubspot
    seen: list[tuple[str, int | None]] = []
    gateway._observer = lambda operation, status, _seconds: seen.append((operation, status))
    (contact_id,) = contacts(twin, 1)
    twin.create_owner("rep@example.com", "Rep", "One")
    user_id, sequence_id, list_id = str(twin.owners()[0]["userId"]), twin.create_sequence("s"), twin.create_list("l")
    members, enroll = f"/crm/v3/lists/{list_id}/memberships/add", "/automation/v4/sequences/enrollments"
    faulty.add(Fault("PUT", members, times=1, status=502))
    faulty.add(rate_limited(enroll, retry_after="0.05"))
    assert gateway.add_list_members(list_id, [contact_id]) == []
    enrollment_id = gateway.enroll_in_sequence(sequence_id, contact_id, user_id, "rep@example.com")
    assert twin.list_members(list_id) == [contact_id]
    enrolled = twin.enrollment(contact_id)
    assert enrolled is not None and (enrolled["id"], enrolled["enrolledBy"]) == (enrollment_id, user_id)
    assert seen == [("add list members", 502), ("add list members", 200), ("enroll in sequence", 429),
                    ("enroll in sequence", 200)]  # fmt: skip
    faulty.add(Fault("PUT", members, times=1, status=400, body={"message": "no such thing"}))
    with pytest.raises(PermanentHubSpotError, match=f"add list members {list_id}: HubSpot answered 400"):
        gateway.add_list_members(list_id, [contact_id])
    assert len(calls(faulty, members)) == 3  # a refusal is not retried


def test_a_429_with_retry_after_is_never_retried_behind_the_gateways_back(
    hubspot: tuple[Twin, FaultyHubSpot, SdkGateway],
) -> None:
    """urllib3 by itself would retry an idempotent request's 429 or 503 that carries Retry-After: an attempt the
    shared budget and the call metrics never saw. Each attempt is the gateway's own."""
    twin, faulty, gateway = hubspot
    seen: list[tuple[str, int | None]] = []
    gateway._observer = lambda operation, status, _seconds: seen.append((operation, status))
    (contact_id,) = contacts(twin, 1)
    list_id = twin.create_list("l")
    members = f"/crm/v3/lists/{list_id}/memberships/add"
    limited = rate_limited(members, retry_after="1")
    faulty.add(Fault("PUT", members, 1, 429, limited.body, {"Retry-After": "1"}))
    faulty.add(Fault("PUT", members, 1, 503, {"message": "busy"}, {"Retry-After": "1"}))
    assert gateway.add_list_members(list_id, [contact_id]) == []
    assert seen == [("add list members", 429), ("add list members", 503), ("add list members", 200)]
    assert len(calls(faulty, members)) == 3

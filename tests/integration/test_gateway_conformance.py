"""One contract, two gateways: the same checks against the in-memory HubSpot and the SDK gateway over the twin.

The fake (app/sync/hubspot/fake.py) stands in for HubSpot in the fast tests of the shell; these checks keep it
answering as the SDK gateway does over HTTP, so those tests cannot pass on behaviour the real thing lacks.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

import pytest

from app.rules.properties import GROUP_NAME, HANDOVER_GROUP_LABEL, HANDOVER_ID, handover_id_property
from app.sync.hubspot.errors import PermanentHubSpotError
from app.sync.hubspot.fake import InMemoryHubSpot
from app.sync.hubspot.gateway import API_OBJECT_TYPES, PRIMARY_COMPANY_ID, TASK_TO_CONTACT, HubSpotGateway
from app.sync.hubspot.retry import RetryPolicy
from app.sync.hubspot.sdk import SdkGateway
from hubspot_twin import Twin

TOKEN = "conformance-token"
POLICY = RetryPolicy(attempts=2, max_seconds=5, initial_backoff=0.01, max_backoff=0.02)
DUE = "2026-11-27T09:00:00.000Z"


class Portal(Protocol):
    gateway: HubSpotGateway

    def create(self, object_type: str, properties: dict[str, str]) -> str: ...

    def delete(self, object_type: str, object_id: str) -> None: ...

    def requests(self) -> int: ...

    def add_owner(self, email: str, first: str, last: str, active: bool) -> str: ...

    def add_list(self, processing_type: str) -> str: ...

    def list_members(self, list_id: str) -> list[str]: ...

    def add_sequence(self) -> str: ...

    def user_id(self, owner_id: str) -> str: ...


@dataclass
class MemoryPortal:
    gateway: InMemoryHubSpot

    def create(self, object_type: str, properties: dict[str, str]) -> str:
        return self.gateway.create(object_type, properties)

    def delete(self, object_type: str, object_id: str) -> None:
        self.gateway.delete(object_type, object_id)

    def requests(self) -> int:
        return len(self.gateway.calls)

    def add_owner(self, email: str, first: str, last: str, active: bool) -> str:
        return self.gateway.add_owner(email, f"{first} {last}", active=active)

    def add_list(self, processing_type: str) -> str:
        return self.gateway.add_list(processing_type)

    def list_members(self, list_id: str) -> list[str]:
        return list(self.gateway.lists[list_id][1])

    def add_sequence(self) -> str:
        return self.gateway.add_sequence()

    def user_id(self, owner_id: str) -> str:
        return next(str(owner.user_id) for owner in self.gateway.team if owner.id == owner_id)


@dataclass
class TwinPortal:
    gateway: SdkGateway
    twin: Twin

    def create(self, object_type: str, properties: dict[str, str]) -> str:
        return self.twin.create_object(API_OBJECT_TYPES[object_type], properties)

    def delete(self, object_type: str, object_id: str) -> None:
        self.twin.archive_object(API_OBJECT_TYPES[object_type], object_id)

    def requests(self) -> int:
        return self.twin.total_requests()

    def add_owner(self, email: str, first: str, last: str, active: bool) -> str:
        return self.twin.create_owner(email, first, last, archived=not active)

    def add_list(self, processing_type: str) -> str:
        return self.twin.create_list(f"list {processing_type}", processing_type)

    def list_members(self, list_id: str) -> list[str]:
        return self.twin.list_members(list_id)

    def add_sequence(self) -> str:
        return self.twin.create_sequence("after the handover")

    def user_id(self, owner_id: str) -> str:
        return next(str(owner["userId"]) for owner in self.twin.owners() if owner["id"] == owner_id)


def memory_portal() -> MemoryPortal:
    fake = InMemoryHubSpot()
    # The standard properties the checks use, which every HubSpot portal defines.
    fake.define("contact", "email", "firstname", "lastname", "country", "lifecyclestage")
    fake.define("task", "hs_timestamp", "hs_task_subject")
    return MemoryPortal(fake)


@pytest.fixture(params=["memory", "twin"])
def portal(request: pytest.FixtureRequest) -> Iterator[Portal]:
    if request.param == "memory":
        yield memory_portal()
        return
    twin = Twin(access_tokens={TOKEN})
    with twin.serve() as server:
        yield TwinPortal(SdkGateway(TOKEN, server.url, (2.0, 5.0), POLICY), twin)


def contacts(portal: Portal, count: int) -> list[str]:
    return [portal.create("contact", {"email": f"c{n}@example.com", "firstname": f"C{n}"}) for n in range(count)]


def test_a_batch_read_returns_what_hubspot_has_and_leaves_out_the_rest(portal: Portal) -> None:
    ids = contacts(portal, 2)
    found = portal.gateway.read_objects("contact", [*ids, "999999"], ["email", "lastname"])
    assert sorted(found) == sorted(ids)
    assert (found[ids[0]]["email"], found[ids[0]]["lastname"]) == ("c0@example.com", None)


def test_an_update_reads_back_an_empty_value_clears_and_an_unknown_id_is_refused_alone(portal: Portal) -> None:
    (contact_id,) = contacts(portal, 1)
    refused = portal.gateway.update_objects(
        "contact", {contact_id: {"firstname": "Ada", "country": "Germany"}, "999999": {"firstname": "Nobody"}}
    )
    assert list(refused) == ["999999"]
    assert "OBJECT_NOT_FOUND" in refused["999999"]
    assert portal.gateway.update_objects("contact", {contact_id: {"country": ""}}) == {}
    values = portal.gateway.read_objects("contact", [contact_id], ["firstname", "country"])[contact_id]
    assert (values["firstname"], values["country"]) == ("Ada", None)


def test_the_lifecycle_stage_only_moves_forward_unless_it_is_cleared_first(portal: Portal) -> None:
    (contact_id,) = contacts(portal, 1)

    def stage_after(*writes: str) -> str | None:
        for value in writes:
            assert portal.gateway.update_objects("contact", {contact_id: {"lifecyclestage": value}}) == {}
        return portal.gateway.read_objects("contact", [contact_id], ["lifecyclestage"])[contact_id]["lifecyclestage"]

    assert stage_after("marketingqualifiedlead", "lead") == "marketingqualifiedlead"  # ignored, answered 200
    assert stage_after("", "lead") == "lead"


@pytest.mark.parametrize("name", ["no_such_property", PRIMARY_COMPANY_ID])
def test_an_undefined_or_read_only_property_fails_the_whole_update(portal: Portal, name: str) -> None:
    ids = contacts(portal, 2)
    with pytest.raises(PermanentHubSpotError, match=name) as refused:
        portal.gateway.update_objects("contact", {ids[0]: {"firstname": "Ada"}, ids[1]: {name: "1"}})
    assert refused.value.status == 400
    assert portal.gateway.read_objects("contact", ids[:1], ["firstname"])[ids[0]]["firstname"] == "C0"


def test_an_upsert_by_the_same_unique_value_twice_makes_one_record(portal: Portal) -> None:
    with pytest.raises(PermanentHubSpotError, match="group"):  # a property needs its group first
        portal.gateway.create_property("task", handover_id_property())
    portal.gateway.create_property_group("task", GROUP_NAME, HANDOVER_GROUP_LABEL)
    assert portal.gateway.property_group_exists("task", GROUP_NAME)
    portal.gateway.create_property("task", handover_id_property())
    first = portal.gateway.upsert_objects(
        "task", HANDOVER_ID, {"7-mql-1": {"hs_timestamp": DUE, "hs_task_subject": "A"}}
    )
    again = portal.gateway.upsert_objects(
        "task",
        HANDOVER_ID,
        {"7-mql-1": {"hs_task_subject": "B"}, "8-mql-1": {"hs_timestamp": DUE, "no_such_property": "x"}},
    )
    assert again.ids == first.ids and list(first.ids) == ["7-mql-1"]
    assert list(again.refused) == ["8-mql-1"]
    assert "VALIDATION_ERROR" in again.refused["8-mql-1"]
    task = portal.gateway.read_objects("task", list(first.ids.values()), ["hs_task_subject", HANDOVER_ID])
    assert [(t["hs_task_subject"], t[HANDOVER_ID]) for t in task.values()] == [("B", "7-mql-1")]
    by_subject = portal.gateway.upsert_objects("task", "hs_task_subject", {"B": {"hs_timestamp": DUE}})
    assert (by_subject.ids, list(by_subject.refused)) == ({}, ["B"])  # not a unique property


def test_listing_pages_by_100_with_a_cursor_and_a_count_is_one_request(portal: Portal) -> None:
    ids = contacts(portal, 230)
    before = portal.requests()
    pages: list[list[str]] = []
    after: str | None = None
    while True:
        page, after = portal.gateway.list_objects("contact", after, ["email"])
        pages.append(list(page))
        if after is None:
            break
    assert [len(page) for page in pages] == [100, 100, 30]
    assert sorted(i for page in pages for i in page) == sorted(ids)
    assert portal.gateway.count("contact") == 230
    assert portal.requests() - before == 4


def test_batch_calls_cost_one_request_per_100_records(portal: Portal) -> None:
    ids = contacts(portal, 150)
    before = portal.requests()
    assert len(portal.gateway.read_objects("contact", [*ids, *ids[:10]], ["email"])) == 150
    assert portal.gateway.update_objects("contact", {i: {"firstname": "X"} for i in ids}) == {}
    portal.gateway.update_objects("contact", {})  # nothing to write: no request
    assert portal.requests() - before == 4


def test_the_primary_company_is_the_contacts_associatedcompanyid(portal: Portal) -> None:
    gateway = portal.gateway
    (contact_id,) = contacts(portal, 1)
    first, second = (portal.create("company", {"name": name}) for name in ("First", "Second"))

    def primary() -> str | None:
        return gateway.read_objects("contact", [contact_id], [PRIMARY_COMPANY_ID])[contact_id][PRIMARY_COMPANY_ID]

    gateway.create_associations("contact", "company", [(contact_id, first, 1)])
    assert primary() == first
    gateway.create_associations("company", "contact", [(second, contact_id, 2)])  # seen from the company
    assert primary() == second
    links = gateway.read_associations("contact", "company", [contact_id])
    assert sorted(links[contact_id]) == sorted([(first, 279), (second, 1), (second, 279)])  # the old one demoted
    assert sorted(gateway.read_associations("company", "contact", [second])[second]) == [
        (contact_id, 2),
        (contact_id, 280),
    ]
    portal.delete("company", second)
    assert primary() is None


def test_association_type_ids_are_direction_specific_and_unknown_records_are_refused(portal: Portal) -> None:
    (contact_id,) = contacts(portal, 1)
    task_id = portal.create("task", {"hs_timestamp": DUE})
    portal.gateway.create_associations("task", "contact", [(task_id, contact_id, TASK_TO_CONTACT)])
    assert portal.gateway.read_associations("contact", "task", [contact_id]) == {contact_id: [(task_id, 203)]}
    with pytest.raises(PermanentHubSpotError, match="refused 1 pair"):
        portal.gateway.create_associations("task", "contact", [(task_id, "999999", TASK_TO_CONTACT)])


def test_owners_are_the_active_ones_then_the_archived_ones_in_two_requests(portal: Portal) -> None:
    gone = portal.add_owner("gone@example.com", "Gone", "Away", active=False)
    dana = portal.add_owner("dana.fuchs@example.com", "Dana", "Fuchs", active=True)
    before = portal.requests()
    owners = portal.gateway.owners()
    assert [(o.id, o.email, o.name, o.active) for o in owners] == [
        (dana, "dana.fuchs@example.com", "Dana Fuchs", True),
        (gone, "gone@example.com", "Gone Away", False),
    ]
    assert portal.requests() - before == 2


def test_list_members_are_added_in_one_request_and_the_ids_hubspot_lacks_come_back(portal: Portal) -> None:
    ids = contacts(portal, 2)
    list_id = portal.add_list("MANUAL")
    before = portal.requests()
    missing = portal.gateway.add_list_members(list_id, [ids[0], "999999", ids[1]])
    again = portal.gateway.add_list_members(list_id, [ids[0]])  # already a member: neither added nor missing
    assert (missing, again) == (["999999"], [])
    assert portal.requests() - before == 2
    assert portal.list_members(list_id) == ids


def test_a_lists_processing_type_is_read_and_an_unknown_list_is_none(portal: Portal) -> None:
    manual, dynamic = portal.add_list("MANUAL"), portal.add_list("DYNAMIC")
    before = portal.requests()
    found = [portal.gateway.list_processing_type(list_id) for list_id in (manual, dynamic, "424242")]
    assert found == ["MANUAL", "DYNAMIC", None]
    assert portal.requests() - before == 3


def test_a_dynamic_or_unknown_list_refuses_members(portal: Portal) -> None:
    (contact_id,) = contacts(portal, 1)
    dynamic = portal.add_list("DYNAMIC")
    with pytest.raises(PermanentHubSpotError) as refused:
        portal.gateway.add_list_members(dynamic, [contact_id])
    with pytest.raises(PermanentHubSpotError) as unknown:
        portal.gateway.add_list_members("424242", [contact_id])
    assert (refused.value.status, unknown.value.status) == (400, 404)
    assert portal.list_members(dynamic) == []


def test_a_contact_is_enrolled_in_a_sequence_once_by_the_owners_user(portal: Portal) -> None:
    (contact_id,) = contacts(portal, 1)
    owner_id = portal.add_owner("rep@example.com", "Rep", "One", True)
    user_id, sequence_id = portal.user_id(owner_id), portal.add_sequence()
    assert portal.gateway.sequence_enrollment(contact_id) is None
    enrollment_id = portal.gateway.enroll_in_sequence(sequence_id, contact_id, user_id, "rep@example.com")
    found = portal.gateway.sequence_enrollment(contact_id)
    assert found is not None and (found.id, found.sequence_id) == (enrollment_id, sequence_id)
    with pytest.raises(PermanentHubSpotError) as twice:
        portal.gateway.enroll_in_sequence(sequence_id, contact_id, user_id, "rep@example.com")
    assert twice.value.status == 400


def test_an_unknown_sequence_or_a_sender_not_the_users_is_refused(portal: Portal) -> None:
    (contact_id,) = contacts(portal, 1)
    owner_id = portal.add_owner("rep@example.com", "Rep", "One", True)
    user_id, sequence_id = portal.user_id(owner_id), portal.add_sequence()
    with pytest.raises(PermanentHubSpotError) as unknown:
        portal.gateway.enroll_in_sequence("123", contact_id, user_id, "rep@example.com")
    with pytest.raises(PermanentHubSpotError) as sender:
        portal.gateway.enroll_in_sequence(sequence_id, contact_id, user_id, "someone@example.com")
    assert (unknown.value.status, sender.value.status) == (404, 400)
    assert portal.gateway.sequence_enrollment(contact_id) is None

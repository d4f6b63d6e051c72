"""The handover's HubSpot calls through the SDK gateway against the twin: owners, upserts by handover id, links.

Tasks and deals are upserted by `leadflow_handover_id`, so sending the same handover again (a retry, a second
worker, a request that timed out after HubSpot wrote it) finds the record it created instead of adding one.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from app.rules.properties import GROUP_NAME, HANDOVER_GROUP_LABEL, HANDOVER_ID, handover_id_property
from app.sync.hubspot.errors import PermanentHubSpotError
from app.sync.hubspot.gateway import (
    DEAL_TO_COMPANY,
    DEAL_TO_CONTACT,
    TASK_TO_COMPANY,
    TASK_TO_CONTACT,
    TASK_TO_DEAL,
)
from app.sync.hubspot.retry import RetryPolicy
from app.sync.hubspot.sdk import SdkGateway
from hubspot_twin import Twin, TwinServer
from tests.support.faults import Fault, FaultyHubSpot, rate_limited

TOKEN = "handover-token"
TASK_UPSERT = "/crm/v3/objects/tasks/batch/upsert"
DEAL_UPSERT = "/crm/v3/objects/deals/batch/upsert"
POLICY = RetryPolicy(attempts=4, max_seconds=20, initial_backoff=0.01, max_backoff=0.02)
DUE = "2026-11-27T09:00:00.000Z"


@dataclass
class Portal:
    twin: Twin
    faulty: FaultyHubSpot
    gateway: SdkGateway
    url: str

    def calls(self, path: str, method: str = "POST") -> list[Any]:
        return [body for seen_method, seen_path, body in self.faulty.seen if (seen_method, seen_path) == (method, path)]

    def sent_keys(self, path: str) -> list[list[str]]:
        return [[item["id"] for item in body["inputs"]] for body in self.calls(path)]


@pytest.fixture
def portal() -> Iterator[Portal]:
    twin = Twin(access_tokens={TOKEN})
    faulty = FaultyHubSpot(twin.app)
    with TwinServer(faulty).start() as server:  # type: ignore[arg-type]
        gateway = SdkGateway(TOKEN, server.url, (1.0, 0.5), POLICY)
        for object_type in ("deal", "task"):  # what `leadflow setup` creates (tests/integration/test_setup.py)
            gateway.create_property_group(object_type, GROUP_NAME, HANDOVER_GROUP_LABEL)
            gateway.create_property(object_type, handover_id_property())
        yield Portal(twin, faulty, gateway, server.url)


def task(subject: str) -> dict[str, str]:
    return {"hs_task_subject": subject, "hs_timestamp": DUE, "hs_task_type": "CALL", "hs_task_priority": "HIGH"}


def deal(name: str) -> dict[str, str]:
    return {"dealname": name, "pipeline": "default", "dealstage": "appointmentscheduled"}


def live(twin: Twin, object_type: str) -> dict[str, dict[str, str]]:
    """Return the live records of a type by their handover id."""
    return {props[HANDOVER_ID]: {"id": oid, **props} for oid, _at, props in twin.live_objects(object_type)}


# Owners


def test_owners_lists_active_and_archived_owners_with_their_teams(portal: Portal) -> None:
    twin = portal.twin
    ada = twin.create_owner("Ada@Example.com", "Ada", "Lovelace", teams=("West", "Enterprise"))
    bob = twin.create_owner("bob@example.com", teams=("East",))
    gone = twin.create_owner("gone@example.com", "Gone", "Away", teams=("West",))
    twin.archive_owner(gone)
    owners = {owner.id: owner for owner in portal.gateway.owners()}
    assert set(owners) == {ada, bob, gone}
    assert (owners[ada].email, owners[ada].name, owners[ada].teams, owners[ada].active) == (
        "ada@example.com",
        "Ada Lovelace",
        ("West", "Enterprise"),
        True,
    )
    assert (owners[bob].name, owners[bob].teams) == ("bob@example.com", ("East",))  # no name: the email
    assert (owners[gone].active, owners[gone].teams) == (False, ("West",))


def test_owners_follows_every_page_of_a_large_sales_team(portal: Portal) -> None:
    created = [portal.twin.create_owner(f"rep{n}@example.com", f"Rep{n}", teams=("Sales",)) for n in range(1100)]
    for owner_id in created[:30]:
        portal.twin.archive_owner(owner_id)
    # This test counts pages: a page of 500 owners may take longer than the fixture's 0.5 s read timeout on a loaded
    # machine (a timed-out page is retried and counted twice), so its gateway waits longer.
    owners = SdkGateway(TOKEN, portal.url, (1.0, 10.0), POLICY).owners()
    assert sorted(owner.id for owner in owners) == sorted(created)
    assert len({owner.id for owner in owners}) == len(owners)
    assert {owner.id for owner in owners if not owner.active} == set(created[:30])
    assert len(portal.calls("/crm/v3/owners/", "GET")) == 3 + 1  # 1,070 active in pages of 500; 30 archived


# Upserts by handover id


def test_upserting_tasks_and_deals_twice_creates_each_once_and_returns_the_same_ids(portal: Portal) -> None:
    tasks = {"1001-mql-1": task("Call Ada"), "1002-mql-1": task("Call Bob")}
    deals = {"1001-sql-1": deal("Ada's deal")}
    first_tasks = portal.gateway.upsert_objects("task", HANDOVER_ID, tasks)
    first_deals = portal.gateway.upsert_objects("deal", HANDOVER_ID, deals)
    again_tasks = portal.gateway.upsert_objects("task", HANDOVER_ID, tasks)
    again_deals = portal.gateway.upsert_objects("deal", HANDOVER_ID, deals)
    assert first_tasks.refused == first_deals.refused == {}
    assert again_tasks.require() == first_tasks.require()
    assert again_deals.require() == first_deals.require()
    stored_tasks, stored_deals = live(portal.twin, "tasks"), live(portal.twin, "deals")
    assert set(stored_tasks) == set(tasks)
    assert set(stored_deals) == set(deals)
    assert {key: record["id"] for key, record in stored_tasks.items()} == first_tasks.ids
    assert stored_tasks["1001-mql-1"]["hs_task_subject"] == "Call Ada"
    assert stored_deals["1001-sql-1"]["dealname"] == "Ada's deal"


def test_a_second_upsert_updates_the_record_it_created(portal: Portal) -> None:
    first = portal.gateway.upsert_objects("task", HANDOVER_ID, {"1001-mql-1": task("Call Ada")}).require()
    second = portal.gateway.upsert_objects("task", HANDOVER_ID, {"1001-mql-1": task("Call Ada today")}).require()
    assert second == first
    assert portal.twin.get_object("tasks", first["1001-mql-1"])["hs_task_subject"] == "Call Ada today"


def test_upserts_go_in_batches_of_100(portal: Portal) -> None:
    records = {f"{2000 + n}-mql-1": task(f"Call {n}") for n in range(150)}
    upserted = portal.gateway.upsert_objects("task", HANDOVER_ID, records)
    assert set(upserted.require()) == set(records)
    assert [len(keys) for keys in portal.sent_keys(TASK_UPSERT)] == [100, 50]
    assert len(live(portal.twin, "tasks")) == 150


def test_a_partial_failure_of_an_upsert_retries_only_the_refused_records(portal: Portal) -> None:
    keys = ["1001-mql-1", "1002-mql-1", "1003-mql-1"]
    portal.faulty.add(Fault("POST", TASK_UPSERT, times=1, refuse_ids=frozenset({keys[1]})))
    upserted = portal.gateway.upsert_objects("task", HANDOVER_ID, {key: task(key) for key in keys})
    assert upserted.refused == {}
    assert sorted(upserted.ids) == keys
    assert portal.sent_keys(TASK_UPSERT) == [keys, [keys[1]]]
    assert sorted(live(portal.twin, "tasks")) == keys


def test_a_record_refused_for_good_is_reported_and_the_others_are_written(portal: Portal) -> None:
    bad = {**task("Call Bob"), "hs_task_type": "CARRIER_PIGEON"}
    upserted = portal.gateway.upsert_objects("task", HANDOVER_ID, {"1001-mql-1": task("Call Ada"), "1002-mql-1": bad})
    assert list(upserted.ids) == ["1001-mql-1"]
    assert list(upserted.refused) == ["1002-mql-1"]
    assert "CARRIER_PIGEON" in upserted.refused["1002-mql-1"]
    assert len(portal.calls(TASK_UPSERT)) == 1  # a refusal for good is not retried
    with pytest.raises(PermanentHubSpotError, match="1002-mql-1"):
        upserted.require()
    assert list(live(portal.twin, "tasks")) == ["1001-mql-1"]


def test_a_record_the_fault_layer_refuses_for_good_is_not_retried(portal: Portal) -> None:
    portal.faulty.add(
        Fault("POST", DEAL_UPSERT, times=1, refuse_ids=frozenset({"1002-sql-1"}), category="VALIDATION_ERROR")
    )
    upserted = portal.gateway.upsert_objects("deal", HANDOVER_ID, {"1001-sql-1": deal("A"), "1002-sql-1": deal("B")})
    assert list(upserted.refused) == ["1002-sql-1"]
    assert "VALIDATION_ERROR" in upserted.refused["1002-sql-1"]
    assert len(portal.calls(DEAL_UPSERT)) == 1


@pytest.mark.parametrize(
    "fault",
    [
        rate_limited(DEAL_UPSERT, times=2, retry_after="0.05"),
        Fault("POST", DEAL_UPSERT, times=2, status=502),
        Fault("POST", DEAL_UPSERT, times=1, status=200, delay=1.0),  # HubSpot wrote it; the answer came too late
    ],
    ids=["429", "502", "timeout-after-the-write"],
)
def test_a_failed_upsert_request_is_retried_and_still_creates_one_deal(portal: Portal, fault: Fault) -> None:
    portal.faulty.add(fault)
    upserted = portal.gateway.upsert_objects("deal", HANDOVER_ID, {"1001-sql-1": deal("Ada's deal")})
    stored = live(portal.twin, "deals")
    assert list(stored) == ["1001-sql-1"]
    assert upserted.require() == {"1001-sql-1": stored["1001-sql-1"]["id"]}
    assert len(portal.calls(DEAL_UPSERT)) > 1


# Associations


@pytest.fixture
def handover(portal: Portal) -> dict[str, str]:
    """A contact at a company with one handover task and deal."""
    twin = portal.twin
    company = twin.create_object("companies", {"name": "Big Co", "domain": "big.example"})
    contact = twin.create_object("contacts", {"email": "ada@big.example"})
    made_task = portal.gateway.upsert_objects("task", HANDOVER_ID, {"k-task": task("Call Ada")}).require()
    made_deal = portal.gateway.upsert_objects("deal", HANDOVER_ID, {"k-deal": deal("Ada's deal")}).require()
    return {"company": company, "contact": contact, "task": made_task["k-task"], "deal": made_deal["k-deal"]}


def associate_handover(gateway: SdkGateway, ids: dict[str, str]) -> None:
    gateway.create_associations("task", "contact", [(ids["task"], ids["contact"], TASK_TO_CONTACT)])
    gateway.create_associations("task", "company", [(ids["task"], ids["company"], TASK_TO_COMPANY)])
    gateway.create_associations("task", "deal", [(ids["task"], ids["deal"], TASK_TO_DEAL)])
    gateway.create_associations("deal", "contact", [(ids["deal"], ids["contact"], DEAL_TO_CONTACT)])
    gateway.create_associations("deal", "company", [(ids["deal"], ids["company"], DEAL_TO_COMPANY)])


def test_associations_are_created_once_even_when_requested_twice(portal: Portal, handover: dict[str, str]) -> None:
    associate_handover(portal.gateway, handover)
    associate_handover(portal.gateway, handover)
    twin, ids = portal.twin, handover
    assert twin.associated_ids("tasks", ids["task"], "contacts") == [ids["contact"]]
    assert twin.associated_ids("tasks", ids["task"], "companies") == [ids["company"]]
    assert twin.associated_ids("tasks", ids["task"], "deals") == [ids["deal"]]
    assert twin.associated_ids("deals", ids["deal"], "contacts") == [ids["contact"]]
    assert twin.associated_ids("deals", ids["deal"], "companies") == [ids["company"]]
    # …and from the other side, with HubSpot's type ids of that direction
    assert twin.associated_ids("contacts", ids["contact"], "tasks") == [ids["task"]]
    assert twin.associated_ids("companies", ids["company"], "deals") == [ids["deal"]]
    from_contact = portal.gateway.read_associations("contact", "task", [ids["contact"]])
    assert from_contact[ids["contact"]] == [(ids["task"], 203)]
    from_company = portal.gateway.read_associations("company", "deal", [ids["company"]])
    assert from_company[ids["company"]] == [(ids["deal"], 342)]
    from_task = portal.gateway.read_associations("task", "contact", [ids["task"]])
    assert from_task[ids["task"]] == [(ids["contact"], TASK_TO_CONTACT)]


def test_the_same_pair_asked_twice_in_one_call_is_sent_once(portal: Portal, handover: dict[str, str]) -> None:
    pair = (handover["task"], handover["contact"], TASK_TO_CONTACT)
    portal.gateway.create_associations("task", "contact", [pair, pair])
    (body,) = portal.calls("/crm/v4/associations/tasks/contacts/batch/create")
    assert body["inputs"] == [
        {
            "from": {"id": handover["task"]},
            "to": {"id": handover["contact"]},
            "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": TASK_TO_CONTACT}],
        }
    ]


def test_associations_go_in_batches_of_100(portal: Portal) -> None:
    contact = portal.twin.create_object("contacts", {"email": "busy@example.com"})
    tasks = portal.gateway.upsert_objects("task", HANDOVER_ID, {f"k{n}": task(f"T{n}") for n in range(130)}).require()
    portal.gateway.create_associations("task", "contact", [(tid, contact, TASK_TO_CONTACT) for tid in tasks.values()])
    bodies = portal.calls("/crm/v4/associations/tasks/contacts/batch/create")
    assert [len(body["inputs"]) for body in bodies] == [100, 30]
    assert sorted(portal.twin.associated_ids("contacts", contact, "tasks")) == sorted(tasks.values())


def test_an_association_hubspot_refuses_raises_naming_the_pair(portal: Portal, handover: dict[str, str]) -> None:
    with pytest.raises(PermanentHubSpotError, match=f"{handover['task']}:999999"):
        portal.gateway.create_associations(
            "task",
            "contact",
            [(handover["task"], "999999", TASK_TO_CONTACT), (handover["task"], handover["contact"], TASK_TO_CONTACT)],
        )
    assert portal.twin.associated_ids("tasks", handover["task"], "contacts") == [handover["contact"]]


def test_a_failed_association_request_is_retried(portal: Portal, handover: dict[str, str]) -> None:
    path = "/crm/v4/associations/deals/contacts/batch/create"
    portal.faulty.add(Fault("POST", path, times=1, status=503))
    portal.gateway.create_associations("deal", "contact", [(handover["deal"], handover["contact"], DEAL_TO_CONTACT)])
    assert portal.twin.associated_ids("deals", handover["deal"], "contacts") == [handover["contact"]]
    assert len(portal.calls(path)) == 2

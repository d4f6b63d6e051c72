"""Tasks through the official SDK: the required due date, HubSpot's enumerations, associations and completion."""

from __future__ import annotations

from typing import Any

from hubspot import HubSpot
from hubspot.crm.objects.tasks import (
    AssociationSpec,
    BatchInputSimplePublicObjectBatchInputForCreate,
    BatchInputSimplePublicObjectBatchInputUpsert,
    PublicAssociationsForObject,
    PublicObjectId,
    SimplePublicObjectBatchInputForCreate,
    SimplePublicObjectBatchInputUpsert,
    SimplePublicObjectInput,
    SimplePublicObjectInputForCreate,
)

from hubspot_twin import Twin
from tests.integration.twin.support import TIMEOUT, api_error, call

DUE = "2025-06-02T09:00:00Z"


def association(to_id: str, type_id: int) -> PublicAssociationsForObject:
    spec = AssociationSpec(association_category="HUBSPOT_DEFINED", association_type_id=type_id)
    return PublicAssociationsForObject(to=PublicObjectId(id=to_id), types=[spec])


def create_task(
    client: HubSpot, associations: list[PublicAssociationsForObject] | None = None, **properties: str
) -> Any:
    body = SimplePublicObjectInputForCreate(properties=properties, associations=associations)
    return client.crm.objects.tasks.basic_api.create(body, _request_timeout=TIMEOUT)


def test_a_task_is_created_with_its_due_date_and_hubspots_task_values(client: HubSpot) -> None:
    task = create_task(
        client,
        hs_timestamp=DUE,
        hs_task_subject="Call Anna",
        hs_task_status="NOT_STARTED",
        hs_task_priority="HIGH",
        hs_task_type="CALL",
        hs_queue_membership_ids="1001;1002",
    )

    assert task.properties["hs_timestamp"] == "2025-06-02T09:00:00.000Z"
    assert task.properties["hs_task_type"] == "CALL"
    assert task.properties["hs_queue_membership_ids"] == "1001;1002"
    assert task.properties["hs_createdate"]


def test_a_task_without_hs_timestamp_is_refused(client: HubSpot) -> None:
    status, body = api_error(lambda: create_task(client, hs_task_subject="No due date"))

    assert status == 400
    assert body["category"] == "VALIDATION_ERROR"
    assert body["errors"] == [
        {
            "message": 'Property "hs_timestamp" is required',
            "code": "REQUIRED_PROPERTY",
            "context": {"propertyName": ["hs_timestamp"]},
        }
    ]


def test_task_enumerations_take_only_hubspots_values(client: HubSpot) -> None:
    status, body = api_error(
        lambda: create_task(client, hs_timestamp=DUE, hs_task_status="DONE", hs_task_priority="URGENT")
    )

    assert status == 400
    assert [(e["code"], e["context"]["propertyName"]) for e in body["errors"]] == [
        ("INVALID_OPTION", ["hs_task_status"]),
        ("INVALID_OPTION", ["hs_task_priority"]),
    ]


def test_a_task_is_associated_with_contact_company_and_deal_by_hubspots_type_ids(client: HubSpot, twin: Twin) -> None:
    contact_id = twin.create_object("contacts", {"email": "t@example.com"})
    company_id = twin.create_object("companies", {"name": "Tasked"})
    deal_id = twin.create_object("deals", {"dealname": "Tasked deal"})

    task = create_task(
        client,
        [association(contact_id, 204), association(company_id, 192), association(deal_id, 216)],
        hs_timestamp=DUE,
    )
    read = client.crm.objects.tasks.basic_api.get_by_id(
        task.id, associations=["contacts", "companies", "deals"], _request_timeout=TIMEOUT
    )

    assert {name: [a.type for a in found.results] for name, found in read.associations.items()} == {
        "contacts": ["task_to_contact"],
        "companies": ["task_to_company"],
        "deals": ["task_to_deal"],
    }
    assert twin.associated_ids("deals", deal_id, "tasks") == [task.id]


def test_completing_a_task_sets_its_completion_date_and_reopening_clears_it(client: HubSpot) -> None:
    task = create_task(client, hs_timestamp=DUE, hs_task_status="NOT_STARTED")

    done = client.crm.objects.tasks.basic_api.update(
        task.id, SimplePublicObjectInput(properties={"hs_task_status": "COMPLETED"}), _request_timeout=TIMEOUT
    )
    reopened = client.crm.objects.tasks.basic_api.update(
        task.id, SimplePublicObjectInput(properties={"hs_task_status": "IN_PROGRESS"}), _request_timeout=TIMEOUT
    )

    assert done.properties["hs_task_completion_date"]
    assert "hs_task_completion_date" not in reopened.properties


def test_the_completion_date_is_calculated_not_written(client: HubSpot) -> None:
    status, body = api_error(lambda: create_task(client, hs_timestamp=DUE, hs_task_completion_date=DUE))

    assert status == 400
    assert body["errors"][0]["code"] == "READ_ONLY_VALUE"


def test_a_task_batch_create_of_one_hundred_is_accepted_and_an_upsert_of_one_hundred_and_one_refused(
    client: HubSpot,
) -> None:
    create = BatchInputSimplePublicObjectBatchInputForCreate(
        inputs=[SimplePublicObjectBatchInputForCreate(properties={"hs_timestamp": DUE}) for _ in range(100)]
    )
    upsert = BatchInputSimplePublicObjectBatchInputUpsert(
        inputs=[SimplePublicObjectBatchInputUpsert(id=str(n), properties={}) for n in range(101)]
    )

    created, status, _ = client.crm.objects.tasks.batch_api.create_with_http_info(create, _request_timeout=TIMEOUT)
    refused, body = api_error(lambda: client.crm.objects.tasks.batch_api.upsert(upsert, _request_timeout=TIMEOUT))

    assert (status, len(created.results)) == (201, 100)
    assert refused == 400
    assert "maximum number of inputs supported in a batch is 100" in body["message"]


def test_tasks_answer_under_their_type_id_too(client: HubSpot, server: Any) -> None:
    task = create_task(client, hs_timestamp=DUE, hs_task_subject="By id")

    reply = call(server, "GET", f"/crm/v3/objects/0-27/{task.id}?properties=hs_task_subject")

    assert reply.status == 200
    assert reply.body["properties"]["hs_task_subject"] == "By id"

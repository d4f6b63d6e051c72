"""The raw JSON of every endpoint Leadflow uses fits the official SDK's generated model for that response.

Each case seeds a portal through the Python API, calls one endpoint over plain HTTP and checks the body with
``schema_check`` against the model of the SDK package Leadflow (or a test) would read it with — the per-type
package and the generic ``hubspot.crm.objects`` one for records.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import pytest
from hubspot.crm import companies, contacts, deals, lists, objects, owners, pipelines, properties
from hubspot.crm.associations import v4
from hubspot.crm.associations.v4 import schema as v4_schema
from hubspot.crm.objects import leads, tasks

from hubspot_twin import Twin, TwinServer
from tests.integration.twin.schema_check import assert_fits, problems
from tests.integration.twin.support import call

DUE = "2025-06-02T09:00:00Z"
RECORD_PACKAGES: dict[str, tuple[ModuleType, ...]] = {
    "contacts": (contacts.models, objects.models),
    "companies": (companies.models, objects.models),
    "deals": (deals.models, objects.models),
    "tasks": (tasks.models, objects.models),
}


@dataclass(frozen=True)
class Portal:
    """A seeded portal: a few records of each type, associated, an owner and a unique property per type."""

    twin: Twin
    server: TwinServer
    ids: dict[str, list[str]]

    def post(self, path: str, body: Any) -> Any:
        return self._body(call(self.server, "POST", path, body))

    def get(self, path: str) -> Any:
        return self._body(call(self.server, "GET", path))

    def patch(self, path: str, body: Any) -> Any:
        return self._body(call(self.server, "PATCH", path, body))

    @staticmethod
    def _body(reply: Any) -> Any:
        assert reply.body is not None, f"no body (status {reply.status})"
        return reply.body


def seed(twin: Twin, server: TwinServer) -> Portal:
    owner = twin.create_owner("rep@example.com", "Rep", "One", teams=["Sales"])
    twin.create_owner("former@example.com", "Former", "Rep", archived=True)
    ids: dict[str, list[str]] = {
        "companies": [
            twin.create_object("companies", {"name": f"Co {n}", "hubspot_owner_id": owner}) for n in range(3)
        ],
        "contacts": [twin.create_object("contacts", {"email": f"c{n}@example.com"}) for n in range(3)],
        "deals": [twin.create_object("deals", {"dealname": f"D{n}", "dealstage": "closedwon"}) for n in range(3)],
        "tasks": [twin.create_object("tasks", {"hs_timestamp": DUE, "hs_task_type": "CALL"}) for n in range(3)],
    }
    twin.associate("contacts", ids["contacts"][0], "companies", ids["companies"][0], primary=True)
    twin.associate("deals", ids["deals"][0], "contacts", ids["contacts"][0])
    twin.associate("tasks", ids["tasks"][0], "contacts", ids["contacts"][0])
    twin.associate("deals", ids["deals"][0], "companies", ids["companies"][0])
    return Portal(twin, server, ids)


def record_cases() -> list[Any]:
    cases = []
    for object_type, packages in RECORD_PACKAGES.items():
        for package in packages:
            for name, case in RECORD_CASES.items():
                label = f"{object_type}-{name}-{package.__name__.split('.')[-2]}"
                cases.append(pytest.param(object_type, package, case, id=label))
    return cases


def basic_create(portal: Portal, object_type: str, package: ModuleType) -> None:
    body = portal.post(f"/crm/v3/objects/{object_type}", {"properties": new_properties(object_type)})
    assert_fits(body, package.SimplePublicObject)


def basic_get(portal: Portal, object_type: str, package: ModuleType) -> None:
    first = portal.ids[object_type][0]
    body = portal.get(
        f"/crm/v3/objects/{object_type}/{first}?associations=contacts,companies&propertiesWithHistory=hs_object_id"
    )
    assert body.get("associations"), "the seeded record has associations to show"
    assert_fits(body, package.SimplePublicObjectWithAssociations)


def get_page(portal: Portal, object_type: str, package: ModuleType) -> None:
    body = portal.get(f"/crm/v3/objects/{object_type}?limit=2&associations=contacts")
    assert "paging" in body
    assert_fits(body, package.CollectionResponseSimplePublicObjectWithAssociationsForwardPaging)


def batch_read(portal: Portal, object_type: str, package: ModuleType) -> None:
    inputs = [{"id": i} for i in portal.ids[object_type]]
    complete = portal.post(f"/crm/v3/objects/{object_type}/batch/read", read_body(inputs))
    partial = portal.post(f"/crm/v3/objects/{object_type}/batch/read", read_body([*inputs, {"id": "999999"}]))
    assert_fits(complete, package.BatchResponseSimplePublicObject)
    assert_fits(partial, package.BatchResponseSimplePublicObjectWithErrors)


def batch_create(portal: Portal, object_type: str, package: ModuleType) -> None:
    inputs = [{"properties": new_properties(object_type), "objectWriteTraceId": "t1"}]
    body = portal.post(f"/crm/v3/objects/{object_type}/batch/create", {"inputs": inputs})
    failed = portal.post(
        f"/crm/v3/objects/{object_type}/batch/create",
        {"inputs": [*inputs, {"properties": {"nope": "1"}, "objectWriteTraceId": "t2"}]},
    )
    assert_fits(body, package.BatchResponseSimplePublicObject)
    assert_fits(failed, package.BatchResponseSimplePublicObjectWithErrors)


def batch_update(portal: Portal, object_type: str, package: ModuleType) -> None:
    inputs = [{"id": portal.ids[object_type][0], "properties": new_properties(object_type)}]
    body = portal.post(f"/crm/v3/objects/{object_type}/batch/update", {"inputs": inputs})
    assert_fits(body, package.BatchResponseSimplePublicObject)


def batch_upsert(portal: Portal, object_type: str, package: ModuleType) -> None:
    groups = {"contacts": "contactinformation", "companies": "companyinformation", "deals": "dealinformation"}
    unique = {"name": "ref", "label": "Ref", "type": "string", "fieldType": "text", "hasUniqueValue": True}
    portal.post(f"/crm/v3/properties/{object_type}", {**unique, "groupName": groups.get(object_type, "task")})
    inputs = [{"id": f"R{n}", "idProperty": "ref", "properties": new_properties(object_type)} for n in range(2)]
    created = portal.post(f"/crm/v3/objects/{object_type}/batch/upsert", {"inputs": inputs})
    updated = portal.post(f"/crm/v3/objects/{object_type}/batch/upsert", {"inputs": inputs[:1]})
    partial = portal.post(
        f"/crm/v3/objects/{object_type}/batch/upsert", {"inputs": [{"id": "999999", "properties": {}}]}
    )
    assert [r["new"] for r in created["results"]] == [True, True]
    assert [r["new"] for r in updated["results"]] == [False]
    assert_fits(created, package.BatchResponseSimplePublicUpsertObject)
    assert_fits(updated, package.BatchResponseSimplePublicUpsertObject)
    assert_fits(partial, package.BatchResponseSimplePublicUpsertObjectWithErrors)


def error_body(portal: Portal, object_type: str, package: ModuleType) -> None:
    body = portal.post(f"/crm/v3/objects/{object_type}", {"properties": {"no_such_property": "1"}})
    assert_fits(body, package.Error)


RECORD_CASES: dict[str, Callable[[Portal, str, ModuleType], None]] = {
    "create": basic_create,
    "get": basic_get,
    "page": get_page,
    "batch-read": batch_read,
    "batch-create": batch_create,
    "batch-update": batch_update,
    "batch-upsert": batch_upsert,
    "error": error_body,
}


def new_properties(object_type: str) -> dict[str, str]:
    return {
        "contacts": {"firstname": "New"},
        "companies": {"name": "New Co"},
        "deals": {"dealname": "New deal", "dealstage": "qualifiedtobuy"},
        "tasks": {"hs_timestamp": DUE, "hs_task_subject": "New task"},
    }[object_type]


def read_body(inputs: list[dict[str, str]]) -> dict[str, Any]:
    return {"inputs": inputs, "properties": ["hs_object_id"], "propertiesWithHistory": []}


@pytest.mark.parametrize(("object_type", "package", "case"), record_cases())
def test_record_endpoints_fit_the_sdk_models(
    twin: Twin, server: TwinServer, object_type: str, package: ModuleType, case: Callable[..., None]
) -> None:
    case(seed(twin, server), object_type, package)


def test_merge_fits_the_sdk_model(twin: Twin, server: TwinServer) -> None:
    portal = seed(twin, server)
    first, second = portal.ids["contacts"][:2]

    body = portal.post("/crm/v3/objects/contacts/merge", {"primaryObjectId": first, "objectIdToMerge": second})

    assert_fits(body, contacts.models.SimplePublicObject)


def test_v4_association_batches_fit_the_sdk_models(twin: Twin, server: TwinServer) -> None:
    portal = seed(twin, server)
    contact, lonely = portal.ids["contacts"][0], portal.ids["contacts"][2]
    spec = [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 4}]

    created = portal.post(
        "/crm/v4/associations/contacts/deals/batch/create",
        {"inputs": [{"from": {"id": contact}, "to": {"id": portal.ids["deals"][1]}, "types": spec}]},
    )
    read = portal.post("/crm/v4/associations/contacts/deals/batch/read", {"inputs": [{"id": contact}]})
    partial = portal.post(
        "/crm/v4/associations/contacts/companies/batch/read", {"inputs": [{"id": contact}, {"id": lonely}]}
    )
    default = portal.post(
        "/crm/v4/associations/tasks/deals/batch/associate/default",
        {"inputs": [{"from": {"id": portal.ids["tasks"][1]}, "to": {"id": portal.ids["deals"][1]}}]},
    )
    listed = portal.get(f"/crm/v4/objects/contacts/{contact}/associations/companies")

    assert_fits(created, v4.models.BatchResponseLabelsBetweenObjectPair)
    assert_fits(read, v4.models.BatchResponsePublicAssociationMultiWithLabel)
    assert_fits(partial, v4.models.BatchResponsePublicAssociationMultiWithLabelWithErrors)
    assert_fits(default, v4.models.BatchResponsePublicDefaultAssociation)
    assert_fits(listed, v4.models.CollectionResponseMultiAssociatedObjectWithLabelForwardPaging)


@pytest.mark.parametrize("object_type", ["contacts", "companies", "deals", "tasks"])
def test_properties_and_groups_fit_the_sdk_models(twin: Twin, server: TwinServer, object_type: str) -> None:
    portal = seed(twin, server)
    group = {"name": "leadflow", "label": "Leadflow", "displayOrder": 3}
    created_group = portal.post(f"/crm/v3/properties/{object_type}/groups", group)
    option = {"label": "Hot", "value": "hot", "displayOrder": 0, "hidden": False}
    created = portal.post(
        f"/crm/v3/properties/{object_type}",
        {"name": "lf_band", "label": "Band", "type": "enumeration", "fieldType": "select", "groupName": "leadflow",
         "options": [option], "hasUniqueValue": False},
    )  # fmt: skip
    updated = portal.patch(f"/crm/v3/properties/{object_type}/lf_band", {"label": "Score band"})

    assert_fits(portal.get(f"/crm/v3/properties/{object_type}"), properties.models.CollectionResponsePropertyNoPaging)
    assert_fits(created, properties.models.ModelProperty)
    assert_fits(updated, properties.models.ModelProperty)
    assert_fits(portal.get(f"/crm/v3/properties/{object_type}/lf_band"), properties.models.ModelProperty)
    assert_fits(created_group, properties.models.PropertyGroup)
    groups = portal.get(f"/crm/v3/properties/{object_type}/groups")
    assert_fits(groups, properties.models.CollectionResponsePropertyGroupNoPaging)


def test_owners_fit_the_sdk_models(twin: Twin, server: TwinServer) -> None:
    portal = seed(twin, server)
    for n in range(2):
        twin.create_owner(f"more{n}@example.com", "More", str(n))

    page = portal.get("/crm/v3/owners/?limit=2")
    archived = portal.get("/crm/v3/owners/?archived=true")
    one = portal.get(f"/crm/v3/owners/{page['results'][0]['id']}")
    missing = portal.get("/crm/v3/owners/1")

    assert "paging" in page
    assert_fits(page, owners.models.CollectionResponsePublicOwnerForwardPaging)
    assert_fits(archived, owners.models.CollectionResponsePublicOwnerForwardPaging)
    assert_fits(one, owners.models.PublicOwner)
    assert_fits(missing, owners.models.Error)


def test_pipelines_fit_the_sdk_models(twin: Twin, server: TwinServer) -> None:
    portal = seed(twin, server)

    assert_fits(portal.get("/crm/v3/pipelines/deals"), pipelines.models.CollectionResponsePipelineNoPaging)
    assert_fits(portal.get("/crm/v3/pipelines/deals/default"), pipelines.models.Pipeline)
    stages = portal.get("/crm/v3/pipelines/deals/default/stages")
    assert_fits(stages, pipelines.models.CollectionResponsePipelineStageNoPaging)
    assert_fits(portal.get("/crm/v3/pipelines/deals/default/stages/closedwon"), pipelines.models.PipelineStage)
    assert_fits(portal.get("/crm/v3/pipelines/deals/nope"), pipelines.models.Error)


@pytest.mark.parametrize("package", [leads.models, objects.models], ids=["leads", "objects"])
def test_lead_endpoints_fit_the_sdk_models(twin: Twin, server: TwinServer, package: ModuleType) -> None:
    portal = seed(twin, server)
    contact, company = portal.ids["contacts"][0], portal.ids["companies"][0]
    links = [
        {"to": {"id": target}, "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": type_id}]}
        for target, type_id in ((contact, 578), (company, 610))
    ]
    unique = {"name": "cycle", "label": "Cycle", "type": "string", "fieldType": "text", "hasUniqueValue": True}
    portal.post("/crm/v3/properties/leads", {**unique, "groupName": "lead_information"})

    created = portal.post("/crm/v3/objects/leads", {"properties": {"hs_lead_name": "One"}, "associations": links})
    batch = portal.post("/crm/v3/objects/leads/batch/create", {"inputs": [
        {"properties": {"hs_lead_name": "Two", "cycle": "c2"}, "associations": links, "objectWriteTraceId": "t"}
    ]})  # fmt: skip
    upserted = portal.post("/crm/v3/objects/leads/batch/upsert", {"inputs": [
        {"id": "c2", "idProperty": "cycle", "properties": {"hs_pipeline_stage": "connected-stage-id"}}
    ]})  # fmt: skip
    read = portal.get(f"/crm/v3/objects/leads/{created['id']}?associations=contacts,companies"
                      "&propertiesWithHistory=hs_pipeline_stage")  # fmt: skip
    refused = portal.post("/crm/v3/objects/leads", {"properties": {"hs_lead_name": "Alone"}})

    assert_fits(created, package.SimplePublicObject)
    assert_fits(batch, package.BatchResponseSimplePublicObject)
    assert [r["new"] for r in upserted["results"]] == [False]
    assert_fits(upserted, package.BatchResponseSimplePublicUpsertObject)
    assert read["associations"]["contacts"]["results"] and read["associations"]["companies"]["results"]
    assert_fits(read, package.SimplePublicObjectWithAssociations)
    assert_fits(portal.get("/crm/v3/objects/leads?limit=1"),
                package.CollectionResponseSimplePublicObjectWithAssociationsForwardPaging)  # fmt: skip
    assert_fits(refused, package.Error)
    assert_fits(portal.get("/crm/v3/pipelines/leads"), pipelines.models.CollectionResponsePipelineNoPaging)
    stage = portal.get("/crm/v3/pipelines/leads/lead-pipeline-id/stages/qualified-stage-id")
    assert_fits(stage, pipelines.models.PipelineStage)
    listed = portal.get(f"/crm/v4/objects/leads/{created['id']}/associations/contacts")
    assert_fits(listed, v4.models.CollectionResponseMultiAssociatedObjectWithLabelForwardPaging)
    labels = portal.get("/crm/v4/associations/leads/contacts/labels")
    assert_fits(labels, v4_schema.models.CollectionResponseAssociationSpecWithLabelNoPaging)


def test_a_portal_without_leads_answers_a_body_that_fits_the_sdk_error() -> None:
    twin = Twin(leads=False)
    with twin.serve() as server:
        reply = call(server, "GET", "/crm/v3/objects/leads")

    assert reply.status == 403
    assert_fits(reply.body, leads.models.Error)
    assert_fits(reply.body, pipelines.models.Error)


def test_lists_fit_the_sdk_models(twin: Twin, server: TwinServer) -> None:
    portal = seed(twin, server)
    contact_id = portal.ids["contacts"][0]
    body = {"name": "Readers", "objectTypeId": "0-1", "processingType": "MANUAL"}
    created = call(server, "POST", "/crm/v3/lists", body).body
    list_id = created["list"]["listId"]
    added = call(server, "PUT", f"/crm/v3/lists/{list_id}/memberships/add", [contact_id, "999999"]).body

    assert_fits(created, lists.models.ListCreateResponse)
    assert_fits(portal.get(f"/crm/v3/lists/{list_id}"), lists.models.ListFetchResponse)
    assert_fits(added, lists.models.MembershipsUpdateResponse)
    page = portal.get(f"/crm/v3/lists/{list_id}/memberships")
    assert_fits(page, lists.models.ApiCollectionResponseJoinTimeAndRecordId)
    assert_fits(portal.get("/crm/v3/lists/4242"), lists.models.Error)


def test_the_checker_finds_unknown_keys_wrong_types_bad_enumerations_and_missing_attributes() -> None:
    owner = {"id": "1", "type": "ROBOT", "archived": "no", "createdAt": "yesterday", "nickname": "x", "teams": [{}]}

    found = problems(owner, owners.models.PublicOwner)

    assert sorted(found) == sorted(
        [
            "$.type: Invalid value for `type` (ROBOT), must be one of ['PERSON', 'QUEUE']",
            "$.archived: 'no' is not a bool",
            "$.createdAt: 'yesterday' is not an ISO 8601 instant",
            "$.nickname: not an attribute of PublicOwner",
            "$.teams[0].name: required by PublicTeam but missing or null",
            "$.teams[0].id: required by PublicTeam but missing or null",
            "$.teams[0].primary: required by PublicTeam but missing or null",
            "$.updatedAt: required by PublicOwner but missing or null",
        ]
    )

"""Deals through the official SDK: pipelines and stages, calculated stage flags, associations, batches."""

from __future__ import annotations

from typing import Any

from hubspot import HubSpot
from hubspot.crm.deals import (
    AssociationSpec,
    BatchInputSimplePublicObjectBatchInput,
    BatchInputSimplePublicObjectBatchInputForCreate,
    BatchInputSimplePublicObjectId,
    BatchReadInputSimplePublicObjectId,
    PublicAssociationsForObject,
    PublicObjectId,
    SimplePublicObjectBatchInput,
    SimplePublicObjectBatchInputForCreate,
    SimplePublicObjectId,
    SimplePublicObjectInput,
    SimplePublicObjectInputForCreate,
)
from hubspot.crm.objects import SimplePublicObjectInputForCreate as ObjectInput

from hubspot_twin import Twin
from hubspot_twin.crm.pipelines import StageSpec
from tests.integration.twin.support import TIMEOUT, api_error

DEFAULT_STAGES = (
    "appointmentscheduled, qualifiedtobuy, presentationscheduled, decisionmakerboughtin, contractsent, closedwon, "
    "closedlost"
)


def create_deal(
    client: HubSpot, associations: list[PublicAssociationsForObject] | None = None, **properties: str
) -> Any:
    body = SimplePublicObjectInputForCreate(properties=properties, associations=associations)
    return client.crm.deals.basic_api.create(body, _request_timeout=TIMEOUT)


def association(to_id: str, *type_ids: int) -> PublicAssociationsForObject:
    types = [AssociationSpec(association_category="HUBSPOT_DEFINED", association_type_id=t) for t in type_ids]
    return PublicAssociationsForObject(to=PublicObjectId(id=to_id), types=types)


def test_a_deal_without_a_pipeline_goes_into_the_default_pipeline(client: HubSpot) -> None:
    deal = create_deal(client, dealname="Kessler expansion", dealstage="qualifiedtobuy", amount="12000.50")

    assert deal.properties["pipeline"] == "default"
    assert deal.properties["amount"] == "12000.5"
    assert (deal.properties["hs_is_closed"], deal.properties["hs_is_closed_won"]) == ("false", "false")
    assert deal.properties["hs_deal_stage_probability"] == "0.4"
    assert deal.properties["createdate"] and deal.properties["hs_lastmodifieddate"]


def test_a_closed_won_stage_marks_the_deal_closed_and_won(client: HubSpot) -> None:
    deal = create_deal(client, dealname="Won", dealstage="appointmentscheduled")

    won = client.crm.deals.basic_api.update(
        deal.id, SimplePublicObjectInput(properties={"dealstage": "closedwon"}), _request_timeout=TIMEOUT
    )

    assert (won.properties["hs_is_closed"], won.properties["hs_is_closed_won"]) == ("true", "true")
    assert won.properties["hs_deal_stage_probability"] == "1"


def test_a_stage_of_no_pipeline_is_hubspots_invalid_option(client: HubSpot) -> None:
    status, body = api_error(lambda: create_deal(client, dealname="Bad", dealstage="registered"))

    assert status == 400
    assert body["category"] == "VALIDATION_ERROR"
    assert body["errors"][0]["code"] == "INVALID_OPTION"
    assert body["errors"][0]["context"] == {"propertyName": ["dealstage"]}
    assert body["errors"][0]["message"] == (
        f"registered is not a valid pipeline stage ID. Valid options are: pipelineId=default : [{DEFAULT_STAGES}]"
    )
    assert client.crm.deals.basic_api.get_page(_request_timeout=TIMEOUT).results == []


def test_a_stage_must_belong_to_the_deals_own_pipeline(client: HubSpot, twin: Twin) -> None:
    pipeline_id = twin.create_pipeline("Renewals", [StageSpec("Due", 0.5), StageSpec("Renewed", 1.0, closed=True)])
    renewals = {s["label"]: s["id"] for p in twin.pipelines() if p["id"] == pipeline_id for s in p["stages"]}

    deal = create_deal(client, dealname="Renewal", pipeline=pipeline_id, dealstage=renewals["Due"])
    status, body = api_error(
        lambda: client.crm.deals.basic_api.update(
            deal.id, SimplePublicObjectInput(properties={"dealstage": "closedwon"}), _request_timeout=TIMEOUT
        )
    )
    moved = client.crm.deals.basic_api.update(
        deal.id,
        SimplePublicObjectInput(properties={"pipeline": "default", "dealstage": "closedwon"}),
        _request_timeout=TIMEOUT,
    )

    assert deal.properties["hs_deal_stage_probability"] == "0.5"
    assert status == 400
    assert f"pipelineId={pipeline_id} : [{renewals['Due']}, {renewals['Renewed']}]" in body["errors"][0]["message"]
    assert (moved.properties["pipeline"], moved.properties["dealstage"]) == ("default", "closedwon")


def test_an_unknown_pipeline_is_refused(client: HubSpot) -> None:
    status, body = api_error(lambda: create_deal(client, dealname="X", pipeline="nope", dealstage="closedwon"))

    assert status == 400
    assert body["errors"][0]["context"] == {"propertyName": ["pipeline"]}
    assert body["errors"][0]["code"] == "INVALID_OPTION"


def test_a_deal_read_without_properties_returns_hubspots_default_set(client: HubSpot) -> None:
    deal = create_deal(client, dealname="Defaults", dealstage="contractsent", description="not by default")

    read = client.crm.deals.basic_api.get_by_id(deal.id, _request_timeout=TIMEOUT)

    assert set(read.properties) == {
        "amount", "closedate", "createdate", "dealname", "dealstage", "hs_lastmodifieddate", "hs_object_id", "pipeline",
    }  # fmt: skip


def test_the_type_id_path_form_reaches_deals(client: HubSpot) -> None:
    created = client.crm.objects.basic_api.create(
        "0-3", ObjectInput(properties={"dealname": "By type id", "dealstage": "closedlost"}), _request_timeout=TIMEOUT
    )

    read = client.crm.deals.basic_api.get_by_id(created.id, properties=["hs_is_closed_won"], _request_timeout=TIMEOUT)

    assert read.properties["hs_is_closed_won"] == "false"


def test_a_deal_created_with_contact_and_primary_company_is_associated_with_hubspots_type_ids(
    client: HubSpot, twin: Twin
) -> None:
    contact_id = twin.create_object("contacts", {"email": "buyer@kessler.de"})
    company_id = twin.create_object("companies", {"name": "Kessler"})

    deal = create_deal(
        client, [association(contact_id, 3), association(company_id, 5)], dealname="Linked", dealstage="closedwon"
    )
    read = client.crm.deals.basic_api.get_by_id(
        deal.id, associations=["contacts", "companies"], _request_timeout=TIMEOUT
    )

    assert [(a.id, a.type) for a in read.associations["contacts"].results] == [(contact_id, "deal_to_contact")]
    assert sorted(a.type for a in read.associations["companies"].results) == [
        "deal_to_company",
        "deal_to_company_unlabeled",
    ]
    assert twin.associated_ids("contacts", contact_id, "deals") == [deal.id]
    assert twin.associated_ids("companies", company_id, "deals") == [deal.id]


def test_a_contact_to_deal_type_id_is_refused_on_a_deal_create(client: HubSpot, twin: Twin) -> None:
    contact_id = twin.create_object("contacts", {})

    status, body = api_error(lambda: create_deal(client, [association(contact_id, 4)], dealname="Wrong way"))

    assert status == 400
    assert body["message"] == "invalid from object type 0-3 for associations to be created. expected: 0-1"


def test_a_new_primary_company_of_a_deal_demotes_the_old_one(twin: Twin) -> None:
    deal_id = twin.create_object("deals", {"dealname": "Two companies"})
    first, second = (twin.create_object("companies", {"name": n}) for n in ("First", "Second"))

    twin.associate("deals", deal_id, "companies", first, primary=True)
    twin.associate("deals", deal_id, "companies", second, primary=True)

    kinds = dict(twin.store.associated(("deals", deal_id), "companies"))
    assert kinds == {first: frozenset({"unlabeled"}), second: frozenset({"unlabeled", "primary"})}


def test_deal_batches_read_create_update_and_archive(client: HubSpot, twin: Twin) -> None:
    create = BatchInputSimplePublicObjectBatchInputForCreate(
        inputs=[SimplePublicObjectBatchInputForCreate(properties={"dealname": f"B{n}"}) for n in range(3)]
    )
    created, created_status, _ = client.crm.deals.batch_api.create_with_http_info(create, _request_timeout=TIMEOUT)
    ids = [r.id for r in created.results]
    update = BatchInputSimplePublicObjectBatchInput(
        inputs=[SimplePublicObjectBatchInput(id=i, properties={"dealstage": "closedlost"}) for i in [*ids, "999"]]
    )
    updated, updated_status, _ = client.crm.deals.batch_api.update_with_http_info(update, _request_timeout=TIMEOUT)
    read = client.crm.deals.batch_api.read(
        BatchReadInputSimplePublicObjectId(
            inputs=[SimplePublicObjectId(id=i) for i in ids], properties=["hs_is_closed"], properties_with_history=[]
        ),
        _request_timeout=TIMEOUT,
    )
    client.crm.deals.batch_api.archive(
        BatchInputSimplePublicObjectId(inputs=[SimplePublicObjectId(id=ids[0])]), _request_timeout=TIMEOUT
    )

    assert created_status == 201
    assert {r.properties["pipeline"] for r in created.results} == {"default"}
    assert updated_status == 207
    assert updated.errors[0].message.startswith("Could not get some DEAL objects")
    assert [r.properties["hs_is_closed"] for r in read.results] == ["true"] * 3
    assert [d.id for d in client.crm.deals.basic_api.get_page(_request_timeout=TIMEOUT).results] == ids[1:]

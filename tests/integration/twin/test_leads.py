"""Leads (0-136) through the official SDK over HTTP: created with their primary contact, exactly once by a unique
key, moved through the lead pipeline (read back from the pipelines API), sending their webhooks, and refused
with HubSpot's 403 in a portal without Leads."""

from __future__ import annotations

from typing import Any

import pytest
from hubspot import HubSpot
from hubspot.crm.objects import BatchInputSimplePublicObjectBatchInputUpsert as GenericUpserts
from hubspot.crm.objects import SimplePublicObjectBatchInputUpsert as GenericUpsert
from hubspot.crm.objects.leads import (
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
from hubspot.crm.properties import PropertyCreate

from hubspot_twin import HubSpotError, Twin, TwinServer
from hubspot_twin.crm.pipelines import StageSpec
from hubspot_twin.webhooks.dispatch import DispatchOptions, WebhookDispatcher
from hubspot_twin.webhooks.subscriptions import Subscription, WebhookSettings
from tests.integration.twin.support import TIMEOUT, api_error, call
from tests.integration.twin.test_webhook_delivery import FAST_RETRIES, Receiver
from tests.support.app import APP_ID, CLIENT_SECRET

PRIMARY_CONTACT, TO_CONTACT, TO_COMPANY = 578, 608, 610
CYCLE_KEY = "leadflow_cycle_key"


def association(to_id: str, type_id: int) -> PublicAssociationsForObject:
    spec = AssociationSpec(association_category="HUBSPOT_DEFINED", association_type_id=type_id)
    return PublicAssociationsForObject(to=PublicObjectId(id=to_id), types=[spec])


def create_lead(client: HubSpot, associations: list[PublicAssociationsForObject] | None, **properties: str) -> Any:
    body = SimplePublicObjectInputForCreate(properties=properties, associations=associations)
    return client.crm.objects.leads.basic_api.create(body, _request_timeout=TIMEOUT)


def add_cycle_key(client: HubSpot) -> None:
    """Create the unique lead property an integration upserts by (as Leadflow's ``setup`` will)."""
    body = PropertyCreate(
        name=CYCLE_KEY, label="Leadflow cycle", type="string", field_type="text",
        group_name="lead_information", has_unique_value=True,
    )  # fmt: skip
    client.crm.properties.core_api.create("leads", body, _request_timeout=TIMEOUT)


def test_a_lead_is_created_with_its_primary_contact_and_company_in_the_default_pipeline(
    client: HubSpot, twin: Twin
) -> None:
    contact = twin.create_object("contacts", {"email": "ada@example.com"})
    company = twin.create_object("companies", {"name": "Analytical Engines", "domain": "engines.example"})
    owner = twin.create_owner("rep@example.com")

    lead = create_lead(
        client,
        [association(contact, PRIMARY_CONTACT), association(company, TO_COMPANY)],
        hs_lead_name="Ada Lovelace",
        hubspot_owner_id=owner,
    )

    stored = twin.get_object("leads", lead.id)
    assert (stored["hs_pipeline"], stored["hs_pipeline_stage"]) == ("lead-pipeline-id", "new-stage-id")
    assert (stored["hs_lead_name"], stored["hubspot_owner_id"]) == ("Ada Lovelace", owner)
    assert lead.properties["hs_createdate"] and lead.properties["hs_object_id"] == lead.id
    assert twin.associated_ids("leads", lead.id, "contacts") == [contact]
    assert twin.associated_ids("contacts", contact, "leads") == [lead.id]
    assert twin.associated_ids("companies", company, "leads") == [lead.id]
    read = client.crm.objects.leads.basic_api.get_by_id(
        lead.id, properties=["hs_pipeline_stage"], associations=["contacts"], _request_timeout=TIMEOUT
    )
    assert read.properties["hs_pipeline_stage"] == "new-stage-id"
    links = read.associations["contacts"].results
    assert {(link.id, link.type) for link in links} == {
        (contact, "lead_to_contact"),
        (contact, "lead_to_primary_contact"),
    }
    types = client.crm.associations.v4.basic_api.get_page("leads", lead.id, "contacts", _request_timeout=TIMEOUT)
    assert {t.type_id for t in types.results[0].association_types} == {PRIMARY_CONTACT, TO_CONTACT}


def test_the_lead_association_types_are_listed_as_the_schema_api_lists_them(client: HubSpot) -> None:
    def listed(from_type: str, to_type: str) -> set[tuple[int, str | None]]:
        found = client.crm.associations.v4.schema.definitions_api.get_all(from_type, to_type, _request_timeout=TIMEOUT)
        assert {t.category for t in found.results} == {"HUBSPOT_DEFINED"}
        return {(t.type_id, t.label) for t in found.results}

    assert listed("leads", "contacts") == {(TO_CONTACT, None), (PRIMARY_CONTACT, "Primary")}
    assert listed("contacts", "leads") == {(607, None), (577, "Primary")}
    assert listed("leads", "companies") == {(TO_COMPANY, None)}
    assert listed("companies", "leads") == {(609, None)}


def test_a_lead_without_its_primary_contact_or_name_is_refused(client: HubSpot, twin: Twin) -> None:
    contact = twin.create_object("contacts", {"email": "grace@example.com"})

    status, body = api_error(lambda: create_lead(client, None, hs_lead_name="Nobody's lead"))
    assert (status, body["category"]) == (400, "VALIDATION_ERROR")
    assert "associationTypeId 578" in body["message"]
    status, body = api_error(lambda: create_lead(client, [association(contact, TO_CONTACT)], hs_lead_name="Grace"))
    assert status == 400 and "primary contact" in body["message"]
    status, body = api_error(lambda: create_lead(client, [association(contact, PRIMARY_CONTACT)]))
    assert (status, body["errors"][0]["code"]) == (400, "REQUIRED_PROPERTY")
    assert body["errors"][0]["context"] == {"propertyName": ["hs_lead_name"]}
    assert twin.live_objects("leads") == []


def test_a_stage_outside_the_leads_pipeline_is_refused_with_hubspots_invalid_option(
    client: HubSpot, twin: Twin
) -> None:
    contact = twin.create_object("contacts", {"email": "alan@example.com"})
    lead = create_lead(client, [association(contact, PRIMARY_CONTACT)], hs_lead_name="Alan")

    update = SimplePublicObjectInput(properties={"hs_pipeline_stage": "closedwon"})
    status, body = api_error(lambda: client.crm.objects.leads.basic_api.update(lead.id, update))

    assert (status, body["errors"][0]["code"]) == (400, "INVALID_OPTION")
    assert body["errors"][0]["message"] == (
        "closedwon is not a valid pipeline stage ID. Valid options are: pipelineId=lead-pipeline-id : "
        "[new-stage-id, attempting-stage-id, connected-stage-id, qualified-stage-id, unqualified-stage-id]"
    )


def test_a_cycle_key_makes_leads_exactly_once_and_batch_upsert_updates_them(client: HubSpot, twin: Twin) -> None:
    add_cycle_key(client)
    contacts = [twin.create_object("contacts", {"email": f"p{n}@example.com"}) for n in range(2)]
    inputs = [
        SimplePublicObjectBatchInputForCreate(
            properties={"hs_lead_name": f"P{n}", CYCLE_KEY: f"{contact}:1"},
            associations=[association(contact, PRIMARY_CONTACT)],
        )
        for n, contact in enumerate(contacts)
    ]
    batch = BatchInputSimplePublicObjectBatchInputForCreate(inputs=inputs)
    created = client.crm.objects.leads.batch_api.create(batch, _request_timeout=TIMEOUT)
    assert len(created.results) == 2

    status, body = api_error(lambda: client.crm.objects.leads.batch_api.create(batch, _request_timeout=TIMEOUT))
    assert status == 400 and "already has that value" in body["message"]

    upserts = BatchInputSimplePublicObjectBatchInputUpsert(
        inputs=[
            SimplePublicObjectBatchInputUpsert(
                id=f"{contact}:1", id_property=CYCLE_KEY, properties={"hs_pipeline_stage": "attempting-stage-id"}
            )
            for contact in contacts
        ]
    )
    upserted = client.crm.objects.leads.batch_api.upsert(upserts, _request_timeout=TIMEOUT)
    assert sorted((r.new, r.properties["hs_pipeline_stage"]) for r in upserted.results) == [
        (False, "attempting-stage-id"),
        (False, "attempting-stage-id"),
    ]
    same = GenericUpsert(id=f"{contacts[0]}:1", id_property=CYCLE_KEY, properties={"hs_lead_label": "HOT"})
    again = client.crm.objects.batch_api.upsert("leads", GenericUpserts(inputs=[same]), _request_timeout=TIMEOUT)
    assert [r.new for r in again.results] == [False]
    assert len(twin.live_objects("leads")) == 2

    unknown = BatchInputSimplePublicObjectBatchInputUpsert(
        inputs=[
            SimplePublicObjectBatchInputUpsert(id="nobody:1", id_property=CYCLE_KEY, properties={"hs_lead_name": "New"})
        ]
    )
    status, body = api_error(lambda: client.crm.objects.leads.batch_api.upsert(unknown, _request_timeout=TIMEOUT))
    assert status == 400 and "associationTypeId 578" in body["message"]
    assert len(twin.live_objects("leads")) == 2


def test_the_leads_pipeline_is_read_with_hubspots_stage_ids(client: HubSpot, twin: Twin) -> None:
    (pipeline,) = client.crm.pipelines.pipelines_api.get_all("leads", _request_timeout=TIMEOUT).results

    assert (pipeline.id, pipeline.label) == ("lead-pipeline-id", "Lead pipeline")
    assert [(s.id, s.label, s.metadata) for s in pipeline.stages] == [
        ("new-stage-id", "New", {"isClosed": "false"}),
        ("attempting-stage-id", "Attempting", {"isClosed": "false"}),
        ("connected-stage-id", "Connected", {"isClosed": "false"}),
        ("qualified-stage-id", "Qualified", {"isClosed": "true"}),
        ("unqualified-stage-id", "Disqualified", {"isClosed": "true"}),
    ]
    by_object_type_id = client.crm.pipelines.pipelines_api.get_all("0-136", _request_timeout=TIMEOUT).results
    assert [p.id for p in by_object_type_id] == ["lead-pipeline-id"]


def test_a_seeded_lead_pipeline_is_served_and_its_stages_become_options(client: HubSpot, twin: Twin) -> None:
    stages = [StageSpec("Fresh", None, stage_id="fresh"), StageSpec("Won over", None, closed=True)]
    pipeline_id = twin.create_pipeline("Inbound leads", stages, object_type="leads")
    contact = twin.create_object("contacts", {"email": "seeded@example.com"})

    lead = create_lead(client, [association(contact, PRIMARY_CONTACT)], hs_lead_name="Seeded", hs_pipeline=pipeline_id)

    assert lead.properties["hs_pipeline_stage"] == "fresh"
    assert [p["id"] for p in twin.pipelines("leads")] == ["lead-pipeline-id", pipeline_id]
    assert [p["id"] for p in twin.pipelines()] == ["default"]
    stage_options = client.crm.properties.core_api.get_by_name("leads", "hs_pipeline_stage").options
    assert "fresh" in [o.value for o in stage_options]


def test_stage_changes_keep_their_history_and_a_custom_property_is_written(client: HubSpot, twin: Twin) -> None:
    body = PropertyCreate(name="leadflow_score", label="Score", type="number", field_type="number",
                          group_name="lead_information")  # fmt: skip
    client.crm.properties.core_api.create("leads", body, _request_timeout=TIMEOUT)
    contact = twin.create_object("contacts", {"email": "hist@example.com"})
    lead = create_lead(client, [association(contact, PRIMARY_CONTACT)], hs_lead_name="Hist", leadflow_score="81.0")
    for stage in ("connected-stage-id", "unqualified-stage-id"):
        reason = {"hs_lead_disqualification_reason": "NOT_A_GOOD_FIT"} if stage.startswith("un") else {}
        update = SimplePublicObjectInput(properties={"hs_pipeline_stage": stage, **reason})
        client.crm.objects.leads.basic_api.update(lead.id, update, _request_timeout=TIMEOUT)

    read = client.crm.objects.leads.basic_api.get_by_id(
        lead.id, properties_with_history=["hs_pipeline_stage"], properties=["leadflow_score"], _request_timeout=TIMEOUT
    )
    assert [v.value for v in read.properties_with_history["hs_pipeline_stage"]] == [
        "unqualified-stage-id",
        "connected-stage-id",
        "new-stage-id",
    ]
    assert read.properties["leadflow_score"] == "81"
    assert twin.get_object("leads", lead.id)["hs_lead_disqualification_reason"] == "NOT_A_GOOD_FIT"


def test_leads_are_searched_by_stage(client: HubSpot, twin: Twin, server: TwinServer) -> None:
    contact = twin.create_object("contacts", {"email": "search@example.com"})
    first = create_lead(client, [association(contact, PRIMARY_CONTACT)], hs_lead_name="One")
    create_lead(
        client, [association(contact, PRIMARY_CONTACT)], hs_lead_name="Two", hs_pipeline_stage="qualified-stage-id"
    )

    filters = [{"propertyName": "hs_pipeline_stage", "operator": "EQ", "value": "new-stage-id"}]
    reply = call(server, "POST", "/crm/v3/objects/leads/search", {"filterGroups": [{"filters": filters}]})

    assert reply.status == 200
    assert [r["id"] for r in reply.body["results"]] == [first.id]


def test_creation_and_stage_change_webhooks_are_sent_for_leads() -> None:
    twin = Twin(access_tokens={"sdk-token"})
    subscriptions = (
        Subscription("object.creation", object_type_id="0-136"),
        Subscription("object.propertyChange", "hs_pipeline_stage", object_type_id="0-136"),
        Subscription("object.associationChange", object_type_id="0-136"),
    )
    with Receiver() as receiver, twin.serve() as server:
        settings = WebhookSettings(receiver.url, CLIENT_SECRET, int(APP_ID), 62515, subscriptions=subscriptions)
        dispatcher = WebhookDispatcher(twin.feed, settings, DispatchOptions(retry=FAST_RETRIES)).start()
        try:
            client = HubSpot(access_token="sdk-token", host=server.url)
            contact = twin.create_object("contacts", {"email": "hooks@example.com"})
            lead = create_lead(client, [association(contact, PRIMARY_CONTACT)], hs_lead_name="Hooks")
            update = SimplePublicObjectInput(properties={"hs_pipeline_stage": "attempting-stage-id"})
            client.crm.objects.leads.basic_api.update(lead.id, update, _request_timeout=TIMEOUT)
            assert dispatcher.wait_idle(timeout=5)
        finally:
            dispatcher.stop()
    events = [e for e in receiver.events() if e.get("objectId", e.get("fromObjectId")) == int(lead.id)]
    kinds = [(e["subscriptionType"], e.get("propertyValue")) for e in events]
    assert kinds == [
        ("object.creation", None),
        ("object.propertyChange", "new-stage-id"),
        ("object.associationChange", None),
        ("object.associationChange", None),
        ("object.propertyChange", "attempting-stage-id"),
    ]
    assert {e["objectTypeId"] for e in events if "objectTypeId" in e} == {"0-136"}
    assert {e["associationTypeId"] for e in events if "associationTypeId" in e} == {PRIMARY_CONTACT, TO_CONTACT}
    assert events[-1]["changeSource"] == "INTEGRATION" and events[-1]["sourceId"] == APP_ID


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/crm/v3/objects/leads"),
        ("GET", "/crm/v3/objects/0-136/1001"),
        ("POST", "/crm/v3/objects/leads/batch/upsert"),
        ("GET", "/crm/v3/pipelines/leads"),
        ("GET", "/crm/v3/properties/leads"),
        ("GET", "/crm/v4/objects/contacts/1001/associations/leads"),
    ],
)
def test_a_portal_without_leads_answers_hubspots_missing_scopes(method: str, path: str) -> None:
    twin = Twin(access_tokens={"sdk-token"}, leads=False)
    with twin.serve() as server:
        reply = call(server, method, path, {"inputs": []} if method == "POST" else None, token="sdk-token")
        contacts = call(server, "GET", "/crm/v3/objects/contacts", token="sdk-token")

    assert reply.status == 403
    assert reply.body["category"] == "MISSING_SCOPES"
    assert reply.body["errors"][0]["context"]["requiredGranularScopes"] == [
        "crm.objects.leads.read",
        "crm.objects.leads.write",
    ]
    assert contacts.status == 200


def test_a_portal_without_leads_refuses_them_in_the_python_api_and_keeps_it_after_reset() -> None:
    twin = Twin(leads=False)
    twin.reset()
    with pytest.raises(HubSpotError) as refused:
        twin.create_object("leads", {"hs_lead_name": "x"})
    assert (refused.value.status, refused.value.category) == (403, "MISSING_SCOPES")
    assert twin.pipelines() and twin.live_objects("contacts") == []

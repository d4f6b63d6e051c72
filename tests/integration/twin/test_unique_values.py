"""Unique-value properties through the official SDK: created once and for good, enforced on every write, and
usable as ``idProperty`` in reads, updates and upserts."""

from __future__ import annotations

from hubspot import HubSpot
from hubspot.crm.deals import (
    BatchInputSimplePublicObjectBatchInput,
    BatchInputSimplePublicObjectBatchInputUpsert,
    BatchReadInputSimplePublicObjectId,
    SimplePublicObjectBatchInput,
    SimplePublicObjectBatchInputUpsert,
    SimplePublicObjectId,
    SimplePublicObjectInput,
    SimplePublicObjectInputForCreate,
)
from hubspot.crm.properties import PropertyCreate

from hubspot_twin import Twin, TwinServer
from tests.integration.twin.support import TIMEOUT, api_error, call


def unique_property(client: HubSpot, name: str = "external_ref", object_type: str = "deals") -> None:
    client.crm.properties.core_api.create(
        object_type,
        PropertyCreate(
            name=name,
            label=name,
            type="string",
            field_type="text",
            group_name="dealinformation" if object_type == "deals" else "contactinformation",
            has_unique_value=True,
        ),
        _request_timeout=TIMEOUT,
    )


def upsert_input(
    *items: tuple[str, dict[str, str]], id_property: str = "external_ref"
) -> BatchInputSimplePublicObjectBatchInputUpsert:
    return BatchInputSimplePublicObjectBatchInputUpsert(
        inputs=[SimplePublicObjectBatchInputUpsert(id=i, id_property=id_property, properties=p) for i, p in items]
    )


def test_a_unique_property_is_created_with_has_unique_value(client: HubSpot) -> None:
    unique_property(client)

    created = client.crm.properties.core_api.get_by_name("deals", "external_ref", _request_timeout=TIMEOUT)

    assert created.has_unique_value is True


def test_an_object_type_has_at_most_ten_unique_properties(client: HubSpot) -> None:
    for n in range(10):
        unique_property(client, f"unique_{n}")

    status, body = api_error(lambda: unique_property(client, "unique_10"))

    assert status == 400
    assert "maximum of 10 unique value properties" in body["message"]


def test_has_unique_value_cannot_be_changed_later(client: HubSpot, server: TwinServer) -> None:
    unique_property(client)

    reply = call(server, "PATCH", "/crm/v3/properties/deals/external_ref", {"hasUniqueValue": False})
    same = call(server, "PATCH", "/crm/v3/properties/deals/external_ref", {"hasUniqueValue": True, "label": "Ref"})

    assert reply.status == 400
    assert "hasUniqueValue" in reply.body["message"]
    assert (same.status, same.body["label"], same.body["hasUniqueValue"]) == (200, "Ref", True)


def test_a_value_another_record_holds_is_hubspots_400_naming_both_records(client: HubSpot, twin: Twin) -> None:
    unique_property(client)
    holder = twin.create_object("deals", {"dealname": "First", "external_ref": "ERP-1"})
    other = twin.create_object("deals", {"dealname": "Second"})

    status, body = api_error(
        lambda: client.crm.deals.basic_api.update(
            other, SimplePublicObjectInput(properties={"external_ref": "ERP-1"}), _request_timeout=TIMEOUT
        )
    )
    created_status, _ = api_error(
        lambda: client.crm.deals.basic_api.create(
            SimplePublicObjectInputForCreate(properties={"external_ref": "ERP-1"}), _request_timeout=TIMEOUT
        )
    )

    assert (status, created_status) == (400, 400)
    assert body["category"] == "VALIDATION_ERROR"
    assert body["message"] == (
        "Cannot set PropertyValueCoordinates{portalId=20000001, objectTypeId=ObjectTypeId{legacyObjectType=DEAL}, "
        f"propertyName=external_ref, value=ERP-1}} on {other}. {holder} already has that value."
    )


def test_an_archived_records_value_is_free_again(client: HubSpot, twin: Twin) -> None:
    unique_property(client)
    gone = twin.create_object("deals", {"external_ref": "ERP-2"})
    twin.archive_object("deals", gone)

    again = twin.create_object("deals", {"external_ref": "ERP-2"})

    assert again != gone


def test_records_are_read_and_updated_by_a_unique_value(client: HubSpot, twin: Twin) -> None:
    unique_property(client)
    deal_id = twin.create_object("deals", {"dealname": "By ref", "external_ref": "ERP-3"})

    read = client.crm.deals.batch_api.read(
        BatchReadInputSimplePublicObjectId(
            inputs=[SimplePublicObjectId(id="ERP-3")], properties=["dealname"], properties_with_history=[],
            id_property="external_ref",
        ),
        _request_timeout=TIMEOUT,
    )  # fmt: skip
    updated = client.crm.deals.batch_api.update(
        BatchInputSimplePublicObjectBatchInput(
            inputs=[SimplePublicObjectBatchInput(id="ERP-3", id_property="external_ref", properties={"amount": "7"})]
        ),
        _request_timeout=TIMEOUT,
    )
    single = client.crm.deals.basic_api.get_by_id("ERP-3", id_property="external_ref", _request_timeout=TIMEOUT)

    assert [r.id for r in read.results] == [deal_id]
    assert [(r.id, r.properties["amount"]) for r in updated.results] == [(deal_id, "7")]
    assert single.id == deal_id


def test_an_id_property_that_is_not_unique_is_refused(client: HubSpot, twin: Twin) -> None:
    twin.create_object("deals", {"dealname": "Plain"})

    status, body = api_error(
        lambda: client.crm.deals.basic_api.get_by_id("Plain", id_property="dealname", _request_timeout=TIMEOUT)
    )

    assert status == 400
    assert "dealname is not a unique identifier property" in body["message"]


def test_an_upsert_updates_the_record_holding_the_value_and_creates_the_others(client: HubSpot, twin: Twin) -> None:
    unique_property(client)
    existing = twin.create_object("deals", {"dealname": "Known", "external_ref": "ERP-4"})

    data, status, _ = client.crm.deals.batch_api.upsert_with_http_info(
        upsert_input(("ERP-4", {"amount": "10"}), ("ERP-5", {"dealname": "New one"})), _request_timeout=TIMEOUT
    )

    assert status == 200
    assert [(r.id == existing, r.new) for r in data.results] == [(True, False), (False, True)]
    assert data.results[0].properties["amount"] == "10"
    assert data.results[1].properties["external_ref"] == "ERP-5"
    assert twin.get_object("deals", data.results[1].id)["pipeline"] == "default"


def test_contacts_upsert_by_email(client: HubSpot, twin: Twin) -> None:
    known = twin.create_object("contacts", {"email": "known@example.com", "firstname": "Old"})
    body = {
        "inputs": [
            {"id": "KNOWN@example.com", "idProperty": "email", "properties": {"firstname": "New"}},
            {"id": "fresh@example.com", "idProperty": "email", "properties": {"firstname": "Fresh"}},
        ]
    }

    data = client.crm.contacts.batch_api.upsert(body, _request_timeout=TIMEOUT)

    assert [(r.id == known, r.new, r.properties["firstname"]) for r in data.results] == [
        (True, False, "New"),
        (False, True, "Fresh"),
    ]
    assert data.results[1].properties["email"] == "fresh@example.com"


def test_an_upsert_by_record_id_only_updates_and_reports_unknown_ids_as_a_207(client: HubSpot, twin: Twin) -> None:
    deal_id = twin.create_object("deals", {"dealname": "By id"})
    body = BatchInputSimplePublicObjectBatchInputUpsert(
        inputs=[
            SimplePublicObjectBatchInputUpsert(id=deal_id, properties={"amount": "3"}),
            SimplePublicObjectBatchInputUpsert(id="999999", properties={"amount": "4"}),
        ]
    )

    data, status, _ = client.crm.deals.batch_api.upsert_with_http_info(body, _request_timeout=TIMEOUT)

    assert status == 207
    assert [(r.id, r.new) for r in data.results] == [(deal_id, False)]
    assert (data.errors[0].category, data.errors[0].context) == ("OBJECT_NOT_FOUND", {"ids": ["999999"]})


def test_an_upsert_with_trace_ids_reports_invalid_inputs_as_a_207(client: HubSpot) -> None:
    unique_property(client)
    body = BatchInputSimplePublicObjectBatchInputUpsert(
        inputs=[
            SimplePublicObjectBatchInputUpsert(
                id="ERP-6", id_property="external_ref", properties={"dealstage": "closedwon"}, object_write_trace_id="a"
            ),
            SimplePublicObjectBatchInputUpsert(
                id="ERP-7", id_property="external_ref", properties={"dealstage": "nope"}, object_write_trace_id="b"
            ),
        ]
    )

    data, status, _ = client.crm.deals.batch_api.upsert_with_http_info(body, _request_timeout=TIMEOUT)

    assert status == 207
    assert [(r.object_write_trace_id, r.new) for r in data.results] == [("a", True)]
    assert data.errors[0].context == {"objectWriteTraceId": ["b"]}


def test_an_upsert_without_trace_ids_and_an_invalid_input_writes_nothing(client: HubSpot, twin: Twin) -> None:
    unique_property(client)

    status, body = api_error(
        lambda: client.crm.deals.batch_api.upsert(
            upsert_input(("ERP-8", {"dealname": "Fine"}), ("ERP-9", {"amount": "lots"})), _request_timeout=TIMEOUT
        )
    )

    assert status == 400
    assert body["errors"][0]["code"] == "INVALID_NUMBER"
    assert client.crm.deals.basic_api.get_page(_request_timeout=TIMEOUT).results == []


def test_two_upsert_inputs_writing_the_same_unique_value_are_refused(client: HubSpot) -> None:
    unique_property(client)
    unique_property(client, "code")

    status, body = api_error(
        lambda: client.crm.deals.batch_api.upsert(
            upsert_input(("A", {"code": "same"}), ("B", {"code": "same"})), _request_timeout=TIMEOUT
        )
    )

    assert status == 400
    assert body["message"] == "Duplicate code found in batch input: same"

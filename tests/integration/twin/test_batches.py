"""CRM object batches through the official SDK: HubSpot's limits, 207 multi-status and all-or-nothing writes."""

from __future__ import annotations

from hubspot import HubSpot
from hubspot.crm.contacts import (
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
)

from hubspot_twin import Twin
from tests.integration.twin.support import TIMEOUT, api_error

NOT_FOUND = "Could not get some CONTACT objects, they may be deleted or not exist. Check that ids are valid."


def read_input(
    ids: list[str], properties: list[str], history: list[str] | None = None
) -> BatchReadInputSimplePublicObjectId:
    return BatchReadInputSimplePublicObjectId(
        inputs=[SimplePublicObjectId(id=i) for i in ids], properties=properties, properties_with_history=history or []
    )


def create_input(*properties: dict[str, str]) -> BatchInputSimplePublicObjectBatchInputForCreate:
    return BatchInputSimplePublicObjectBatchInputForCreate(
        inputs=[SimplePublicObjectBatchInputForCreate(properties=p) for p in properties]
    )


def test_a_batch_read_of_known_ids_is_a_200_with_the_requested_properties(client: HubSpot, twin: Twin) -> None:
    ids = [twin.create_object("contacts", {"email": f"r{n}@example.com", "firstname": f"R{n}"}) for n in range(3)]

    data, status, _ = client.crm.contacts.batch_api.read_with_http_info(
        read_input(ids, ["firstname"]), _request_timeout=TIMEOUT
    )

    assert status == 200
    assert data.status == "COMPLETE"
    assert [r.properties["firstname"] for r in data.results] == ["R0", "R1", "R2"]
    assert data.started_at is not None
    assert data.completed_at is not None


def test_a_batch_read_with_unknown_ids_is_a_207_naming_them(client: HubSpot, twin: Twin) -> None:
    known = twin.create_object("contacts", {"email": "known@example.com"})

    data, status, _ = client.crm.contacts.batch_api.read_with_http_info(
        read_input([known, "999001", "999002"], ["email"]), _request_timeout=TIMEOUT
    )

    assert status == 207
    assert [r.id for r in data.results] == [known]
    assert data.num_errors == 1
    error = data.errors[0]
    assert (error.status, error.category, error.message) == ("error", "OBJECT_NOT_FOUND", NOT_FOUND)
    assert error.context == {"ids": ["999001", "999002"]}


def test_a_batch_read_of_only_unknown_ids_is_a_207_with_no_results(client: HubSpot) -> None:
    data, status, _ = client.crm.contacts.batch_api.read_with_http_info(
        read_input(["999003"], ["email"]), _request_timeout=TIMEOUT
    )

    assert status == 207
    assert data.results == []
    assert data.errors[0].context == {"ids": ["999003"]}


def test_a_batch_read_by_email_uses_the_id_property(client: HubSpot, twin: Twin) -> None:
    contact_id = twin.create_object("contacts", {"email": "byemail@example.com"})
    body = read_input(["byemail@example.com"], ["email"])
    body.id_property = "email"

    data = client.crm.contacts.batch_api.read(body, _request_timeout=TIMEOUT)

    assert [r.id for r in data.results] == [contact_id]


def test_a_batch_read_returns_property_histories_newest_first(client: HubSpot, twin: Twin) -> None:
    contact_id = twin.create_object("contacts", {"firstname": "Old"})
    twin.update_object("contacts", contact_id, {"firstname": "New"})

    data = client.crm.contacts.batch_api.read(read_input([contact_id], [], ["firstname"]), _request_timeout=TIMEOUT)

    assert [v.value for v in data.results[0].properties_with_history["firstname"]] == ["New", "Old"]
    assert data.results[0].properties_with_history["firstname"][0].source_type == "API"


def test_a_batch_of_one_hundred_is_accepted_and_of_one_hundred_and_one_is_hubspots_400(client: HubSpot) -> None:
    hundred = [{"firstname": f"P{n}"} for n in range(100)]

    created, status, _ = client.crm.contacts.batch_api.create_with_http_info(
        create_input(*hundred), _request_timeout=TIMEOUT
    )
    refused_status, body = api_error(
        lambda: client.crm.contacts.batch_api.create(
            create_input(*hundred, {"firstname": "P100"}), _request_timeout=TIMEOUT
        )
    )

    assert status == 201
    assert len(created.results) == 100
    assert refused_status == 400
    assert body["category"] == "VALIDATION_ERROR"
    assert body["message"] == (
        "The maximum number of inputs supported in a batch is 100. Please reduce the number of items and try again"
    )


def test_a_batch_read_of_one_hundred_and_one_ids_is_refused(client: HubSpot) -> None:
    status, body = api_error(
        lambda: client.crm.contacts.batch_api.read(
            read_input([str(n) for n in range(101)], []), _request_timeout=TIMEOUT
        )
    )

    assert status == 400
    assert "maximum number of inputs supported in a batch is 100" in body["message"]


def test_a_batch_create_makes_its_inline_associations(client: HubSpot, twin: Twin) -> None:
    company_id = twin.create_object("companies", {"name": "Acme"})
    association = PublicAssociationsForObject(
        to=PublicObjectId(id=company_id),
        types=[AssociationSpec(association_category="HUBSPOT_DEFINED", association_type_id=1)],
    )
    body = BatchInputSimplePublicObjectBatchInputForCreate(
        inputs=[SimplePublicObjectBatchInputForCreate(properties={"email": "a@acme.com"}, associations=[association])]
    )

    created = client.crm.contacts.batch_api.create(body, _request_timeout=TIMEOUT)

    contact_id = created.results[0].id
    assert twin.primary_company_id(contact_id) == company_id
    assert twin.get_object("contacts", contact_id)["associatedcompanyid"] == company_id


def test_a_batch_create_with_one_invalid_input_creates_nothing(client: HubSpot) -> None:
    status, body = api_error(
        lambda: client.crm.contacts.batch_api.create(
            create_input({"firstname": "Fine"}, {"favourite_colour": "blue"}), _request_timeout=TIMEOUT
        )
    )

    assert status == 400
    assert body["errors"][0]["code"] == "PROPERTY_DOESNT_EXIST"
    assert client.crm.contacts.basic_api.get_page(_request_timeout=TIMEOUT).results == []


def test_a_batch_create_with_trace_ids_creates_the_valid_inputs_and_reports_the_others(client: HubSpot) -> None:
    body = BatchInputSimplePublicObjectBatchInputForCreate(
        inputs=[
            SimplePublicObjectBatchInputForCreate(properties={"firstname": "Fine"}, object_write_trace_id="t-1"),
            SimplePublicObjectBatchInputForCreate(properties={"missing": "1"}, object_write_trace_id="t-2"),
        ]
    )

    data, status, _ = client.crm.contacts.batch_api.create_with_http_info(body, _request_timeout=TIMEOUT)

    assert status == 207
    assert [(r.properties["firstname"], r.object_write_trace_id) for r in data.results] == [("Fine", "t-1")]
    assert data.errors[0].category == "VALIDATION_ERROR"
    assert data.errors[0].context == {"objectWriteTraceId": ["t-2"]}
    assert data.errors[0].message.startswith("Property values were not valid: ")


def test_a_batch_update_of_known_ids_is_a_200(client: HubSpot, twin: Twin) -> None:
    ids = [twin.create_object("contacts", {"firstname": "Before"}) for _ in range(2)]
    body = BatchInputSimplePublicObjectBatchInput(
        inputs=[SimplePublicObjectBatchInput(id=i, properties={"hs_lead_status": "OPEN"}) for i in ids]
    )

    data, status, _ = client.crm.contacts.batch_api.update_with_http_info(body, _request_timeout=TIMEOUT)

    assert status == 200
    assert {r.properties["hs_lead_status"] for r in data.results} == {"OPEN"}
    assert twin.get_object("contacts", ids[1])["hs_lead_status"] == "OPEN"


def test_a_batch_update_with_an_unknown_id_is_a_207_and_updates_the_rest(client: HubSpot, twin: Twin) -> None:
    known = twin.create_object("contacts", {"firstname": "Known"})
    body = BatchInputSimplePublicObjectBatchInput(
        inputs=[
            SimplePublicObjectBatchInput(id=known, properties={"firstname": "Updated"}),
            SimplePublicObjectBatchInput(id="999004", properties={"firstname": "Nobody"}),
        ]
    )

    data, status, _ = client.crm.contacts.batch_api.update_with_http_info(body, _request_timeout=TIMEOUT)

    assert status == 207
    assert [r.id for r in data.results] == [known]
    assert (data.errors[0].category, data.errors[0].context) == ("OBJECT_NOT_FOUND", {"ids": ["999004"]})
    assert twin.get_object("contacts", known)["firstname"] == "Updated"


def test_a_batch_update_with_an_invalid_option_changes_nothing(client: HubSpot, twin: Twin) -> None:
    first = twin.create_object("contacts", {"lifecyclestage": "lead"})
    second = twin.create_object("contacts", {"lifecyclestage": "lead"})
    body = BatchInputSimplePublicObjectBatchInput(
        inputs=[
            SimplePublicObjectBatchInput(id=first, properties={"lifecyclestage": "customer"}),
            SimplePublicObjectBatchInput(id=second, properties={"lifecyclestage": "Customer"}),
        ]
    )

    status, body_json = api_error(lambda: client.crm.contacts.batch_api.update(body, _request_timeout=TIMEOUT))

    assert status == 400
    assert body_json["errors"][0]["code"] == "INVALID_OPTION"
    assert twin.get_object("contacts", first)["lifecyclestage"] == "lead"


def test_a_batch_archive_archives_each_record(client: HubSpot, twin: Twin) -> None:
    ids = [twin.create_object("companies", {"name": f"Gone {n}"}) for n in range(2)]
    body = BatchInputSimplePublicObjectId(inputs=[SimplePublicObjectId(id=i) for i in [*ids, "999005"]])

    _, status, _ = client.crm.companies.batch_api.archive_with_http_info(body, _request_timeout=TIMEOUT)

    assert status == 204
    assert client.crm.companies.basic_api.get_page(_request_timeout=TIMEOUT).results == []
    archived = client.crm.companies.basic_api.get_page(archived=True, _request_timeout=TIMEOUT)
    assert [c.id for c in archived.results] == ids

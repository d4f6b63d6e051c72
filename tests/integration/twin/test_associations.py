"""Associations v4 through the official SDK: stored once, read both ways with direction-specific type ids."""

from __future__ import annotations

from hubspot import HubSpot
from hubspot.crm.associations.v4 import (
    AssociationSpec,
    BatchInputPublicAssociationMultiArchive,
    BatchInputPublicAssociationMultiPost,
    BatchInputPublicDefaultAssociationMultiPost,
    BatchInputPublicFetchAssociationsBatchRequest,
    PublicAssociationMultiArchive,
    PublicAssociationMultiPost,
    PublicDefaultAssociationMultiPost,
    PublicFetchAssociationsBatchRequest,
    PublicObjectId,
)

from hubspot_twin import Twin
from tests.integration.twin.support import TIMEOUT, api_error


def spec(type_id: int) -> AssociationSpec:
    return AssociationSpec(association_category="HUBSPOT_DEFINED", association_type_id=type_id)


def create_input(from_id: str, to_id: str, *type_ids: int) -> BatchInputPublicAssociationMultiPost:
    post = PublicAssociationMultiPost(
        _from=PublicObjectId(id=from_id), to=PublicObjectId(id=to_id), types=[spec(t) for t in type_ids]
    )
    return BatchInputPublicAssociationMultiPost(inputs=[post])


def read_input(*ids: str) -> BatchInputPublicFetchAssociationsBatchRequest:
    return BatchInputPublicFetchAssociationsBatchRequest(
        inputs=[PublicFetchAssociationsBatchRequest(id=i) for i in ids]
    )


def type_ids(client: HubSpot, from_type: str, from_id: str, to_type: str) -> dict[str, list[int]]:
    read = client.crm.associations.v4.batch_api.get_page(
        from_type, to_type, read_input(from_id), _request_timeout=TIMEOUT
    )
    return {
        str(to.to_object_id): sorted(t.type_id for t in to.association_types)
        for result in read.results
        for to in result.to
    }


def test_a_primary_contact_company_association_reads_back_both_ways_with_hubspots_type_ids(
    client: HubSpot, twin: Twin
) -> None:
    contact_id = twin.create_object("contacts", {"email": "p@example.com"})
    company_id = twin.create_object("companies", {"name": "Primary Inc"})

    created, status, _ = client.crm.associations.v4.batch_api.create_with_http_info(
        "contacts", "companies", create_input(contact_id, company_id, 1), _request_timeout=TIMEOUT
    )

    assert status == 201
    assert created.results[0].labels == ["Primary"]
    assert (created.results[0].from_object_type_id, created.results[0].to_object_type_id) == ("0-1", "0-2")
    assert type_ids(client, "contacts", contact_id, "companies") == {company_id: [1, 279]}
    assert type_ids(client, "companies", company_id, "contacts") == {contact_id: [2, 280]}


def test_association_types_carry_category_and_label(client: HubSpot, twin: Twin) -> None:
    contact_id = twin.create_object("contacts", {})
    company_id = twin.create_object("companies", {})
    twin.associate("contacts", contact_id, "companies", company_id, primary=True)

    read = client.crm.associations.v4.batch_api.get_page("0-1", "0-2", read_input(contact_id), _request_timeout=TIMEOUT)

    types = {t.type_id: (t.category, t.label) for t in read.results[0].to[0].association_types}
    assert types == {1: ("HUBSPOT_DEFINED", "Primary"), 279: ("HUBSPOT_DEFINED", None)}
    assert read.results[0]._from.id == contact_id


def test_a_new_primary_company_demotes_the_old_one_to_unlabeled(client: HubSpot, twin: Twin) -> None:
    contact_id = twin.create_object("contacts", {})
    old, new = twin.create_object("companies", {}), twin.create_object("companies", {})
    twin.associate("contacts", contact_id, "companies", old, primary=True)

    client.crm.associations.v4.batch_api.create(
        "companies", "contacts", create_input(new, contact_id, 2), _request_timeout=TIMEOUT
    )

    assert type_ids(client, "contacts", contact_id, "companies") == {old: [279], new: [1, 279]}
    assert twin.primary_company_id(contact_id) == new
    assert twin.get_object("contacts", contact_id)["associatedcompanyid"] == new


def test_a_batch_read_of_a_record_without_associations_is_a_207_with_no_associations_found(
    client: HubSpot, twin: Twin
) -> None:
    lonely = twin.create_object("contacts", {})
    linked = twin.create_object("contacts", {})
    company_id = twin.create_object("companies", {})
    twin.associate("contacts", linked, "companies", company_id)

    data, status, _ = client.crm.associations.v4.batch_api.get_page_with_http_info(
        "contacts", "companies", read_input(linked, lonely), _request_timeout=TIMEOUT
    )

    assert status == 207
    assert [r._from.id for r in data.results] == [linked]
    error = data.errors[0]
    assert (error.category, error.sub_category) == ("OBJECT_NOT_FOUND", "crm.associations.NO_ASSOCIATIONS_FOUND")
    assert error.message == f"No company is associated with contact {lonely}."
    assert error.context == {"fromObjectId": [lonely], "fromObjectType": ["contact"], "toObjectType": ["company"]}


def test_a_batch_read_takes_at_most_one_thousand_ids(client: HubSpot) -> None:
    status, body = api_error(
        lambda: client.crm.associations.v4.batch_api.get_page(
            "contacts", "companies", read_input(*[str(n) for n in range(1001)]), _request_timeout=TIMEOUT
        )
    )

    assert status == 400
    assert "maximum number of inputs supported in a batch is 1000" in body["message"]


def test_default_associations_come_back_in_both_directions(client: HubSpot, twin: Twin) -> None:
    contact_id = twin.create_object("contacts", {})
    meeting_id = twin.create_object("meetings", {"hs_timestamp": "2025-01-01T00:00:00Z"})
    body = BatchInputPublicDefaultAssociationMultiPost(
        inputs=[
            PublicDefaultAssociationMultiPost(_from=PublicObjectId(id=meeting_id), to=PublicObjectId(id=contact_id))
        ]
    )

    data = client.crm.associations.v4.batch_api.create_default("meetings", "contacts", body, _request_timeout=TIMEOUT)

    pairs = {(r._from.id, r.to.id, r.association_spec.association_type_id) for r in data.results}
    assert pairs == {(meeting_id, contact_id, 200), (contact_id, meeting_id, 199)}


def test_a_single_default_association_is_made_with_put(client: HubSpot, twin: Twin) -> None:
    contact_id = twin.create_object("contacts", {})
    call_id = twin.create_object("calls", {"hs_timestamp": "2025-01-01T00:00:00Z"})

    data = client.crm.associations.v4.basic_api.create_default(
        "contact", contact_id, "call", call_id, _request_timeout=TIMEOUT
    )

    assert {r.association_spec.association_type_id for r in data.results} == {193, 194}
    assert twin.associated_ids("calls", call_id, "contacts") == [contact_id]


def test_labelled_associations_are_made_with_put_and_listed_per_record(client: HubSpot, twin: Twin) -> None:
    contact_id = twin.create_object("contacts", {})
    company_id = twin.create_object("companies", {})

    labels = client.crm.associations.v4.basic_api.create(
        "contacts", contact_id, "companies", company_id, [spec(1)], _request_timeout=TIMEOUT
    )
    listed = client.crm.associations.v4.basic_api.get_page(
        "companies", company_id, "contacts", _request_timeout=TIMEOUT
    )

    assert labels.labels == ["Primary"]
    assert [(r.to_object_id, sorted(t.type_id for t in r.association_types)) for r in listed.results] == [
        (contact_id, [2, 280])
    ]


def test_deleting_an_association_removes_it_from_both_sides(client: HubSpot, twin: Twin) -> None:
    contact_id = twin.create_object("contacts", {})
    company_id = twin.create_object("companies", {})
    twin.associate("contacts", contact_id, "companies", company_id, primary=True)

    _, status, _ = client.crm.associations.v4.basic_api.archive_with_http_info(
        "companies", company_id, "contacts", contact_id, _request_timeout=TIMEOUT
    )

    assert status == 204
    assert twin.associated_ids("contacts", contact_id, "companies") == []
    assert "associatedcompanyid" not in twin.get_object("contacts", contact_id)


def test_a_batch_archive_removes_the_listed_associations(client: HubSpot, twin: Twin) -> None:
    contact_id = twin.create_object("contacts", {})
    kept, removed = twin.create_object("companies", {}), twin.create_object("companies", {})
    twin.associate("contacts", contact_id, "companies", kept)
    twin.associate("contacts", contact_id, "companies", removed)
    body = BatchInputPublicAssociationMultiArchive(
        inputs=[PublicAssociationMultiArchive(_from=PublicObjectId(id=contact_id), to=[PublicObjectId(id=removed)])]
    )

    client.crm.associations.v4.batch_api.archive("contacts", "companies", body, _request_timeout=TIMEOUT)

    assert twin.associated_ids("contacts", contact_id, "companies") == [kept]


def test_archiving_the_primary_label_keeps_the_unlabeled_association(client: HubSpot, twin: Twin) -> None:
    contact_id = twin.create_object("contacts", {})
    company_id = twin.create_object("companies", {})
    twin.associate("contacts", contact_id, "companies", company_id, primary=True)

    client.crm.associations.v4.batch_api.archive_labels(
        "contacts", "companies", create_input(contact_id, company_id, 1), _request_timeout=TIMEOUT
    )

    assert type_ids(client, "contacts", contact_id, "companies") == {company_id: [279]}


def test_archiving_a_record_removes_its_associations(client: HubSpot, twin: Twin) -> None:
    contact_id = twin.create_object("contacts", {})
    company_id = twin.create_object("companies", {})
    twin.associate("contacts", contact_id, "companies", company_id, primary=True)

    client.crm.companies.basic_api.archive(company_id, _request_timeout=TIMEOUT)

    assert twin.associated_ids("contacts", contact_id, "companies") == []
    assert twin.primary_company_id(contact_id) is None
    assert "associatedcompanyid" not in twin.get_object("contacts", contact_id)


def test_an_association_to_an_unknown_record_is_a_207_error(client: HubSpot, twin: Twin) -> None:
    contact_id = twin.create_object("contacts", {})

    data, status, _ = client.crm.associations.v4.batch_api.create_with_http_info(
        "contacts", "companies", create_input(contact_id, "999006", 279), _request_timeout=TIMEOUT
    )

    assert status == 207
    assert data.results == []
    assert data.errors[0].context == {"fromObjectId": [contact_id], "toObjectId": ["999006"]}


def test_a_type_id_of_the_other_direction_is_rejected(client: HubSpot, twin: Twin) -> None:
    contact_id = twin.create_object("contacts", {})
    company_id = twin.create_object("companies", {})

    status, body = api_error(
        lambda: client.crm.associations.v4.batch_api.create(
            "contacts", "companies", create_input(contact_id, company_id, 280), _request_timeout=TIMEOUT
        )
    )

    assert status == 400
    assert body["message"] == "association type id 280 doesn't exist between contact and company"

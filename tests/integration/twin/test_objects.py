"""CRM objects one at a time, through the official SDK: create, read, update, archive, page."""

from __future__ import annotations

from hubspot import HubSpot
from hubspot.crm.contacts import SimplePublicObjectInput, SimplePublicObjectInputForCreate
from hubspot.crm.objects import SimplePublicObjectInputForCreate as ObjectInputForCreate

from hubspot_twin import Twin, TwinServer
from tests.integration.twin.support import TIMEOUT, api_error, call


def create_contact(client: HubSpot, **properties: str) -> str:
    created = client.crm.contacts.basic_api.create(
        SimplePublicObjectInputForCreate(properties=properties), _request_timeout=TIMEOUT
    )
    return str(created.id)


def test_a_created_contact_comes_back_with_hubspots_system_properties(client: HubSpot) -> None:
    data, status, _ = client.crm.contacts.basic_api.create_with_http_info(
        SimplePublicObjectInputForCreate(properties={"email": "Ada@Example.COM", "firstname": "Ada"}),
        _request_timeout=TIMEOUT,
    )

    assert status == 201
    assert data.id.isdigit()
    assert data.properties["email"] == "ada@example.com"
    assert data.properties["hs_object_id"] == data.id
    assert data.properties["createdate"] == data.properties["lastmodifieddate"]
    assert data.properties["createdate"].endswith("Z")
    assert data.archived is False
    assert data.created_at == data.updated_at


def test_object_ids_are_increasing_numeric_strings(client: HubSpot, twin: Twin) -> None:
    first = create_contact(client, email="one@example.com")
    second = twin.create_object("companies", {"name": "Acme"})
    third = create_contact(client, email="three@example.com")

    assert int(first) < int(second) < int(third)


def test_a_read_returns_the_requested_properties_with_null_for_unset_ones_and_skips_unknown_ones(
    client: HubSpot,
) -> None:
    contact_id = create_contact(client, email="grace@example.com", firstname="Grace")

    read = client.crm.contacts.basic_api.get_by_id(
        contact_id, properties=["firstname", "phone", "no_such_property"], _request_timeout=TIMEOUT
    )

    assert read.properties == {
        "createdate": read.properties["createdate"],
        "firstname": "Grace",
        "hs_object_id": contact_id,
        "lastmodifieddate": read.properties["lastmodifieddate"],
        "phone": None,
    }


def test_a_read_without_properties_returns_hubspots_default_set(client: HubSpot) -> None:
    contact_id = create_contact(client, email="linus@example.com", jobtitle="CTO")

    read = client.crm.contacts.basic_api.get_by_id(contact_id, _request_timeout=TIMEOUT)

    assert set(read.properties) == {"createdate", "email", "firstname", "hs_object_id", "lastmodifieddate", "lastname"}


def test_the_properties_query_parameter_may_be_comma_separated(server: TwinServer, twin: Twin) -> None:
    contact_id = twin.create_object("contacts", {"email": "a@b.de", "city": "Köln", "country": "Germany"})

    reply = call(server, "GET", f"/crm/v3/objects/contacts/{contact_id}?properties=city,country")

    assert reply.status == 200
    assert reply.body["properties"]["city"] == "Köln"
    assert reply.body["properties"]["country"] == "Germany"


def test_an_update_overwrites_values_and_an_empty_string_clears_one(client: HubSpot, twin: Twin) -> None:
    contact_id = create_contact(client, email="ken@example.com", firstname="Ken", jobtitle="CEO")

    updated = client.crm.contacts.basic_api.update(
        contact_id,
        SimplePublicObjectInput(properties={"firstname": "Kenneth", "jobtitle": ""}),
        _request_timeout=TIMEOUT,
    )

    assert updated.properties["firstname"] == "Kenneth"
    assert "jobtitle" not in updated.properties
    assert twin.get_object("contacts", contact_id)["firstname"] == "Kenneth"


def test_an_unknown_numeric_id_is_hubspots_404(client: HubSpot) -> None:
    status, body = api_error(lambda: client.crm.contacts.basic_api.get_by_id("999999", _request_timeout=TIMEOUT))

    assert status == 404
    assert body["status"] == "error"
    assert body["message"] == "resource not found"
    assert body["correlationId"]


def test_a_non_numeric_id_gets_hubspots_usually_numeric_404(client: HubSpot) -> None:
    status, body = api_error(lambda: client.crm.contacts.basic_api.get_by_id("abc", _request_timeout=TIMEOUT))

    assert status == 404
    assert body["message"] == "Object not found.  objectId are usually numeric."
    assert body["category"] == "OBJECT_NOT_FOUND"
    assert body["context"] == {"id": ["abc"]}


def test_a_contact_can_be_read_by_email_with_id_property(client: HubSpot, twin: Twin) -> None:
    contact_id = twin.create_object("contacts", {"email": "mail@example.com"})

    read = client.crm.contacts.basic_api.get_by_id("MAIL@example.com", id_property="email", _request_timeout=TIMEOUT)

    assert read.id == contact_id


def test_archiving_hides_a_record_unless_archived_records_are_asked_for(client: HubSpot) -> None:
    contact_id = create_contact(client, email="gone@example.com")

    _, status, _ = client.crm.contacts.basic_api.archive_with_http_info(contact_id, _request_timeout=TIMEOUT)

    assert status == 204
    status, _ = api_error(lambda: client.crm.contacts.basic_api.get_by_id(contact_id, _request_timeout=TIMEOUT))
    assert status == 404
    archived = client.crm.contacts.basic_api.get_by_id(contact_id, archived=True, _request_timeout=TIMEOUT)
    assert archived.archived is True
    assert archived.archived_at is not None


def test_a_duplicate_email_is_hubspots_409_conflict_naming_the_existing_contact(client: HubSpot) -> None:
    existing = create_contact(client, email="dup@example.com")

    status, body = api_error(lambda: create_contact(client, email="DUP@example.com"))

    assert status == 409
    assert body["category"] == "CONFLICT"
    assert body["message"] == f"Contact already exists. Existing ID: {existing}"


def test_pages_hold_limit_records_and_the_last_page_has_no_paging(client: HubSpot, twin: Twin) -> None:
    ids = [twin.create_object("companies", {"name": f"Company {n}"}) for n in range(5)]

    first = client.crm.companies.basic_api.get_page(limit=2, properties=["name"], _request_timeout=TIMEOUT)
    second = client.crm.companies.basic_api.get_page(limit=2, after=first.paging.next.after, _request_timeout=TIMEOUT)
    last = client.crm.companies.basic_api.get_page(limit=2, after=second.paging.next.after, _request_timeout=TIMEOUT)

    assert [c.id for c in first.results + second.results + last.results] == ids
    assert first.results[0].properties["name"] == "Company 0"
    assert "after=" in first.paging.next.link
    assert last.paging is None


def test_paging_a_seeded_portal_visits_each_live_contact_once_by_id_with_the_next_id_as_cursor(
    client: HubSpot, twin: Twin
) -> None:
    ids = twin.bulk_create("contacts", [{"email": f"p{n}@example.com", "firstname": f"P{n}"} for n in range(250)])
    company = twin.create_object("companies", {"name": "Acme"})
    twin.bulk_associate_primary([(contact_id, company) for contact_id in ids])
    twin.archive_object("contacts", ids[100])
    twin.merge_contacts(ids[0], ids[1])
    live = [i for n, i in enumerate(ids) if n not in (1, 100)]

    seen: list[str] = []
    cursors: list[str] = []
    after = None
    while True:
        page = client.crm.contacts.basic_api.get_page(
            limit=100, after=after, properties=["email", "associatedcompanyid"], _request_timeout=TIMEOUT
        )
        seen.extend(c.id for c in page.results)
        if page.paging is None:
            break
        after = page.paging.next.after
        cursors.append(after)

    assert seen == live
    assert cursors == [live[100], live[200]]
    assert {c.properties["associatedcompanyid"] for c in page.results} == {company}


def test_a_page_holds_ten_records_by_default_and_at_most_one_hundred(client: HubSpot, twin: Twin) -> None:
    for n in range(105):
        twin.create_object("contacts", {"firstname": f"Lead {n}"})

    default = client.crm.contacts.basic_api.get_page(_request_timeout=TIMEOUT)
    largest = client.crm.contacts.basic_api.get_page(limit=500, _request_timeout=TIMEOUT)

    assert len(default.results) == 10
    assert len(largest.results) == 100
    assert largest.paging.next.after


def test_a_type_id_names_the_same_object_type_as_its_name(client: HubSpot, twin: Twin) -> None:
    created = client.crm.objects.basic_api.create(
        "0-2", ObjectInputForCreate(properties={"name": "Typed"}), _request_timeout=TIMEOUT
    )

    assert twin.get_object("companies", created.id)["name"] == "Typed"
    read = client.crm.objects.basic_api.get_by_id("companies", created.id, _request_timeout=TIMEOUT)
    assert read.properties["name"] == "Typed"


def test_an_unknown_object_type_is_hubspots_400(client: HubSpot) -> None:
    status, body = api_error(lambda: client.crm.objects.basic_api.get_by_id("unicorns", "1", _request_timeout=TIMEOUT))

    assert status == 400
    assert body["message"] == "Unable to infer object type from: unicorns"

"""Owners through the official SDK: read-only listing and lookup, and ``hubspot_owner_id`` naming active owners."""

from __future__ import annotations

from hubspot import HubSpot
from hubspot.crm.contacts import SimplePublicObjectInput, SimplePublicObjectInputForCreate

from hubspot_twin import HubSpotError, Twin, TwinServer
from tests.integration.twin.support import TIMEOUT, api_error, call


def test_owners_are_listed_with_their_ids_names_and_teams(client: HubSpot, twin: Twin) -> None:
    owner_id = twin.create_owner("Anna.Bauer@Leadflow.example", "Anna", "Bauer", teams=["DACH", "Enterprise"])

    page = client.crm.owners.owners_api.get_page(_request_timeout=TIMEOUT)

    owner = page.results[0]
    assert (owner.id, owner.email, owner.first_name, owner.last_name) == (
        owner_id, "anna.bauer@leadflow.example", "Anna", "Bauer",
    )  # fmt: skip
    assert owner.type == "PERSON"
    assert owner.user_id == owner.user_id_including_inactive
    assert [(t.name, t.primary) for t in owner.teams] == [("DACH", True), ("Enterprise", False)]
    assert page.paging is None


def test_owners_page_by_limit_and_after_and_filter_by_email(client: HubSpot, twin: Twin) -> None:
    ids = [twin.create_owner(f"rep{n}@example.com", f"Rep{n}", "X") for n in range(5)]

    first = client.crm.owners.owners_api.get_page(limit=2, _request_timeout=TIMEOUT)
    second = client.crm.owners.owners_api.get_page(limit=2, after=first.paging.next.after, _request_timeout=TIMEOUT)
    by_email = client.crm.owners.owners_api.get_page(email="REP3@example.com", _request_timeout=TIMEOUT)

    assert [o.id for o in first.results] == ids[:2]
    assert [o.id for o in second.results] == ids[2:4]
    assert [o.id for o in by_email.results] == [ids[3]]


def test_an_archived_owner_is_listed_only_with_archived_and_has_no_user_id(client: HubSpot, twin: Twin) -> None:
    active = twin.create_owner("active@example.com", "Active", "Rep")
    former = twin.create_owner("former@example.com", "Former", "Rep", archived=True)

    listed = client.crm.owners.owners_api.get_page(_request_timeout=TIMEOUT)
    archived = client.crm.owners.owners_api.get_page(archived=True, _request_timeout=TIMEOUT)

    assert [o.id for o in listed.results] == [active]
    assert [(o.id, o.archived, o.user_id) for o in archived.results] == [(former, True, None)]
    assert archived.results[0].user_id_including_inactive is not None


def test_an_owner_is_read_by_id_or_by_user_id(client: HubSpot, twin: Twin) -> None:
    owner_id = twin.create_owner("one@example.com", "One", "Rep")
    user_id = twin.owners()[0]["userId"]

    by_id = client.crm.owners.owners_api.get_by_id(int(owner_id), _request_timeout=TIMEOUT)
    by_user = client.crm.owners.owners_api.get_by_id(user_id, id_property="userId", _request_timeout=TIMEOUT)
    status, body = api_error(lambda: client.crm.owners.owners_api.get_by_id(123, _request_timeout=TIMEOUT))

    assert by_id.email == by_user.email == "one@example.com"
    assert status == 404
    assert body["category"] == "OBJECT_NOT_FOUND"


def test_owners_are_read_only_over_http(server: TwinServer) -> None:
    reply = call(server, "POST", "/crm/v3/owners/", {"email": "x@example.com"})

    assert reply.status in (404, 405)


def test_hubspot_owner_id_takes_an_active_owners_id(client: HubSpot, twin: Twin) -> None:
    owner_id = twin.create_owner("rep@example.com", "Rep", "One")

    contact = client.crm.contacts.basic_api.create(
        SimplePublicObjectInputForCreate(properties={"email": "c@example.com", "hubspot_owner_id": owner_id}),
        _request_timeout=TIMEOUT,
    )

    assert contact.properties["hubspot_owner_id"] == owner_id


def test_an_unknown_owner_id_is_refused(client: HubSpot) -> None:
    status, body = api_error(
        lambda: client.crm.contacts.basic_api.create(
            SimplePublicObjectInputForCreate(properties={"hubspot_owner_id": "4242"}), _request_timeout=TIMEOUT
        )
    )

    assert status == 400
    assert body["message"].startswith("Property values were not valid: ")
    assert body["errors"] == [
        {
            "message": "4242 is not a valid owner id",
            "code": "INVALID_OWNER_ID",
            "context": {"propertyName": ["hubspot_owner_id"]},
        }
    ]


def test_an_archived_owner_can_no_longer_own_records(client: HubSpot, twin: Twin) -> None:
    owner_id = twin.create_owner("leaving@example.com", "Leaving", "Rep")
    contact_id = twin.create_object("contacts", {"hubspot_owner_id": owner_id})
    twin.archive_owner(owner_id)

    status, body = api_error(
        lambda: client.crm.deals.basic_api.create(
            {"properties": {"dealname": "Orphan", "hubspot_owner_id": owner_id}}, _request_timeout=TIMEOUT
        )
    )
    cleared = client.crm.contacts.basic_api.update(
        contact_id, SimplePublicObjectInput(properties={"hubspot_owner_id": ""}), _request_timeout=TIMEOUT
    )

    assert status == 400
    assert body["errors"][0]["code"] == "INVALID_OWNER_ID"
    assert "hubspot_owner_id" not in cleared.properties


def test_a_user_id_or_a_non_number_is_not_an_owner_id(twin: Twin) -> None:
    twin.create_owner("rep@example.com", "Rep", "One")
    user_id = str(twin.owners()[0]["userId"])

    for value, code in ((user_id, "INVALID_OWNER_ID"), ("rep@example.com", "INVALID_INTEGER")):
        try:
            twin.create_object("tasks", {"hs_timestamp": "2025-01-01T00:00:00Z", "hubspot_owner_id": value})
        except HubSpotError as error:
            assert error.errors is not None
            assert error.errors[0]["code"] == code
        else:
            raise AssertionError(f"{value} was accepted as an owner id")

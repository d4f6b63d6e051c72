"""Lists v3 through the official SDK, and sales sequence enrollments over HTTP (the SDK has no sequences client)."""

from __future__ import annotations

from hubspot import HubSpot
from hubspot.crm.lists import ListCreateRequest

from hubspot_twin import Twin, TwinServer
from tests.integration.twin.support import TIMEOUT, api_error, call

ENROLL = "/automation/v4/sequences/enrollments"


def test_a_manual_list_is_created_read_and_takes_members_by_hand(client: HubSpot, twin: Twin) -> None:
    ids = [twin.create_object("contacts", {"email": f"c{n}@example.com"}) for n in range(2)]
    request = ListCreateRequest(name="Checklist readers", object_type_id="0-1", processing_type="MANUAL")
    created = client.crm.lists.lists_api.create(request, _request_timeout=TIMEOUT).list

    added = client.crm.lists.memberships_api.add(created.list_id, [ids[0], "999999"], _request_timeout=TIMEOUT)
    again = client.crm.lists.memberships_api.add(created.list_id, [ids[0], ids[1]], _request_timeout=TIMEOUT)
    page = client.crm.lists.memberships_api.get_page(created.list_id, _request_timeout=TIMEOUT)
    read = client.crm.lists.lists_api.get_by_id(created.list_id, _request_timeout=TIMEOUT).list

    assert (created.processing_type, created.object_type_id, created.size) == ("MANUAL", "0-1", 0)
    assert (added.records_ids_added, added.record_ids_missing) == ([ids[0]], ["999999"])
    assert (again.records_ids_added, again.record_ids_missing) == ([ids[1]], [])  # a member is not added twice
    assert [row.record_id for row in page.results] == ids
    assert (read.name, read.size) == ("Checklist readers", 2)
    assert twin.list_members(created.list_id) == ids


def test_a_dynamic_list_refuses_members_and_an_unknown_list_is_404(client: HubSpot, twin: Twin) -> None:
    contact_id = twin.create_object("contacts", {"email": "c@example.com"})
    dynamic = twin.create_list("Everyone", "DYNAMIC")

    dynamic_status, body = api_error(lambda: client.crm.lists.memberships_api.add(dynamic, [contact_id]))
    unknown_status, _ = api_error(lambda: client.crm.lists.memberships_api.add("4242", [contact_id]))
    bad_status, _ = api_error(
        lambda: client.crm.lists.lists_api.create(
            ListCreateRequest(name="x", object_type_id="0-1", processing_type="SOMETIMES")
        )
    )

    assert (dynamic_status, unknown_status, bad_status) == (400, 404, 400)
    assert "DYNAMIC" in body["message"]
    assert twin.list_members(dynamic) == []


def test_a_contact_is_enrolled_once_by_a_user_sending_from_their_own_address(server: TwinServer, twin: Twin) -> None:
    contact_id = twin.create_object("contacts", {"email": "anna@example.com"})
    twin.create_owner("Rep@Example.com", "Rep", "One")
    user_id = twin.owners()[0]["userId"]
    sequence_id = twin.create_sequence("After the handover")
    body = {"contactId": contact_id, "sequenceId": sequence_id, "senderEmail": "rep@example.com"}

    enrolled = call(server, "POST", f"{ENROLL}?userId={user_id}", body)
    twice = call(server, "POST", f"{ENROLL}?userId={user_id}", body)
    read = call(server, "GET", f"{ENROLL}/contact/{contact_id}")

    assert enrolled.status == 200 and enrolled.body["toEmail"] == "anna@example.com"
    assert (twice.status, twice.body["category"]) == (400, "CONFLICT")
    assert read.status == 200
    assert (read.body["id"], read.body["sequenceId"], read.body["sequenceName"]) == (
        enrolled.body["id"], sequence_id, "After the handover",
    )  # fmt: skip
    assert (read.body["enrolledBy"], read.body["enrolledByEmail"]) == (str(user_id), "rep@example.com")


def test_enrollment_errors_unknown_sequence_user_sender_contact_and_none_yet(server: TwinServer, twin: Twin) -> None:
    contact_id = twin.create_object("contacts", {"email": "anna@example.com"})
    twin.create_owner("rep@example.com", "Rep", "One")
    user_id = twin.owners()[0]["userId"]
    sequence_id = twin.create_sequence("After the handover")

    def enroll(user: object, **changes: str) -> int:
        body = {"contactId": contact_id, "sequenceId": sequence_id, "senderEmail": "rep@example.com", **changes}
        return call(server, "POST", f"{ENROLL}?userId={user}", body).status

    assert enroll(user_id, sequenceId="123") == 404
    assert enroll(12345) == 400  # no such user
    assert enroll(user_id, senderEmail="other@example.com") == 400
    assert enroll(user_id, contactId="999999") == 404
    assert call(server, "POST", ENROLL, {"contactId": contact_id}).status == 400  # no userId
    assert call(server, "GET", f"{ENROLL}/contact/{contact_id}").status == 404
    assert twin.enrollment(contact_id) is None

"""Meetings and calls through the official SDK, created with their associations to contacts."""

from __future__ import annotations

from hubspot import HubSpot
from hubspot.crm.objects.calls import AssociationSpec as CallAssociationSpec
from hubspot.crm.objects.calls import PublicAssociationsForObject as CallAssociations
from hubspot.crm.objects.calls import PublicObjectId as CallTarget
from hubspot.crm.objects.calls import SimplePublicObjectInputForCreate as CallInput
from hubspot.crm.objects.meetings import AssociationSpec, PublicAssociationsForObject, PublicObjectId
from hubspot.crm.objects.meetings import SimplePublicObjectInput as MeetingUpdate
from hubspot.crm.objects.meetings import SimplePublicObjectInputForCreate as MeetingInput

from hubspot_twin import Twin
from tests.integration.twin.support import TIMEOUT, api_error


def meeting_with(contact_id: str, type_id: int = 200, **properties: str) -> MeetingInput:
    association = PublicAssociationsForObject(
        to=PublicObjectId(id=contact_id),
        types=[AssociationSpec(association_category="HUBSPOT_DEFINED", association_type_id=type_id)],
    )
    return MeetingInput(properties=properties, associations=[association])


def test_a_meeting_created_with_a_contact_association_is_associated_both_ways(client: HubSpot, twin: Twin) -> None:
    contact_id = twin.create_object("contacts", {"email": "m@example.com"})

    meeting = client.crm.objects.meetings.basic_api.create(
        meeting_with(
            contact_id, hs_timestamp="2025-03-01T10:00:00Z", hs_meeting_title="Demo", hs_meeting_outcome="SCHEDULED"
        ),
        _request_timeout=TIMEOUT,
    )

    assert meeting.properties["hs_timestamp"] == "2025-03-01T10:00:00.000Z"
    assert meeting.properties["hs_createdate"]
    assert twin.associated_ids("meetings", meeting.id, "contacts") == [contact_id]
    assert twin.associated_ids("contacts", contact_id, "meetings") == [meeting.id]


def test_a_meeting_read_with_associations_lists_them_by_hubspots_type_name(client: HubSpot, twin: Twin) -> None:
    contact_id = twin.create_object("contacts", {"email": "n@example.com"})
    meeting = client.crm.objects.meetings.basic_api.create(
        meeting_with(contact_id, hs_timestamp="1735725600000"), _request_timeout=TIMEOUT
    )

    read = client.crm.objects.meetings.basic_api.get_by_id(
        meeting.id, properties=["hs_timestamp"], associations=["contacts"], _request_timeout=TIMEOUT
    )

    assert read.properties["hs_timestamp"] == "2025-01-01T10:00:00.000Z"
    assert [(a.id, a.type) for a in read.associations["contacts"].results] == [(contact_id, "meeting_event_to_contact")]


def test_a_meeting_takes_its_start_time_as_timestamp_when_none_is_given(client: HubSpot, twin: Twin) -> None:
    contact_id = twin.create_object("contacts", {})

    meeting = client.crm.objects.meetings.basic_api.create(
        meeting_with(contact_id, hs_meeting_start_time="2025-05-05T08:00:00Z"), _request_timeout=TIMEOUT
    )

    assert meeting.properties["hs_timestamp"] == "2025-05-05T08:00:00.000Z"


def test_a_meeting_without_a_timestamp_is_rejected(client: HubSpot, twin: Twin) -> None:
    contact_id = twin.create_object("contacts", {})

    status, body = api_error(
        lambda: client.crm.objects.meetings.basic_api.create(
            meeting_with(contact_id, hs_meeting_title="No time"), _request_timeout=TIMEOUT
        )
    )

    assert status == 400
    assert body["errors"][0]["context"] == {"propertyName": ["hs_timestamp"]}


def test_the_contact_to_meeting_type_id_is_refused_on_a_meeting_create(client: HubSpot, twin: Twin) -> None:
    contact_id = twin.create_object("contacts", {})

    status, body = api_error(
        lambda: client.crm.objects.meetings.basic_api.create(
            meeting_with(contact_id, 199, hs_timestamp="2025-01-01T00:00:00Z"), _request_timeout=TIMEOUT
        )
    )

    assert status == 400
    assert body["message"] == "invalid from object type 0-47 for associations to be created. expected: 0-1"


def test_an_association_to_a_missing_contact_fails_the_create(client: HubSpot) -> None:
    status, body = api_error(
        lambda: client.crm.objects.meetings.basic_api.create(
            meeting_with("424242", hs_timestamp="2025-01-01T00:00:00Z"), _request_timeout=TIMEOUT
        )
    )

    assert status == 400
    assert body["message"] == "One or more associations are invalid"
    assert client.crm.objects.meetings.basic_api.get_page(_request_timeout=TIMEOUT).results == []


def test_a_meeting_outcome_must_be_one_of_hubspots_options(client: HubSpot, twin: Twin) -> None:
    contact_id = twin.create_object("contacts", {})
    meeting = client.crm.objects.meetings.basic_api.create(
        meeting_with(contact_id, hs_timestamp="2025-01-01T00:00:00Z"), _request_timeout=TIMEOUT
    )

    status, body = api_error(
        lambda: client.crm.objects.meetings.basic_api.update(
            meeting.id, MeetingUpdate(properties={"hs_meeting_outcome": "DONE"}), _request_timeout=TIMEOUT
        )
    )

    assert status == 400
    assert body["errors"][0]["code"] == "INVALID_OPTION"


def test_a_call_is_created_with_its_contact_association_type_194(client: HubSpot, twin: Twin) -> None:
    contact_id = twin.create_object("contacts", {"email": "c@example.com"})
    association = CallAssociations(
        to=CallTarget(id=contact_id),
        types=[CallAssociationSpec(association_category="HUBSPOT_DEFINED", association_type_id=194)],
    )

    call = client.crm.objects.calls.basic_api.create(
        CallInput(
            properties={
                "hs_timestamp": "2025-02-02T09:00:00Z",
                "hs_call_direction": "OUTBOUND",
                "hs_call_status": "COMPLETED",
            },
            associations=[association],
        ),
        _request_timeout=TIMEOUT,
    )

    assert call.properties["hs_call_direction"] == "OUTBOUND"
    assert twin.associated_ids("contacts", contact_id, "calls") == [call.id]
    read = client.crm.objects.calls.basic_api.get_by_id(
        call.id, properties=["hs_call_status"], _request_timeout=TIMEOUT
    )
    assert read.properties["hs_call_status"] == "COMPLETED"

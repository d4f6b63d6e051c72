"""The twin sends HubSpot's webhooks for the engagement objects sales log through its API: `object.creation` of
calls (0-48), e-mails (0-49) and meetings (0-47), and their associations with the contact (one event per direction)."""

from __future__ import annotations

from hubspot import HubSpot
from hubspot.crm.objects.emails import AssociationSpec, PublicAssociationsForObject, PublicObjectId
from hubspot.crm.objects.emails import SimplePublicObjectInputForCreate as EmailInput

from hubspot_twin import Twin
from hubspot_twin.webhooks.dispatch import DispatchOptions, WebhookDispatcher
from hubspot_twin.webhooks.subscriptions import Subscription, WebhookSettings
from tests.integration.twin.test_webhook_delivery import FAST_RETRIES, Receiver
from tests.support.app import APP_ID, CLIENT_SECRET

ENGAGEMENTS = {"meetings": ("0-47", 200), "calls": ("0-48", 194), "emails": ("0-49", 198)}  # type id, →contact
SUBSCRIPTIONS = (
    *(Subscription("object.creation", object_type_id=type_id) for type_id, _ in ENGAGEMENTS.values()),
    *(Subscription("object.associationChange", object_type_id=type_id) for type_id, _ in ENGAGEMENTS.values()),
)


def logged(contact_id: str, to_contact: int, **properties: str) -> EmailInput:
    association = PublicAssociationsForObject(
        to=PublicObjectId(id=contact_id),
        types=[AssociationSpec(association_category="HUBSPOT_DEFINED", association_type_id=to_contact)],
    )
    return EmailInput(properties=properties, associations=[association])


def test_engagements_created_through_the_api_send_their_creation_and_association_events() -> None:
    twin = Twin(access_tokens={"sdk-token"})
    with Receiver() as receiver, twin.serve() as server:
        settings = WebhookSettings(receiver.url, CLIENT_SECRET, int(APP_ID), 62515, subscriptions=SUBSCRIPTIONS)
        dispatcher = WebhookDispatcher(twin.feed, settings, DispatchOptions(retry=FAST_RETRIES)).start()
        try:
            client = HubSpot(access_token="sdk-token", host=server.url)
            contact_id = twin.create_object("contacts", {"email": "rep-touch@example.com"})
            owner = twin.create_owner("rep@example.com")
            created = {}
            for name, (_type_id, to_contact) in ENGAGEMENTS.items():
                api = getattr(client.crm.objects, name).basic_api
                extra = {"hs_email_direction": "EMAIL"} if name == "emails" else {}
                body = logged(
                    contact_id, to_contact, hs_timestamp="2026-11-25T10:05:00Z", hubspot_owner_id=owner, **extra
                )
                created[name] = api.create(body).id
            assert dispatcher.wait_idle(timeout=5)
        finally:
            dispatcher.stop()
    events = receiver.events()
    for name, (type_id, _to_contact) in ENGAGEMENTS.items():
        object_id = int(created[name])
        (creation,) = [e for e in events if e["subscriptionType"] == "object.creation" and e["objectId"] == object_id]
        assert (creation["objectTypeId"], creation["changeFlag"]) == (type_id, "CREATED")
        links = [e for e in events if e["subscriptionType"] == "object.associationChange"
                 and object_id in (e["fromObjectId"], e["toObjectId"])]  # fmt: skip
        assert {(e["fromObjectId"], e["toObjectId"], e["associationRemoved"]) for e in links} == {
            (object_id, int(contact_id), False)
        }  # only the engagement's side is subscribed here
    assert twin.associated_ids("emails", created["emails"], "contacts") == [contact_id]

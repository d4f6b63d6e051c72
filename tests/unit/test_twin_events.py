"""The twin's side of webhooks without HTTP: subscriptions, Change → HubSpot events, the retry schedule."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

from app.rules import load_signal_rules
from app.webhooks.events import parse_events
from app.webhooks.translate import TranslationContext, translate
from hubspot_twin.crm.changes import CRM_UI, Change, ChangeSource, integration
from hubspot_twin.webhooks.delivery import RetrySchedule
from hubspot_twin.webhooks.events import EventMapper
from hubspot_twin.webhooks.subscriptions import Subscription, WebhookSettings

ROOT = Path(__file__).resolve().parents[2]
APP_ID = 4242
AT = 1764150000000
SUBSCRIPTIONS = (
    Subscription("contact.creation"),
    Subscription("contact.propertyChange", "jobtitle"),
    Subscription("contact.propertyChange", "recent_conversion_event_name"),
    Subscription("contact.deletion"),
    Subscription("contact.restore"),
    Subscription("contact.merge"),
    Subscription("contact.privacyDeletion"),
    Subscription("contact.associationChange"),
    Subscription("company.propertyChange", "industry"),
    Subscription("company.associationChange"),
    Subscription("object.creation", object_type_id="0-47"),
    Subscription("object.creation", object_type_id="0-48"),
    Subscription("object.propertyChange", "hs_lead_status", "0-1"),
    Subscription("object.associationChange", object_type_id="0-47"),
    Subscription("deal.creation", active=False),
)
CONTEXT = TranslationContext(app_id=str(APP_ID), rules=load_signal_rules(ROOT / "config" / "signals.yaml"))


def mapper(*subscriptions: Subscription) -> EventMapper:
    settings = WebhookSettings(
        "http://127.0.0.1:1/webhooks/hubspot", "secret", APP_ID, 62515, subscriptions=subscriptions or SUBSCRIPTIONS
    )
    return EventMapper(settings)


def change(kind: Any, object_type: str = "contacts", object_id: str = "101", **fields: Any) -> Change:
    return Change(kind, object_type, object_id, AT, **fields)


def types(events: list[dict[str, Any]]) -> list[str]:
    return [event["subscriptionType"] for event in events]


def test_a_creation_carries_hubspots_common_fields_and_the_initial_subscribed_values() -> None:
    events = mapper().events(change("created", properties={"email": "a@b.c", "jobtitle": "CTO", "firstname": ""}))
    creation, job = events
    assert creation == {
        "eventId": 1, "subscriptionId": 2501, "portalId": 62515, "appId": APP_ID, "occurredAt": AT,
        "subscriptionType": "contact.creation", "attemptNumber": 0, "objectId": 101, "changeFlag": "CREATED",
        "changeSource": "CRM_UI", "sourceId": "userId:1",
    }  # fmt: skip
    assert (job["subscriptionType"], job["propertyName"]) == ("contact.propertyChange", "jobtitle")
    assert job["propertyValue"] == "CTO"
    assert job["eventId"] == 2 and job["subscriptionId"] == 2502


def test_an_update_yields_one_property_change_per_subscribed_property_and_a_cleared_value_is_empty() -> None:
    update = change("updated", properties={"jobtitle": None, "recent_conversion_event_name": "Whitepaper", "city": "X"})
    events = mapper().events(update)
    assert [(e["propertyName"], e["propertyValue"]) for e in events] == [
        ("jobtitle", ""),
        ("recent_conversion_event_name", "Whitepaper"),
    ]


def test_leadflows_own_writes_come_back_as_integration_with_its_app_id_and_are_dropped_as_echoes() -> None:
    events = mapper().events(change("updated", source=integration(str(APP_ID)), properties={"jobtitle": "CEO"}))
    assert (events[0]["changeSource"], events[0]["sourceId"]) == ("INTEGRATION", "4242")
    (parsed,) = parse_events(json.dumps(events).encode())
    assert translate(parsed, CONTEXT).outcome == "echo"


def test_a_source_without_id_leaves_source_id_out() -> None:
    (event,) = mapper().events(change("archived", source=ChangeSource("IMPORT", None)))
    assert event["changeFlag"] == "DELETED" and event["changeSource"] == "IMPORT" and "sourceId" not in event


def test_a_privacy_deletion_also_yields_a_normal_deletion() -> None:
    events = mapper().events(change("privacy_deleted"))
    assert types(events) == ["contact.privacyDeletion", "contact.deletion"]
    assert [e["changeFlag"] for e in events] == ["GDPR_DELETED", "DELETED"]
    outcomes = [translate(e, CONTEXT).outcome for e in parse_events(json.dumps(events).encode())]
    assert outcomes == ["forgotten", "accepted"]


def test_a_merge_names_the_primary_the_merged_and_the_new_record() -> None:
    (event,) = mapper().events(change("merged", merged_ids=("102", "103"), properties={"a": "1", "b": "2"}))
    assert event["subscriptionType"] == "contact.merge"
    assert (event["objectId"], event["primaryObjectId"], event["mergedObjectIds"]) == (101, 101, [102, 103])
    assert (event["newObjectId"], event["numberOfPropertiesMoved"]) == (101, 2)
    (parsed,) = parse_events(json.dumps([event]).encode())
    (merge,) = translate(parsed, CONTEXT).merges
    assert (merge.survivor, sorted(merge.merged)) == ("101", ["102", "103"])


def test_a_primary_association_is_reported_in_both_directions_for_each_type() -> None:
    linked = change("associated", to_object_type="companies", to_object_id="501", association_type_ids=(279, 1))
    events = mapper().events(linked)
    summary = [(e["associationType"], e["fromObjectId"], e["toObjectId"], e["isPrimaryAssociation"]) for e in events]
    assert summary == [
        ("CONTACT_TO_COMPANY", 101, 501, False),
        ("COMPANY_TO_CONTACT", 501, 101, False),
        ("CONTACT_TO_COMPANY", 101, 501, True),
        ("COMPANY_TO_CONTACT", 501, 101, True),
    ]
    assert types(events) == ["contact.associationChange", "company.associationChange"] * 2
    assert all(e["associationRemoved"] is False and "objectId" not in e for e in events)
    signals = [translate(e, CONTEXT).signals[0] for e in parse_events(json.dumps(events).encode())]
    assert {s.contact_id for s in signals} == {"101"}


def test_an_association_side_is_reported_only_if_its_type_is_subscribed() -> None:
    only_company = mapper(Subscription("company.associationChange"))
    unlinked = change("dissociated", to_object_type="companies", to_object_id="501", association_type_ids=(279,))
    (event,) = only_company.events(unlinked)
    assert (event["associationType"], event["associationRemoved"]) == ("COMPANY_TO_CONTACT", True)


def test_an_engagement_association_is_generic_only_with_its_direction_type_ids() -> None:
    linked = change("associated", to_object_type="meetings", to_object_id="900", association_type_ids=(199,))
    (event,) = mapper().events(linked)  # contact.associationChange only covers CRM objects, not meetings
    assert event["subscriptionType"] == "object.associationChange"
    assert (event["fromObjectTypeId"], event["toObjectTypeId"], event["associationTypeId"]) == ("0-47", "0-1", 200)
    assert event["associationCategory"] == "HUBSPOT_DEFINED"


def test_generic_events_carry_the_object_type_id_and_translate_like_the_legacy_ones() -> None:
    meeting = mapper().events(change("created", "meetings", "900", properties={"hs_timestamp": "x"}))
    assert [(e["subscriptionType"], e["objectTypeId"], e["objectId"]) for e in meeting] == [
        ("object.creation", "0-47", 900)
    ]
    status = mapper().events(change("updated", properties={"hs_lead_status": "OPEN"}))
    assert [(e["subscriptionType"], e["objectTypeId"]) for e in status] == [("object.propertyChange", "0-1")]
    (parsed,) = parse_events(json.dumps(status).encode())
    assert translate(parsed, CONTEXT).signals[0].contact_id == "101"


def test_unsubscribed_inactive_and_unknown_things_yield_nothing() -> None:
    assert mapper().events(change("created", "deals", "7")) == []  # deal.creation is paused
    assert mapper().events(change("created", "owners", "7")) == []
    assert mapper().events(change("restored", "companies", "501")) == []


def test_event_ids_increase_across_changes() -> None:
    events_mapper = mapper()
    ids = [e["eventId"] for n in range(5) for e in events_mapper.events(change("archived", object_id=str(100 + n)))]
    assert ids == sorted(ids) and len(set(ids)) == 5


def test_every_event_kind_parses_with_leadflows_parser() -> None:
    events_mapper = mapper()
    changes = [
        change("created", properties={"jobtitle": "CTO"}),
        change("updated", properties={"jobtitle": None}),
        change("archived"),
        change("restored", source=CRM_UI),
        change("merged", merged_ids=("102",), new_object_id="104"),
        change("privacy_deleted"),
        change("associated", to_object_type="companies", to_object_id="501", is_primary=True),
        change("updated", "companies", "501", properties={"industry": "MACHINERY"}),
        change("created", "calls", "901"),
    ]
    events = [e for c in changes for e in events_mapper.events(c)]
    parsed = parse_events(json.dumps(events).encode())
    assert len(parsed) == len(events) == 12
    assert {translate(e, CONTEXT).outcome for e in parsed} <= {"accepted", "forgotten", "ignored"}


WEBHOOKS_JSON = {
    "settings": {"targetUrl": "https://example.com/webhook", "maxConcurrentRequests": 7},
    "subscriptions": {
        "crmObjects": [
            {"subscriptionType": "object.propertyChange", "objectName": "contact", "propertyName": "firstname",
             "active": True},
            {"subscriptionType": "object.creation", "objectType": "meeting_event", "active": True},
            {"subscriptionType": "object.creation", "objectTypeId": "0-27", "active": False},
        ],
        "legacyCrmObjects": [
            {"subscriptionType": "contact.propertyChange", "propertyName": "lastname", "active": True},
            {"subscriptionType": "contact.deletion", "active": True},
        ],
        "hubEvents": [{"subscriptionType": "contact.privacyDeletion", "active": True}],
    },
}  # fmt: skip


def test_settings_load_from_a_private_apps_webhooks_json() -> None:
    settings = WebhookSettings.from_dict(WEBHOOKS_JSON, client_secret="s", app_id=1, portal_id=2)
    assert (settings.target_url, settings.max_concurrent_requests) == ("https://example.com/webhook", 7)
    assert settings.find("object.propertyChange", "0-1", "firstname") is not None
    assert settings.find("object.creation", "0-47") is not None
    assert settings.find("object.creation", "0-27") is None  # inactive
    assert settings.find("contact.privacyDeletion") is not None
    assert [s.subscription_id for s in settings.subscriptions] == list(range(2501, 2507))
    wrapped = {"uid": "webhooks", "type": "webhooks", "config": WEBHOOKS_JSON}
    assert WebhookSettings.from_dict(wrapped, client_secret="s", app_id=1, portal_id=2).subscriptions


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (("contact.propertyChange",), "propertyName is required"),
        (("contact.creation", "email"), "propertyName is not allowed"),
        (("object.creation",), "objectTypeId is required"),
        (("contact.creation", None, "0-1"), "only for object"),
        (("object.creation", None, "9-99"), "unknown objectTypeId"),
        (("contact.everything",), "unknown subscription type"),
        (("contact.propertyChange", "hs_lastmodifieddate"), "cannot be subscribed"),
    ],
)
def test_invalid_subscriptions_are_refused(arguments: tuple[Any, ...], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Subscription(*arguments)


def test_hubspots_retry_schedule_is_ten_attempts_within_a_day_and_compressed_keeps_its_shape() -> None:
    schedule = RetrySchedule.hubspot()
    rng = random.Random(1)
    delays = [schedule.delay(retry, rng) for retry in range(1, schedule.max_attempts)]
    assert schedule.max_attempts == 10 and sum(delays) <= 24 * 3600
    assert all(0.75 * d <= got <= d for d, got in zip(schedule.delays_s, delays, strict=True))
    compressed = RetrySchedule.compressed(total_s=0.5)
    assert compressed.max_attempts == 10 and sum(compressed.delays_s) == pytest.approx(0.5)
    ratios = [b / a for a, b in zip(schedule.delays_s, schedule.delays_s[1:], strict=False)]
    assert [b / a for a, b in zip(compressed.delays_s, compressed.delays_s[1:], strict=False)] == pytest.approx(ratios)

"""Turning the twin's committed `Change`s into the webhook events HubSpot would send for the subscriptions.

One change can yield several events: a legacy `<object>.<event>` and a generic `object.<event>` when both are
subscribed, one propertyChange per subscribed property, a deletion next to a privacyDeletion, and association
changes in both directions (once per association type: a primary association brings its unlabeled one along).
Events carry HubSpot's common fields; `attemptNumber` is 0 here and set per attempt by the dispatcher.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from typing import Any

from hubspot_twin.catalog.association_types import ASSOCIATION_TYPES, PRIMARY
from hubspot_twin.crm.changes import Change
from hubspot_twin.webhooks.subscriptions import CrmType, Subscription, WebhookSettings, crm_type

Event = dict[str, Any]
HUBSPOT_DEFINED = "HUBSPOT_DEFINED"
GDPR = "GDPR"


def _association_type_ids() -> dict[tuple[str, str, bool], int]:
    """Return the catalog's HUBSPOT_DEFINED type ids by (from singular, to singular, primary)."""
    ids: dict[tuple[str, str, bool], int] = {}
    for association in ASSOCIATION_TYPES:
        source, target = crm_type(association.from_type), crm_type(association.to_type)
        if source is not None and target is not None:
            ids[(source.singular, target.singular, association.kind == PRIMARY)] = association.type_id
    return ids


ASSOCIATION_TYPE_IDS = _association_type_ids()
PRIMARY_TYPE_IDS = frozenset(type_id for (_, _, primary), type_id in ASSOCIATION_TYPE_IDS.items() if primary)


class EventMapper:
    """Maps changes to events for one app's settings; event ids increase across all events it builds."""

    def __init__(self, settings: WebhookSettings, first_event_id: int = 1) -> None:
        self.settings = settings
        self._ids = itertools.count(first_event_id)
        self._lock = threading.Lock()
        self._handlers: dict[str, Callable[[Change, CrmType], list[Event]]] = {
            "created": self._created,
            "updated": self._updated,
            "archived": self._archived,
            "restored": self._restored,
            "merged": self._merged,
            "privacy_deleted": self._privacy_deleted,
            "associated": self._associations,
            "dissociated": self._associations,
        }

    def events(self, change: Change) -> list[Event]:
        """Return the events the subscriptions receive for `change` (none for unknown object types)."""
        found = crm_type(change.object_type)
        return [] if found is None else self._handlers[change.kind](change, found)

    def _created(self, change: Change, kind: CrmType) -> list[Event]:
        events = self._object_events(change, kind, "creation", {"changeFlag": "CREATED"})
        initial = {name: value for name, value in change.properties.items() if value not in (None, "")}
        return events + self._property_changes(change, kind, initial)

    def _updated(self, change: Change, kind: CrmType) -> list[Event]:
        return self._property_changes(change, kind, change.properties)

    def _archived(self, change: Change, kind: CrmType) -> list[Event]:
        return self._object_events(change, kind, "deletion", {"changeFlag": "DELETED"})

    def _restored(self, change: Change, kind: CrmType) -> list[Event]:
        return self._object_events(change, kind, "restore", {"changeFlag": "RESTORED"})

    def _merged(self, change: Change, kind: CrmType) -> list[Event]:
        fields = {
            "changeFlag": "MERGED",
            "primaryObjectId": int(change.object_id),
            "mergedObjectIds": [int(i) for i in change.merged_ids],
            "newObjectId": int(change.new_object_id or change.object_id),
            "numberOfPropertiesMoved": len(change.properties),
        }
        return self._object_events(change, kind, "merge", fields)

    def _privacy_deleted(self, change: Change, kind: CrmType) -> list[Event]:
        events: list[Event] = []
        subscription = self.settings.find("contact.privacyDeletion") if kind.singular == "contact" else None
        if subscription is not None:
            fields = {"objectId": int(change.object_id), "changeFlag": "GDPR_DELETED", "changeSource": GDPR}
            events.append(self._event(subscription, change, fields))
        return events + self._archived(change, kind)

    def _property_changes(self, change: Change, kind: CrmType, values: Any) -> list[Event]:
        events: list[Event] = []
        for name, value in values.items():
            fields = {"propertyName": name, "propertyValue": "" if value is None else str(value)}
            events += self._object_events(change, kind, "propertyChange", fields, property_name=name)
        return events

    def _object_events(
        self, change: Change, kind: CrmType, event: str, fields: dict[str, Any], property_name: str | None = None
    ) -> list[Event]:
        """Return the legacy and the generic event of one object event, each only if subscribed."""
        object_id = int(change.object_id)
        events: list[Event] = []
        legacy = self.settings.find(f"{kind.singular}.{event}", None, property_name) if kind.legacy else None
        if legacy is not None:
            events.append(self._event(legacy, change, {"objectId": object_id, **fields, **_source(change)}))
        generic = self.settings.find(f"object.{event}", kind.type_id, property_name)
        if generic is not None:
            body = {"objectId": object_id, "objectTypeId": kind.type_id, **fields, **_source(change)}
            events.append(self._event(generic, change, body))
        return events

    def _associations(self, change: Change, kind: CrmType) -> list[Event]:
        other = crm_type(change.to_object_type or "")
        if other is None or change.to_object_id is None:
            return []
        removed = change.kind == "dissociated"
        ends = ((kind, change.object_id), (other, change.to_object_id))
        events: list[Event] = []
        for type_id, primary in _association_kinds(change, kind, other):
            reverse_id = _type_id(other, kind, primary)
            events += self._association(change, ends, type_id, primary, removed)
            events += self._association(change, ends[::-1], reverse_id, primary, removed)
        return events

    def _association(
        self,
        change: Change,
        ends: tuple[tuple[CrmType, str], tuple[CrmType, str]],
        type_id: int | None,
        primary: bool,
        removed: bool,
    ) -> list[Event]:
        """Return one direction's events: legacy (both ends legacy types) and generic, each if subscribed."""
        (source, source_id), (target, target_id) = ends
        fields: dict[str, Any] = {
            **_source(change),
            "associationType": f"{source.internal_name}_TO_{target.internal_name}",
            "fromObjectId": int(source_id),
            "toObjectId": int(target_id),
            "associationRemoved": removed,
            "isPrimaryAssociation": primary,
        }
        events: list[Event] = []
        legacy = self.settings.find(f"{source.singular}.associationChange") if source.legacy and target.legacy else None
        if legacy is not None:
            events.append(self._event(legacy, change, fields))
        generic = self.settings.find("object.associationChange", source.type_id)
        if generic is not None:
            typed = {"associationCategory": HUBSPOT_DEFINED, "associationTypeId": type_id}
            ids = {"fromObjectTypeId": source.type_id, "toObjectTypeId": target.type_id}
            extra = {key: value for key, value in {**typed, **ids}.items() if value is not None}
            events.append(self._event(generic, change, {**fields, **extra}))
        return events

    def _event(self, subscription: Subscription, change: Change, fields: dict[str, Any]) -> Event:
        with self._lock:
            event_id = next(self._ids)
        return {
            "eventId": event_id,
            "subscriptionId": subscription.subscription_id,
            "portalId": self.settings.portal_id,
            "appId": self.settings.app_id,
            "occurredAt": change.occurred_at_ms,
            "subscriptionType": subscription.subscription_type,
            "attemptNumber": 0,
            **fields,
        }


def _source(change: Change) -> dict[str, str]:
    source = {"changeSource": change.source.change_source}
    if change.source.source_id is not None:
        source["sourceId"] = change.source.source_id
    return source


def _association_kinds(change: Change, source: CrmType, target: CrmType) -> list[tuple[int | None, bool]]:
    """Return (type id, primary) per association type the change added or removed, in its direction."""
    if not change.association_type_ids:
        return [(_type_id(source, target, change.is_primary), change.is_primary)]
    primary_id = _type_id(source, target, True)
    known = primary_id is not None or _type_id(source, target, False) is not None
    return [
        (type_id, type_id == primary_id if known else type_id in PRIMARY_TYPE_IDS)
        for type_id in change.association_type_ids
    ]


def _type_id(source: CrmType, target: CrmType, primary: bool) -> int | None:
    return ASSOCIATION_TYPE_IDS.get((source.singular, target.singular, primary))

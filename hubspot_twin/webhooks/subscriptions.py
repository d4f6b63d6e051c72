"""A private app's webhook settings and subscriptions, as HubSpot's webhooks.json describes them.

Legacy types are `<object>.<event>` (`contact.propertyChange` + one property per subscription, no wildcard);
generic types are `object.<event>` with an `objectTypeId` (`0-47` meetings, `0-48` calls, `0-27` tasks, …).
`WebhookSettings.from_dict` reads the webhooks.json document of a project-built private app
(`settings.targetUrl`, `settings.maxConcurrentRequests`, `subscriptions.crmObjects|legacyCrmObjects|hubEvents`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class CrmType:
    """A CRM object type as webhooks name it: plural API name, legacy prefix and type id."""

    name: str
    singular: str
    type_id: str
    internal_name: str
    legacy: bool = False  # has `<singular>.*` legacy subscription types
    aliases: tuple[str, ...] = ()


CRM_TYPES: tuple[CrmType, ...] = (
    CrmType("contacts", "contact", "0-1", "CONTACT", legacy=True),
    CrmType("companies", "company", "0-2", "COMPANY", legacy=True),
    CrmType("deals", "deal", "0-3", "DEAL", legacy=True),
    CrmType("tickets", "ticket", "0-5", "TICKET", legacy=True),
    CrmType("products", "product", "0-7", "PRODUCT", legacy=True),
    CrmType("line_items", "line_item", "0-8", "LINE_ITEM", legacy=True),
    CrmType("tasks", "task", "0-27", "TASK"),
    CrmType("notes", "note", "0-46", "NOTE"),
    CrmType("meetings", "meeting", "0-47", "MEETING_EVENT", aliases=("meeting_event", "meeting_events")),
    CrmType("calls", "call", "0-48", "CALL"),
    CrmType("emails", "email", "0-49", "EMAIL"),
    CrmType("leads", "lead", "0-136", "LEAD"),
)
_BY_ALIAS = {
    alias.lower(): t for t in CRM_TYPES for alias in (t.name, t.singular, t.type_id, t.internal_name, *t.aliases)
}

LEGACY_EVENTS = ("creation", "deletion", "propertyChange", "restore", "merge", "associationChange")
GENERIC_EVENTS = LEGACY_EVENTS
LEGACY_TYPES = frozenset(
    {f"{t.singular}.{event}" for t in CRM_TYPES if t.legacy for event in LEGACY_EVENTS} | {"contact.privacyDeletion"}
)
GENERIC_TYPES = frozenset(f"object.{event}" for event in GENERIC_EVENTS)
UNSUBSCRIBABLE_PROPERTIES = frozenset({"hs_lastmodifieddate", "num_unique_conversion_events"})
MAX_SUBSCRIPTIONS = 1000  # per app (HubSpot answers 400 beyond it)


def crm_type(name: str) -> CrmType | None:
    """Return the CRM type a plural/singular/internal name or a type id names, or None."""
    return _BY_ALIAS.get(name.lower())


@dataclass(frozen=True)
class Subscription:
    """One webhook subscription; `subscription_id` is assigned by `WebhookSettings` when left out."""

    subscription_type: str
    property_name: str | None = None
    object_type_id: str | None = None
    active: bool = True
    subscription_id: int | None = None

    def __post_init__(self) -> None:
        kind = self.subscription_type
        if kind not in LEGACY_TYPES | GENERIC_TYPES:
            raise ValueError(f"unknown subscription type {kind!r}")
        generic = kind in GENERIC_TYPES
        if generic != (self.object_type_id is not None):
            raise ValueError(f"{kind}: objectTypeId is {'required' if generic else 'only for object.* types'}")
        if self.object_type_id is not None and crm_type(self.object_type_id) is None:
            raise ValueError(f"{kind}: unknown objectTypeId {self.object_type_id!r}")
        needs_property = kind.endswith(".propertyChange")
        if needs_property != bool(self.property_name):
            raise ValueError(f"{kind}: propertyName is {'required' if needs_property else 'not allowed'}")
        if self.property_name in UNSUBSCRIBABLE_PROPERTIES:
            raise ValueError(f"{self.property_name} cannot be subscribed to")

    @property
    def key(self) -> tuple[str, str | None, str | None]:
        return (self.subscription_type, self.object_type_id, self.property_name)


@dataclass(frozen=True)
class WebhookSettings:
    """Where and how HubSpot delivers one private app's webhooks, and what it subscribes to."""

    target_url: str
    client_secret: str
    app_id: int
    portal_id: int
    max_concurrent_requests: int = 10
    subscriptions: tuple[Subscription, ...] = ()
    first_subscription_id: int = 2501
    _index: dict[tuple[str, str | None, str | None], Subscription] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        if self.max_concurrent_requests < 1:
            raise ValueError("maxConcurrentRequests must be at least 1")
        if len(self.subscriptions) > MAX_SUBSCRIPTIONS:
            raise ValueError(f"at most {MAX_SUBSCRIPTIONS} subscriptions per app")
        numbered = tuple(_numbered(self.subscriptions, self.first_subscription_id))
        object.__setattr__(self, "subscriptions", numbered)
        self._index.update({s.key: s for s in numbered if s.active})

    def find(
        self, subscription_type: str, object_type_id: str | None = None, property_name: str | None = None
    ) -> Subscription | None:
        """Return the active subscription for this type (and object type, property), if any."""
        return self._index.get((subscription_type, object_type_id, property_name))

    @classmethod
    def from_dict(
        cls, document: Mapping[str, Any], *, client_secret: str, app_id: int, portal_id: int, **overrides: Any
    ) -> WebhookSettings:
        """Read a webhooks.json document (the developer platform's `{"config": {...}}` wrapper is accepted)."""
        config = document.get("config", document)
        settings = config.get("settings", {})
        groups = config.get("subscriptions", {})
        subscriptions = [
            *(_generic(item) for item in groups.get("crmObjects", ())),
            *(_legacy(item) for item in groups.get("legacyCrmObjects", ())),
            *(_legacy(item) for item in groups.get("hubEvents", ())),
        ]
        values: dict[str, Any] = {
            "target_url": settings["targetUrl"],
            "max_concurrent_requests": int(settings.get("maxConcurrentRequests", 10)),
            "subscriptions": tuple(subscriptions),
        }
        return cls(client_secret=client_secret, app_id=app_id, portal_id=portal_id, **(values | overrides))

    @classmethod
    def from_file(cls, path: str | Path, **kwargs: Any) -> WebhookSettings:
        """Read a webhooks.json file; see `from_dict` for the keyword arguments."""
        return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")), **kwargs)


def _numbered(subscriptions: Iterable[Subscription], first_id: int) -> Iterable[Subscription]:
    seen: set[tuple[str, str | None, str | None]] = set()
    for offset, subscription in enumerate(subscriptions):
        if subscription.key in seen:
            raise ValueError(f"duplicate subscription {subscription.key}")
        seen.add(subscription.key)
        yield (
            subscription
            if subscription.subscription_id is not None
            else replace(subscription, subscription_id=first_id + offset)
        )


def _legacy(item: Mapping[str, Any]) -> Subscription:
    return Subscription(item["subscriptionType"], item.get("propertyName"), None, bool(item.get("active", True)))


def _generic(item: Mapping[str, Any]) -> Subscription:
    name = item.get("objectTypeId") or item.get("objectType") or item.get("objectName")
    found = crm_type(str(name or ""))
    if found is None:
        raise ValueError(f"{item.get('subscriptionType')}: unknown object type {name!r}")
    active = bool(item.get("active", True))
    return Subscription(item["subscriptionType"], item.get("propertyName"), found.type_id, active)

"""The webhooks component's `config`: Leadflow's subscriptions in HubSpot's three arrays, and where to deliver.

HubSpot's file reference (https://developers.hubspot.com/docs/apps/developer-platform/add-features/configure-webhooks):
`crmObjects` holds the generic `object.*` subscriptions (with `objectType`), `legacyCrmObjects` the classic
`contact.*`, `company.*` and `deal.*` ones, `hubEvents` `contact.privacyDeletion` (and conversations).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from app.rules.subscriptions import WebhookSubscription

WEBHOOK_PATH = "/webhooks/hubspot"
# HubSpot's default: at most this many requests in flight to the target at once (each carries up to 100 events).
MAX_CONCURRENT_REQUESTS = 10
HUB_EVENTS = frozenset({"contact.privacyDeletion"})


def webhooks_config(subscriptions: Sequence[WebhookSubscription], public_url: str) -> dict[str, Any]:
    """Return the webhooks component's `config`: settings (target URL under `public_url`) and subscriptions, each
    array sorted so that a rebuild's diff shows exactly what changed."""
    arrays: dict[str, list[dict[str, Any]]] = {"crmObjects": [], "legacyCrmObjects": [], "hubEvents": []}
    for subscription in subscriptions:
        array, entry = subscription_entry(subscription)
        arrays[array].append(entry)
    return {
        "settings": {"targetUrl": target_url(public_url), "maxConcurrentRequests": MAX_CONCURRENT_REQUESTS},
        "subscriptions": {name: sorted(entries, key=_entry_order) for name, entries in arrays.items()},
    }


def subscription_entry(subscription: WebhookSubscription) -> tuple[str, dict[str, Any]]:
    """Return the array a subscription belongs in and its entry there."""
    entry: dict[str, Any] = {"subscriptionType": subscription.subscription_type, "active": True}
    if subscription.property_name is not None:
        entry["propertyName"] = subscription.property_name
    if subscription.subscription_type.startswith("object."):
        if subscription.object_type_id is None:
            raise ValueError(f"{subscription.describe()}: a generic subscription needs an object type")
        entry["objectType"] = subscription.object_type_id  # HubSpot takes an object type id (0-47) as objectType
        return "crmObjects", entry
    if subscription.subscription_type in HUB_EVENTS:
        return "hubEvents", entry
    return "legacyCrmObjects", entry


def target_url(public_url: str) -> str:
    """Return where HubSpot delivers Leadflow's webhooks, under `public_url`."""
    return public_url.rstrip("/") + WEBHOOK_PATH


def _entry_order(entry: dict[str, Any]) -> tuple[str, str, str]:
    return (entry["subscriptionType"], entry.get("objectType", ""), entry.get("propertyName", ""))

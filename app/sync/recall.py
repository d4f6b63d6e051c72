"""Recalling contact properties for the changes that await them, then judging those changes by the signal rules.

A change awaiting a recall (say `recent_conversion_date`, whose rules read the form name) is judged with the
other contact properties as they were when it happened: HubSpot's current values while the changed property
still holds the change's value, else the properties' histories. Each change counts once per engagement type,
keyed by the changed property and its value (`occurrence_key`), however many of its webhooks arrive. A contact
HubSpot does not return (merged a moment ago, or deleted) waits the grace period, then closes with nothing.
HubSpot errors propagate: the changes stay pending and the resolver runs again. A judged change becomes its
contact's unprocessed signal, closed by the contact's drain (the reconciler re-marks the contact if Redis loses it).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from app.ledger.records import PendingSignal, Resolution
from app.rules.scoring.recall import PropertyChange, current_values, occurrence_key, values_from_history
from app.rules.scoring.signals import RECALL_SUBSCRIPTION, SignalRules
from app.sync.hubspot.gateway import History, HubSpotGateway

logger = logging.getLogger(__name__)
MISSING_CONTACT_GRACE = timedelta(minutes=10)  # a merge's webhook re-keys the change to the surviving contact


def recall_resolutions(
    gateway: HubSpotGateway, rules: SignalRules, pending: Sequence[PendingSignal], now: datetime
) -> list[Resolution]:
    """Recall what the changes need (one read per 100 contacts, one history read per 50 that changed again
    since) and return the resolution of each change that can be judged now."""
    if not pending:
        return []
    views = {signal.id: _rule_view(signal) for signal in pending}
    needed = {signal.id: rules.recalled(views[signal.id]) for signal in pending}
    names = sorted({name for names in needed.values() for name in names} | {_change(s).name for s in pending})
    current = gateway.read_objects("contact", sorted({s.object_id for s in pending}), names)
    recalled = {
        signal.id: current_values(_change(signal), current[signal.object_id], needed[signal.id])
        for signal in pending
        if signal.object_id in current
    }
    stale = [signal for signal in pending if signal.object_id in current and recalled[signal.id] is None]
    recalled.update(_from_history(gateway, stale, needed, names))
    resolutions = []
    for signal in pending:
        values = recalled.get(signal.id)
        if values is not None:
            resolutions.append(_resolution(signal, rules.engagement_types(views[signal.id], values)))
        elif signal.object_id not in current and now - signal.occurred_at >= MISSING_CONTACT_GRACE:
            logger.warning("resolve.recall-contact-missing", extra={"contact_id": signal.object_id})
            resolutions.append(_resolution(signal, (), contact=False))
    return resolutions


def _from_history(
    gateway: HubSpotGateway,
    stale: Sequence[PendingSignal],
    needed: Mapping[int, tuple[str, ...]],
    names: Sequence[str],
) -> dict[int, dict[str, str | None]]:
    if not stale:
        return {}
    histories: dict[str, History] = gateway.read_histories("contact", sorted({s.object_id for s in stale}), names)
    return {
        signal.id: values_from_history(_change(signal), histories.get(signal.object_id, {}), needed[signal.id])
        for signal in stale
    }


def _resolution(signal: PendingSignal, engagement_types: tuple[str, ...], *, contact: bool = True) -> Resolution:
    return Resolution(
        signal_id=signal.id,
        object_key=occurrence_key(_change(signal)),
        occurred_at=signal.occurred_at,
        contact_ids=(signal.object_id,) if contact else (),
        engagement_types=engagement_types,
        owner_contact=signal.object_id if contact else None,
    )


def _change(signal: PendingSignal) -> PropertyChange:
    value = signal.payload.get("propertyValue")
    name = str(signal.payload.get("propertyName"))
    return PropertyChange(name, None if value is None else str(value), signal.occurred_at)


def _rule_view(signal: PendingSignal) -> dict[str, object]:
    """Return the event as the rules saw it at intake (a generic contact event under the legacy type)."""
    return {**signal.payload, "subscriptionType": RECALL_SUBSCRIPTION}

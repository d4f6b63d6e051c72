"""Recalling contact properties for the changes that await them, then judging those changes by the signal rules.

A change awaiting a recall (say `recent_conversion_date`, whose rules read the form name) is judged with the
other contact properties as they were when it happened: HubSpot's current values while the changed property
still holds the change's value, else the properties' histories. Each change counts once per engagement type,
keyed by the changed property and its value (`occurrence_key`), however many of its webhooks arrive.

The contact's drain judges its changes from the values it has just read (app/sync/scoring/recall.py): no request
of its own unless the contact changed again since (one history read per 50 such contacts). The resolver takes what
the drains left after a grace period: a contact HubSpot does not return (merged a moment ago, or deleted) closes
with nothing, one whose drains failed is recalled with a read of its own. HubSpot errors propagate: the changes
stay pending.
A judged change becomes its contact's unprocessed signal, closed by the contact's drain.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from app.ledger.records import PendingSignal, Resolution
from app.rules.scoring.recall import PropertyChange, current_values, occurrence_key, values_from_history
from app.rules.scoring.signals import RECALL_SUBSCRIPTION, SignalRules
from app.sync.hubspot.gateway import History, HubSpotGateway, Properties

logger = logging.getLogger(__name__)
MISSING_CONTACT_GRACE = timedelta(minutes=10)  # a merge's webhook re-keys the change to the surviving contact
RESOLVER_TAKES_AFTER = MISSING_CONTACT_GRACE  # the resolver leaves younger changes to their contacts' drains


def recall_resolutions(
    gateway: HubSpotGateway, rules: SignalRules, pending: Sequence[PendingSignal], now: datetime
) -> list[Resolution]:
    """The resolver's recall: read the contacts (one read per 100), judge what can be judged now, and close with
    nothing the changes of contacts HubSpot has not returned for the grace period."""
    if not pending:
        return []
    names = sorted({name for signal in pending for name in _needed(rules, signal)} | {_change(s).name for s in pending})
    current = gateway.read_objects("contact", sorted({s.object_id for s in pending}), names)
    resolutions = judge_recalls(gateway, rules, pending, current)
    for signal in pending:
        if signal.object_id not in current and now - signal.occurred_at >= MISSING_CONTACT_GRACE:
            logger.warning("resolve.recall-contact-missing", extra={"contact_id": signal.object_id})
            resolutions.append(_resolution(signal, (), contact=False))
    return resolutions


def judge_recalls(
    gateway: HubSpotGateway,
    rules: SignalRules,
    pending: Sequence[PendingSignal],
    current: Mapping[str, Properties],
) -> list[Resolution]:
    """Judge each change whose contact is in `current` (HubSpot's values, with every property the rules recall):
    from those values while the changed property still holds the change's value, else from the histories (one
    read per 50 contacts)."""
    needed = {signal.id: _needed(rules, signal) for signal in pending}
    recalled = {
        signal.id: current_values(_change(signal), current[signal.object_id], needed[signal.id])
        for signal in pending
        if signal.object_id in current
    }
    stale = [signal for signal in pending if signal.object_id in current and recalled[signal.id] is None]
    recalled.update(_from_history(gateway, stale, needed))
    return [
        _resolution(signal, rules.engagement_types(_rule_view(signal), values))
        for signal in pending
        if (values := recalled.get(signal.id)) is not None
    ]


def _needed(rules: SignalRules, signal: PendingSignal) -> tuple[str, ...]:
    return rules.recalled(_rule_view(signal))


def _from_history(
    gateway: HubSpotGateway, stale: Sequence[PendingSignal], needed: Mapping[int, tuple[str, ...]]
) -> dict[int, dict[str, str | None]]:
    if not stale:
        return {}
    names = sorted({name for signal in stale for name in needed[signal.id]} | {_change(s).name for s in stale})
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

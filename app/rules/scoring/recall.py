"""Recalling contact properties as they were when a property change happened (pure).

HubSpot's property-change event carries only the changed property; a rule that also reads another one (the form
name of a `recent_conversion_date` change) needs its value at that moment. HubSpot's current values tell it while
the changed property still holds the event's value (nothing changed since); otherwise the properties' histories
do: the value each had when the changed property took the event's value.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from app.rules.values import to_timestamp

OCCURRENCE_KEY_LIMIT = 96  # the ledger's engagement source key


@dataclass(frozen=True)
class PropertyChange:
    """A contact property that changed to `value` at `occurred_at` (HubSpot's webhook event)."""

    name: str
    value: str | None
    occurred_at: datetime


@dataclass(frozen=True)
class PropertyVersion:
    """One value a property held since `timestamp` (HubSpot's `propertiesWithHistory`)."""

    value: str | None
    timestamp: datetime


History = Mapping[str, Sequence[PropertyVersion]]


def current_values(
    change: PropertyChange, current: Mapping[str, str | None], names: Sequence[str]
) -> dict[str, str | None] | None:
    """Return the properties `names` as they were at the change, from the contact's current values when the changed
    property still holds the change's value; None when it changed again since (the histories must tell)."""
    if not same_value(current.get(change.name), change.value):
        return None
    return {name: current.get(name) for name in names}


def values_from_history(change: PropertyChange, history: History, names: Sequence[str]) -> dict[str, str | None]:
    """Return the properties `names` as they were when the changed property took the change's value (the version
    of that value nearest the event; the event's own time when HubSpot no longer keeps it); None where none was
    set yet."""
    moment = _moment_of(change, history.get(change.name, ()))
    return {name: _value_at(history.get(name, ()), moment) for name in names}


def same_value(stored: str | None, sent: str | None) -> bool:
    """Return whether a value read from HubSpot is the one an event sent: equal text, or the same instant (HubSpot
    reads datetimes as ISO 8601 where webhooks may send epoch milliseconds)."""
    if (stored or "") == (sent or ""):
        return True
    if not stored or not sent:
        return False
    instants = to_timestamp(stored), to_timestamp(sent)
    return instants[0] is not None and instants[0] == instants[1]


def occurrence_key(change: PropertyChange) -> str:
    """Return the key of one occurrence: the changed property and its new value, whichever webhook reported it."""
    instant = to_timestamp(change.value) if change.value else None
    value = str(int(instant.timestamp() * 1000)) if instant is not None else change.value or ""
    key = f"{change.name}={value}"
    if len(key) <= OCCURRENCE_KEY_LIMIT:
        return key
    return f"{change.name[:40]}#{hashlib.sha256(key.encode()).hexdigest()[:48]}"


def _moment_of(change: PropertyChange, versions: Sequence[PropertyVersion]) -> datetime:
    matching = [version.timestamp for version in versions if same_value(version.value, change.value)]
    if not matching:
        return change.occurred_at
    return min(matching, key=lambda at: abs((at - change.occurred_at).total_seconds()))


def _value_at(versions: Sequence[PropertyVersion], moment: datetime) -> str | None:
    earlier = [version for version in versions if version.timestamp <= moment]
    return max(earlier, key=lambda version: version.timestamp).value if earlier else None

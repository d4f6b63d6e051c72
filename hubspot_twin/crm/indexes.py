"""The store's indexes, so that a request costs what it touches rather than the size of the portal.

``RecordIds``: per object type, the ids of the live and of the archived records in numeric order (pages of
``GET /crm/v3/objects/{type}``). ``ValueIndex``: per object type and property, the records holding each value
(unique values, ``idProperty`` lookups, search's EQ filters), live and archived alike; a property's index is
built by one scan of its type the first time it is asked about, then kept current by every write. The store
tells both of every record it adds, archives, removes (merge, GDPR delete) or writes; its lock guards them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from hubspot_twin.crm.sorted_ids import SortedIds
from hubspot_twin.model import CrmObject

Holders = dict[str, set[str]]  # a value → the ids of the records holding it
IndexKey = tuple[str, bool]  # a property's name, and whether its values are indexed case-folded


class RecordIds:
    """The ids of each type's live and archived records, in numeric order."""

    def __init__(self, type_names: Iterable[str]) -> None:
        self._ids = {(name, archived): SortedIds() for name in type_names for archived in (False, True)}

    def of(self, type_name: str, *, archived: bool) -> SortedIds:
        """Return the ids of a type's live (or archived) records."""
        return self._ids[(type_name, archived)]

    def added(self, obj: CrmObject) -> None:
        """Count a new record in."""
        self._ids[(obj.object_type, obj.archived)].add(int(obj.id))

    def archived(self, obj: CrmObject) -> None:
        """Move a record that has just been archived among the archived ones."""
        self._ids[(obj.object_type, False)].discard(int(obj.id))
        self._ids[(obj.object_type, True)].add(int(obj.id))

    def removed(self, obj: CrmObject) -> None:
        """Forget a record that left the portal for good."""
        self._ids[(obj.object_type, obj.archived)].discard(int(obj.id))


class ValueIndex:
    """Which records hold each value of a property, per type; a property is indexed from its first lookup on, by
    its exact values or (``folded``) by their case-folded text (what search's case-insensitive EQ compares)."""

    def __init__(self, objects: Mapping[str, Mapping[str, CrmObject]]) -> None:
        self._objects = objects
        self._indexed: dict[str, dict[IndexKey, Holders]] = {name: {} for name in objects}

    def holders(self, type_name: str, name: str, value: str, *, folded: bool = False) -> list[CrmObject]:
        """Return the records (live or archived) of a type whose property ``name`` holds ``value``, by id."""
        holders = self._indexed[type_name].get((name, folded))
        if holders is None:
            holders = self._build(type_name, name, folded)
        records = self._objects[type_name]
        found = holders.get(value.casefold() if folded else value, ())
        return [records[object_id] for object_id in sorted(found, key=int)]

    def added(self, obj: CrmObject) -> None:
        """Index the values of a new record."""
        for (name, folded), holders in self._indexed[obj.object_type].items():
            _hold(holders, _key(obj.properties.get(name), folded), obj.id)

    def changed(self, obj: CrmObject, before: Mapping[str, str | None]) -> None:
        """Reindex the properties of ``obj`` that a write may have changed, given their values before it."""
        for (name, folded), holders in self._indexed[obj.object_type].items():
            if name not in before:
                continue
            old, new = _key(before[name], folded), _key(obj.properties.get(name), folded)
            if new != old:
                _release(holders, old, obj.id)
                _hold(holders, new, obj.id)

    def removed(self, obj: CrmObject) -> None:
        """Forget the values of a record that left the portal for good."""
        for (name, folded), holders in self._indexed[obj.object_type].items():
            _release(holders, _key(obj.properties.get(name), folded), obj.id)

    def _build(self, type_name: str, name: str, folded: bool) -> Holders:
        holders: Holders = {}
        for obj in self._objects[type_name].values():
            _hold(holders, _key(obj.properties.get(name), folded), obj.id)
        self._indexed[type_name][(name, folded)] = holders
        return holders


def _key(value: str | None, folded: bool) -> str | None:
    return value.casefold() if folded and value is not None else value


def _hold(holders: Holders, key: str | None, object_id: str) -> None:
    if key is not None:
        holders.setdefault(key, set()).add(object_id)


def _release(holders: Holders, key: str | None, object_id: str) -> None:
    if key is None:
        return
    found = holders.get(key)
    if found is not None:
        found.discard(object_id)
        if not found:
            del holders[key]

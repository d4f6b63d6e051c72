"""Lists (ILS lists, Lists v3) of contacts: MANUAL and SNAPSHOT lists take members by hand, DYNAMIC ones only by
their filters (which the twin does not evaluate: a DYNAMIC list stays empty).

A list's ``listId`` is its ILS id; members are kept with the time each joined. The store guards them with its lock.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from hubspot_twin.errors import HubSpotError, not_found

PROCESSING_TYPES = ("MANUAL", "SNAPSHOT", "DYNAMIC")
CONTACTS_TYPE_ID = "0-1"
FIRST_LIST_ID = 1
HAND_MADE = frozenset({"MANUAL", "SNAPSHOT"})  # the processing types whose members are added by hand


@dataclass
class StaticList:
    """One list: its definition and its members (record id → when it joined, as HubSpot writes instants)."""

    list_id: str
    name: str
    object_type_id: str
    processing_type: str
    created_at: str
    updated_at: str
    members: dict[str, str] = field(default_factory=dict)
    version: int = 1


class Lists:
    """The portal's lists, by id."""

    def __init__(self) -> None:
        self._lists: dict[str, StaticList] = {}

    def create(self, name: str, object_type_id: str, processing_type: str, now: str) -> StaticList:
        """Add a list, or raise HubSpot's 400 (the twin's text) for a bad type, processing type or a taken name."""
        if processing_type not in PROCESSING_TYPES:
            raise HubSpotError(400, f"Invalid processingType {processing_type}: must be one of "
                                    f"{', '.join(PROCESSING_TYPES)}")  # fmt: skip
        if object_type_id != CONTACTS_TYPE_ID:
            raise HubSpotError(400, f"The twin keeps lists of contacts ({CONTACTS_TYPE_ID}) only, not {object_type_id}")
        if any(kept.name.lower() == name.strip().lower() for kept in self._lists.values()):
            raise HubSpotError(400, f"A list named {name.strip()} already exists", "VALIDATION_ERROR")
        list_id = str(FIRST_LIST_ID + len(self._lists))
        kept = StaticList(list_id, name.strip(), object_type_id, processing_type, now, now)
        self._lists[list_id] = kept
        return kept

    def get(self, list_id: str) -> StaticList:
        """Return a list, or raise HubSpot's 404."""
        found = self._lists.get(list_id)
        if found is None:
            raise not_found(f"List {list_id} does not exist")
        return found

    def add(
        self, list_id: str, record_ids: Iterable[str], exists: Callable[[str], bool], now: str
    ) -> tuple[list[str], list[str]]:
        """Add records to a MANUAL or SNAPSHOT list; return (ids added, ids missing). Members already in the
        list are neither added nor missing; a DYNAMIC list answers 400."""
        kept = self.get(list_id)
        if kept.processing_type not in HAND_MADE:
            raise HubSpotError(
                400, f"List {list_id} is a {kept.processing_type} list: its memberships cannot be changed by hand"
            )
        added: list[str] = []
        missing: list[str] = []
        for record_id in dict.fromkeys(record_ids):
            if not exists(record_id):
                missing.append(record_id)
            elif record_id not in kept.members:
                kept.members[record_id] = now
                added.append(record_id)
        if added:
            kept.updated_at = now
        return added, missing

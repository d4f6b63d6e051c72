"""The HubSpot gateway: the small interface the shell uses, whatever implements it (the SDK, a fake)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from app.rules.properties import PropertyInfo, PropertyOption

Properties = dict[str, str | None]

API_OBJECT_TYPES = {
    "contact": "contacts",
    "company": "companies",
    "deal": "deals",
    "ticket": "tickets",
    "task": "tasks",
    "note": "notes",
    "meeting": "meetings",
    "call": "calls",
    "email": "emails",
}
PRIMARY_CONTACT_TO_COMPANY = 1  # HubSpot's HUBSPOT_DEFINED "Primary" contact→company association type id


class HubSpotGateway(Protocol):
    """Every HubSpot call Leadflow makes; batch endpoints only, at most 100 records per request."""

    def read_objects(self, object_type: str, ids: Sequence[str], properties: Sequence[str]) -> dict[str, Properties]:
        """Return the properties of the objects HubSpot has, by id (ids it lacks are absent)."""
        ...

    def read_associations(self, from_type: str, to_type: str, ids: Sequence[str]) -> dict[str, list[tuple[str, int]]]:
        """Return, per object id, its associated `to_type` ids with their association type ids."""
        ...

    def update_objects(self, object_type: str, updates: Mapping[str, Mapping[str, str | None]]) -> dict[str, str]:
        """Write the properties; return the ids HubSpot refused for good, with the reason."""
        ...

    def list_ids(self, object_type: str, after: str | None) -> tuple[list[str], str | None]:
        """Return one page of object ids (up to 100) and the cursor of the next page."""
        ...

    def properties(self, object_type: str) -> list[PropertyInfo]:
        """Return every property definition of the object type."""
        ...

    def create_property(self, object_type: str, definition: PropertyInfo) -> None: ...

    def update_property_options(self, object_type: str, name: str, options: Sequence[PropertyOption]) -> None: ...

    def property_group_exists(self, object_type: str, name: str) -> bool: ...

    def create_property_group(self, object_type: str, name: str, label: str) -> None: ...

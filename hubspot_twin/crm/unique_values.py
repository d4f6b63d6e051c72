"""Unique-value properties: lookups by a unique value (``idProperty``) and HubSpot's refusal of duplicates.

A contact's ``email`` is unique with its own 409 ("Contact already exists. Existing ID: N"); a property created
with ``hasUniqueValue`` refuses a value another live record of its type holds with HubSpot's 400 "Cannot set
PropertyValueCoordinates{…} on <id>. <other id> already has that value." (captured HubSpot responses). Both
look values up in the store's ``ValueIndex``, so they cost the same in a portal of any size.
"""

from __future__ import annotations

from collections.abc import Mapping

from hubspot_twin.catalog import CONTACTS, ObjectType
from hubspot_twin.crm.indexes import ValueIndex
from hubspot_twin.errors import PORTAL_ID, HubSpotError
from hubspot_twin.model import CrmObject, PropertyDef

Claims = set[tuple[str, str]]


def is_identifier(otype: ObjectType, definition: PropertyDef) -> bool:
    """Return whether a property identifies records (``idProperty``): contacts' email or a unique property."""
    return definition.has_unique_value or (otype is CONTACTS and definition.name == "email")


def find_by_value(
    index: ValueIndex,
    otype: ObjectType,
    definitions: Mapping[str, PropertyDef],
    name: str,
    value: str,
    archived: bool,
) -> CrmObject | None:
    """Return the record holding a unique value, or None; a property that is not unique is HubSpot's 400."""
    definition = definitions.get(name)
    if definition is None or not is_identifier(otype, definition):
        raise HubSpotError(400, f"{name} is not a unique identifier property of {otype.name}")
    wanted = value.strip().lower() if name == "email" else value
    return next((o for o in index.holders(otype.name, name, wanted) if o.archived == archived), None)


def check_unique(
    index: ValueIndex,
    otype: ObjectType,
    definitions: Mapping[str, PropertyDef],
    values: Mapping[str, str | None],
    own_id: str,
    claimed: Claims | None,
) -> None:
    """Raise HubSpot's error when a written unique value is held by another live record or claimed in the batch."""
    for name, value in values.items():
        definition = definitions.get(name)
        if not value or definition is None or not is_identifier(otype, definition):
            continue
        holders = index.holders(otype.name, name, value)
        holder = next((o for o in holders if not o.archived and o.id != own_id), None)
        if holder is not None:
            raise _email_exists(value, holder.id) if name == "email" else _taken(otype, name, value, own_id, holder.id)
        if claimed is not None:
            if (name, value) in claimed:
                raise HubSpotError(400, f"Duplicate {name} found in batch input: {value}")
            claimed.add((name, value))


def _taken(otype: ObjectType, name: str, value: str, own_id: str, holder_id: str) -> HubSpotError:
    coordinates = (
        f"PropertyValueCoordinates{{portalId={PORTAL_ID}, objectTypeId=ObjectTypeId{{legacyObjectType="
        f"{otype.internal_name}}}, propertyName={name}, value={value}}}"
    )
    return HubSpotError(400, f"Cannot set {coordinates} on {own_id}. {holder_id} already has that value.")


def _email_exists(email: str, holder_id: str) -> HubSpotError:
    return HubSpotError(
        409,
        f"Contact already exists. Existing ID: {holder_id}",
        "CONFLICT",
        errors=[{"message": f"A contact with email {email} already exists. Existing ID: {holder_id}", "in": "email"}],
    )

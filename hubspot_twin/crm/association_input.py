"""Read association inputs: inline ``associations`` of an object create and the specs of v4 requests."""

from __future__ import annotations

from collections.abc import Callable

from hubspot_twin.catalog import ObjectType, resolve
from hubspot_twin.catalog.association_types import from_create_input, kind_of
from hubspot_twin.crm.graph import Node
from hubspot_twin.errors import HubSpotError, invalid_input, missing_attributes


def object_id(value: object, input_class: str = "PublicObjectId") -> str:
    """Return the id of a ``{"id": ...}`` (string or number, as HubSpot accepts both)."""
    raw = value.get("id") if isinstance(value, dict) else None
    if isinstance(raw, bool) or not isinstance(raw, str | int) or str(raw) == "":
        raise missing_attributes(input_class, ["id"])
    return str(raw)


def kinds_of_specs(from_type: str, to_type: str, raw: object) -> set[str]:
    """Return the kinds a list of ``{associationCategory, associationTypeId}`` names in one direction."""
    if not isinstance(raw, list) or not raw:
        raise invalid_input("types must be a non-empty array of association specs")
    kinds: set[str] = set()
    for spec in raw:
        if not isinstance(spec, dict):
            raise missing_attributes("AssociationSpec", ["associationCategory", "associationTypeId"])
        kinds.add(kind_of(from_type, to_type, spec.get("associationCategory"), spec.get("associationTypeId")))
    return kinds


def inline_links(otype: ObjectType, raw: object, exists: Callable[[ObjectType, str], bool]) -> list[tuple[Node, str]]:
    """Return ``(target, kind)`` for each inline association of a create; the type id decides the target type."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise invalid_input("associations must be an array")
    links: list[tuple[Node, str]] = []
    for item in raw:
        if not isinstance(item, dict) or not isinstance(item.get("types"), list):
            raise missing_attributes("PublicAssociationsForObject", ["to", "types"])
        target_id = object_id(item.get("to"))
        for raw_spec in item["types"]:
            spec = raw_spec if isinstance(raw_spec, dict) else {}
            atype = from_create_input(
                otype.name, otype.type_id, spec.get("associationCategory"), spec.get("associationTypeId")
            )
            target_type = resolve(atype.to_type)
            if not exists(target_type, target_id):
                raise _invalid_target(target_type, target_id)
            links.append(((target_type.name, target_id), atype.kind))
    return links


def _invalid_target(target_type: ObjectType, target_id: str) -> HubSpotError:
    context = {
        "INVALID_OBJECT_IDS": [f"{target_type.internal_name}={target_id} is not valid"],
        "objectId": [target_id],
        "objectType": [target_type.internal_name],
    }
    return HubSpotError(400, "One or more associations are invalid", context=context)

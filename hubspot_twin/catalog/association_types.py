"""HubSpot's HUBSPOT_DEFINED association types between the twin's object types.

Type ids are direction-specific (HubSpot's association type id tables): contact→company 279 unlabeled and 1
primary, company→contact 280 and 2; contact→meeting 199, meeting→contact 200; contact→call 193, call→contact 194;
company→meeting 187, meeting→company 188; company→call 181, call→company 182. The twin stores each pair once with
a set of *kinds* (``unlabeled``, ``primary``) and reads them back in either direction through this table.
"""

from __future__ import annotations

from dataclasses import dataclass

from hubspot_twin.catalog.object_types import OBJECT_TYPES
from hubspot_twin.errors import HubSpotError

HUBSPOT_DEFINED = "HUBSPOT_DEFINED"
UNLABELED = "unlabeled"
PRIMARY = "primary"


@dataclass(frozen=True)
class AssociationType:
    """One direction-specific association type."""

    from_type: str
    to_type: str
    kind: str
    type_id: int
    name: str
    label: str | None = None

    def spec(self) -> dict[str, object]:
        """Return the v4 ``AssociationSpecWithLabel`` (unlabeled types carry a null label)."""
        return {"category": HUBSPOT_DEFINED, "typeId": self.type_id, "label": self.label}


def _pair(a: str, b: str, a_to_b: int, b_to_a: int, a_name: str, b_name: str) -> tuple[AssociationType, ...]:
    return (
        AssociationType(a, b, UNLABELED, a_to_b, f"{a_name}_to_{b_name}"),
        AssociationType(b, a, UNLABELED, b_to_a, f"{b_name}_to_{a_name}"),
    )


ASSOCIATION_TYPES: tuple[AssociationType, ...] = (
    AssociationType("contacts", "companies", UNLABELED, 279, "contact_to_company_unlabeled"),
    AssociationType("contacts", "companies", PRIMARY, 1, "contact_to_company", "Primary"),
    AssociationType("companies", "contacts", UNLABELED, 280, "company_to_contact_unlabeled"),
    AssociationType("companies", "contacts", PRIMARY, 2, "company_to_contact", "Primary"),
    *_pair("contacts", "meetings", 199, 200, "contact", "meeting_event"),
    *_pair("contacts", "calls", 193, 194, "contact", "call"),
    *_pair("companies", "meetings", 187, 188, "company", "meeting_event"),
    *_pair("companies", "calls", 181, 182, "company", "call"),
)
_BY_ID = {(t.from_type, t.to_type, t.type_id): t for t in ASSOCIATION_TYPES}
_BY_KIND = {(t.from_type, t.to_type, t.kind): t for t in ASSOCIATION_TYPES}


def types_between(from_type: str, to_type: str) -> list[AssociationType]:
    """Return the types defined from ``from_type`` to ``to_type`` (empty when the pair has none)."""
    return [t for t in ASSOCIATION_TYPES if t.from_type == from_type and t.to_type == to_type]


def by_kind(from_type: str, to_type: str, kind: str) -> AssociationType:
    """Return the type of one kind in one direction."""
    return _BY_KIND[(from_type, to_type, kind)]


def kind_of(from_type: str, to_type: str, category: object, type_id: object) -> str:
    """Return the kind an ``{associationCategory, associationTypeId}`` names, or raise HubSpot's 400."""
    found = _BY_ID.get((from_type, to_type, type_id)) if isinstance(type_id, int) else None
    if category != HUBSPOT_DEFINED or found is None:
        raise HubSpotError(
            400, f"association type id {type_id} doesn't exist between {_singular(from_type)} and {_singular(to_type)}"
        )
    return found.kind


def _singular(name: str) -> str:
    return {"companies": "company"}.get(name, name.rstrip("s"))


def from_create_input(from_type: str, from_type_id: str, category: object, type_id: object) -> AssociationType:
    """Return the type an inline association of an object create names (its ``to`` type follows from the id)."""
    matches = [t for t in ASSOCIATION_TYPES if t.type_id == type_id and category == HUBSPOT_DEFINED]
    found = next((t for t in matches if t.from_type == from_type), None)
    if found is not None:
        return found
    if matches:
        expected = next(t.type_id for t in OBJECT_TYPES if t.name == matches[0].from_type)
        raise HubSpotError(
            400, f"invalid from object type {from_type_id} for associations to be created. expected: {expected}"
        )
    raise HubSpotError(400, f"association type id {type_id} doesn't exist for {_singular(from_type)}")

"""HubSpot's HUBSPOT_DEFINED association types between the twin's object types.

Type ids are direction-specific (HubSpot's association type id tables): contact→company 279 unlabeled and 1
primary, company→contact 280 and 2; deal→company 341 unlabeled and 5 primary, company→deal 342 and 6;
deal→contact 3, contact→deal 4; task→contact 204, contact→task 203; task→company 192, company→task 191;
task→deal 216, deal→task 215; contact→meeting 199, meeting→contact 200; contact→call 193, call→contact 194;
company→meeting 187, meeting→company 188; company→call 181, call→company 182; contact→email 197,
email→contact 198; company→email 185, email→company 186; lead→contact 608 unlabeled and 578 primary (the lead's
primary contact, required on create), lead→company 610 — the reverse ids contact→lead 607 and 577, company→lead
609 are the twin's assumption (HubSpot numbers a pair's two directions next to each other). The twin stores each
pair once with a set of *kinds* (``unlabeled``, ``primary``) and reads them back in either direction through this
table.
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


def _with_primary(a: str, ids: tuple[int, int, int, int], a_name: str) -> tuple[AssociationType, ...]:
    """Return the types between ``a`` and companies, where a company can be ``a``'s primary company.

    ``ids``: a→company unlabeled and primary, company→a unlabeled and primary."""
    return (
        AssociationType(a, "companies", UNLABELED, ids[0], f"{a_name}_to_company_unlabeled"),
        AssociationType(a, "companies", PRIMARY, ids[1], f"{a_name}_to_company", "Primary"),
        AssociationType("companies", a, UNLABELED, ids[2], f"company_to_{a_name}_unlabeled"),
        AssociationType("companies", a, PRIMARY, ids[3], f"company_to_{a_name}", "Primary"),
    )


ASSOCIATION_TYPES: tuple[AssociationType, ...] = (
    *_with_primary("contacts", (279, 1, 280, 2), "contact"),
    *_with_primary("deals", (341, 5, 342, 6), "deal"),
    *_pair("deals", "contacts", 3, 4, "deal", "contact"),
    *_pair("tasks", "contacts", 204, 203, "task", "contact"),
    *_pair("tasks", "companies", 192, 191, "task", "company"),
    *_pair("tasks", "deals", 216, 215, "task", "deal"),
    *_pair("contacts", "meetings", 199, 200, "contact", "meeting_event"),
    *_pair("contacts", "calls", 193, 194, "contact", "call"),
    *_pair("companies", "meetings", 187, 188, "company", "meeting_event"),
    *_pair("companies", "calls", 181, 182, "company", "call"),
    *_pair("contacts", "emails", 197, 198, "contact", "email"),
    *_pair("companies", "emails", 185, 186, "company", "email"),
    *_pair("leads", "contacts", 608, 607, "lead", "contact"),
    AssociationType("leads", "contacts", PRIMARY, 578, "lead_to_primary_contact", "Primary"),
    AssociationType("contacts", "leads", PRIMARY, 577, "primary_contact_to_lead", "Primary"),
    *_pair("leads", "companies", 610, 609, "lead", "company"),
)
_BY_ID = {(t.from_type, t.to_type, t.type_id): t for t in ASSOCIATION_TYPES}
_BY_KIND = {(t.from_type, t.to_type, t.kind): t for t in ASSOCIATION_TYPES}
# Pairs where the first type has at most one primary record of the second type.
PRIMARY_PAIRS: frozenset[tuple[str, str]] = frozenset(
    (t.from_type, t.to_type) for t in ASSOCIATION_TYPES if t.kind == PRIMARY and t.to_type == "companies"
)


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

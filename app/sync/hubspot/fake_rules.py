"""HubSpot's rules that the in-memory HubSpot (`fake.py`) keeps: direction-specific association type ids and at
most one primary company per contact or deal (a new one demotes the old to unlabeled); which properties a write
may set; `lifecyclestage` only moving forward."""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Set as AbstractSet

from app.rules.properties import PropertyInfo
from app.sync.hubspot.errors import PermanentHubSpotError
from app.sync.hubspot.gateway import PRIMARY_COMPANY_ID

Node = tuple[str, str]  # (object type, id)

# (a, b, type id a→b, type id b→a): HubSpot's HUBSPOT_DEFINED association types between the types Leadflow uses.
TYPE_IDS = (
    ("contact", "company", 279, 280),
    ("contact", "company", 1, 2),  # primary
    ("deal", "company", 341, 342),
    ("deal", "company", 5, 6),  # primary
    ("deal", "contact", 3, 4),
    ("task", "contact", 204, 203),
    ("task", "company", 192, 191),
    ("task", "deal", 216, 215),
    ("contact", "meeting", 199, 200),
    ("contact", "call", 193, 194),
    ("company", "meeting", 187, 188),
    ("company", "call", 181, 182),
    ("contact", "email", 197, 198),
    ("company", "email", 185, 186),
    ("lead", "contact", 578, 577),  # the lead's primary contact (required on create)
    ("lead", "contact", 608, 607),
    ("lead", "company", 610, 609),
)
INVERSE = {(a, b, ab): ba for a, b, ab, ba in TYPE_IDS} | {(b, a, ba): ab for a, b, ab, ba in TYPE_IDS}
PRIMARY = {"contact": 1, "deal": 5}  # the holder → company type id of a primary company association
_PLAIN = [(a, b, ab, ba) for a, b, ab, ba in TYPE_IDS if ab not in PRIMARY.values()]
UNLABELED = {(a, b): ab for a, b, ab, _ in _PLAIN} | {(b, a): ba for a, b, _, ba in _PLAIN}

READ_ONLY = frozenset({"hs_object_id", PRIMARY_COMPANY_ID})
LIFECYCLE_ORDER = ("subscriber", "lead", "marketingqualifiedlead", "salesqualifiedlead", "opportunity", "customer",
                   "evangelist", "other")  # fmt: skip


def write_problem(known: Mapping[str, PropertyInfo] | None, names: AbstractSet[str]) -> str | None:
    """Return why HubSpot refuses to write these properties (read-only, or not defined where `known`), or None."""
    problems = [f'"{name}" is a calculated property; its value cannot be set.' for name in sorted(READ_ONLY & names)]
    problems += [
        f'Property "{name}" does not exist' for name in sorted(names - READ_ONLY) if known and name not in known
    ]
    return f"VALIDATION_ERROR: Property values were not valid: {'; '.join(problems)}" if problems else None


def identifier_problem(known: Mapping[str, PropertyInfo] | None, object_type: str, name: str) -> str | None:
    """Return why a property cannot name records in an upsert (`idProperty`), or None."""
    if not known or (name in known and known[name].has_unique_value) or (object_type, name) == ("contact", "email"):
        return None
    return f"VALIDATION_ERROR: {name} is not a unique identifier property of {object_type}"


def moves_backward(current: str | None, new: str) -> bool:
    """Return whether a lifecycle stage write would move the stage backward (HubSpot ignores it, answering 200)."""
    order = LIFECYCLE_ORDER
    return current in order and new in order and order.index(new) < order.index(current)


class Links:
    """Associations between records, each stored in both directions with that direction's type ids."""

    def __init__(self) -> None:
        self._links: dict[Node, dict[Node, set[int]]] = {}

    def add(self, a: Node, b: Node, type_id: int) -> None:
        """Associate `a` with `b` by a type id of the a→b direction (primary brings unlabeled along)."""
        if (a[0], b[0], type_id) not in INVERSE:
            raise PermanentHubSpotError(f"no association type {type_id} from {a[0]} to {b[0]}", 400, "VALIDATION_ERROR")
        if a[0] == "company" and b[0] in PRIMARY:  # seen from the holder of the primary company
            a, b, type_id = b, a, INVERSE[(a[0], b[0], type_id)]
        if type_id == PRIMARY.get(a[0]) and b[0] == "company":
            for company in [c for c, kinds in self.of(a, "company") if kinds == type_id]:
                self._discard(a, ("company", company), type_id)
            self._put(a, b, UNLABELED[(a[0], b[0])])
        self._put(a, b, type_id)

    def of(self, node: Node, to_type: str) -> list[tuple[str, int]]:
        """Return (id, type id) of every association of `node` with records of `to_type`, one per type id."""
        linked = self._links.get(node, {}).items()
        return [(other[1], t) for other, types in linked if other[0] == to_type for t in sorted(types)]

    def primary_company(self, node: Node) -> str | None:
        """Return the id of a contact's (or deal's) primary company, if it has one."""
        return next((c for c, t in self.of(node, "company") if t == PRIMARY.get(node[0])), None)

    def drop(self, node: Node) -> list[Node]:
        """Remove every association of a record leaving the portal; return the records it was associated with."""
        others = list(self._links.pop(node, {}))
        for other in others:
            del self._links[other][node]
        return others

    def _put(self, a: Node, b: Node, type_id: int) -> None:
        self._links.setdefault(a, {}).setdefault(b, set()).add(type_id)
        self._links.setdefault(b, {}).setdefault(a, set()).add(INVERSE[(a[0], b[0], type_id)])

    def _discard(self, a: Node, b: Node, type_id: int) -> None:
        self._links[a][b].discard(type_id)
        self._links[b][a].discard(INVERSE[(a[0], b[0], type_id)])

"""Associations for the in-memory HubSpot (`fake.py`): HubSpot's direction-specific type ids, and at most one
primary company per contact or deal (a new one demotes the old to unlabeled, as HubSpot does)."""

from __future__ import annotations

from app.sync.hubspot.errors import PermanentHubSpotError

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
)
INVERSE = {(a, b, ab): ba for a, b, ab, ba in TYPE_IDS} | {(b, a, ba): ab for a, b, ab, ba in TYPE_IDS}
PRIMARY = {"contact": 1, "deal": 5}  # the holder → company type id of a primary company association
_PLAIN = [(a, b, ab, ba) for a, b, ab, ba in TYPE_IDS if ab not in PRIMARY.values()]
UNLABELED = {(a, b): ab for a, b, ab, _ in _PLAIN} | {(b, a): ba for a, b, _, ba in _PLAIN}


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

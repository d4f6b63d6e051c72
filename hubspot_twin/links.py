"""HubSpot's association rules on top of the graph: targets must exist, primary implies unlabeled, a contact has
at most one primary company (a new one demotes the old one), and ``associatedcompanyid`` follows the primary."""

from __future__ import annotations

from collections.abc import Iterable

from hubspot_twin.catalog.association_types import PRIMARY, UNLABELED
from hubspot_twin.errors import HubSpotError
from hubspot_twin.graph import AssociationGraph, Node
from hubspot_twin.model import CrmObject

_SINGULAR = {"contacts": "contact", "companies": "company", "meetings": "meeting", "calls": "call"}


class Links:
    """Associations between live records; callers hold the store's lock."""

    def __init__(self, objects: dict[str, dict[str, CrmObject]]) -> None:
        self._objects = objects
        self.graph = AssociationGraph()

    def require(self, node: Node) -> CrmObject:
        """Return the live record a node names, or raise the 404 HubSpot answers for an unknown record."""
        found = self._objects[node[0]].get(node[1])
        if found is None or found.archived:
            raise HubSpotError(404, f"No {_SINGULAR[node[0]]} with id {node[1]} exists", "OBJECT_NOT_FOUND")
        return found

    def add(self, a: Node, b: Node, kinds: Iterable[str]) -> None:
        """Associate two live records with some kinds (primary brings unlabeled along)."""
        self.require(a)
        self.require(b)
        wanted = set(kinds) | {UNLABELED}
        contact = _contact_of(a, b)
        if PRIMARY in wanted and contact is not None:
            self._demote_primary(contact)
        self.graph.add(a, b, wanted)
        self._sync(a, b)

    def discard(self, a: Node, b: Node, kinds: Iterable[str]) -> None:
        """Remove some kinds; removing ``unlabeled`` removes the association altogether."""
        kinds = set(kinds)
        if UNLABELED in kinds:
            self.graph.remove(a, b)
        else:
            self.graph.discard_kinds(a, b, kinds)
        self._sync(a, b)

    def remove(self, a: Node, b: Node) -> None:
        """Remove every kind between two records."""
        self.discard(a, b, {UNLABELED})

    def drop(self, node: Node) -> None:
        """Remove every association of a record being archived."""
        for other in self.graph.remove_node(node):
            self._sync(node, other)

    def associated(self, node: Node, to_type: str) -> list[tuple[str, frozenset[str]]]:
        """Return ``(id, kinds)`` for each record of ``to_type`` associated with ``node``."""
        return [(other[1], self.graph.kinds(node, other)) for other in self.graph.neighbours(node, to_type)]

    def _demote_primary(self, contact: Node) -> None:
        for company in self.graph.neighbours(contact, "companies"):
            self.graph.discard_kinds(contact, company, {PRIMARY})

    def _sync(self, a: Node, b: Node) -> None:
        contact = _contact_of(a, b)
        record = self._objects["contacts"].get(contact[1]) if contact else None
        if contact is None or record is None:
            return
        primary = [c for c in self.graph.neighbours(contact, "companies") if PRIMARY in self.graph.kinds(contact, c)]
        if primary:
            record.properties["associatedcompanyid"] = primary[0][1]
        else:
            record.properties.pop("associatedcompanyid", None)


def _contact_of(a: Node, b: Node) -> Node | None:
    """Return the contact of a contact–company pair (the only pair with a primary kind)."""
    types = {a[0], b[0]}
    if types != {"contacts", "companies"}:
        return None
    return a if a[0] == "contacts" else b

"""HubSpot's association rules on top of the graph: targets must exist, primary implies unlabeled, and a contact
(or a deal) has at most one primary company — a new one demotes the old one to unlabeled.

Every operation returns what it changed as ``PairChange``s (kinds added to or removed from one pair, seen from the
side the caller named), so the store can publish them; ``primary_company`` feeds a contact's
``associatedcompanyid``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from hubspot_twin.catalog import resolve
from hubspot_twin.catalog.association_types import PRIMARY, PRIMARY_PAIRS, UNLABELED
from hubspot_twin.crm.graph import AssociationGraph, Node
from hubspot_twin.errors import HubSpotError
from hubspot_twin.model import CrmObject


@dataclass(frozen=True)
class PairChange:
    """Kinds added to (or removed from) the association of ``a`` with ``b``."""

    a: Node
    b: Node
    kinds: frozenset[str]
    added: bool


class Links:
    """Associations between live records; callers hold the store's lock."""

    def __init__(self, objects: dict[str, dict[str, CrmObject]]) -> None:
        self._objects = objects
        self.graph = AssociationGraph()

    def require(self, node: Node) -> CrmObject:
        """Return the live record a node names, or raise the 404 HubSpot answers for an unknown record."""
        found = self._objects[node[0]].get(node[1])
        if found is None or found.archived:
            raise HubSpotError(404, f"No {resolve(node[0]).singular} with id {node[1]} exists", "OBJECT_NOT_FOUND")
        return found

    def add(self, a: Node, b: Node, kinds: Iterable[str]) -> list[PairChange]:
        """Associate two live records with some kinds (primary brings unlabeled along)."""
        self.require(a)
        self.require(b)
        present = self.graph.kinds(a, b)
        wanted = set(kinds) | {UNLABELED}
        changes: list[PairChange] = []
        holder = _primary_holder(a, b)
        if PRIMARY in wanted - present and holder is not None:
            changes.extend(self._demote_primary(holder))
        self.graph.add(a, b, wanted)
        if wanted - present:
            changes.append(PairChange(a, b, frozenset(wanted - present), True))
        return changes

    def discard(self, a: Node, b: Node, kinds: Iterable[str]) -> list[PairChange]:
        """Remove some kinds; removing ``unlabeled`` removes the association altogether."""
        present = self.graph.kinds(a, b)
        removed = present if UNLABELED in set(kinds) else present & set(kinds)
        if not removed:
            return []
        self.graph.discard_kinds(a, b, removed)
        return [PairChange(a, b, removed, False)]

    def drop(self, node: Node) -> list[PairChange]:
        """Remove every association of a record leaving the portal."""
        kinds = {other: self.graph.kinds(node, other) for other in self.graph.neighbours_all(node)}
        self.graph.remove_node(node)
        return [PairChange(node, other, found, False) for other, found in kinds.items()]

    def move(self, source: Node, target: Node) -> None:
        """Give ``target`` every association of ``source`` (a merge); ``target`` keeps its own primary company."""
        for other in self.graph.neighbours_all(source):
            kinds = set(self.graph.kinds(source, other))
            if other != target:
                if PRIMARY in kinds and other[0] == "companies" and self.primary_company(target) is not None:
                    kinds.discard(PRIMARY)
                self.add(target, other, kinds)
        self.graph.remove_node(source)

    def associated(self, node: Node, to_type: str) -> list[tuple[str, frozenset[str]]]:
        """Return ``(id, kinds)`` for each record of ``to_type`` associated with ``node``."""
        return [(other[1], self.graph.kinds(node, other)) for other in self.graph.neighbours(node, to_type)]

    def primary_company(self, node: Node) -> str | None:
        """Return the id of a record's primary company, if it has one."""
        companies = self.graph.neighbours(node, "companies")
        return next((c[1] for c in companies if PRIMARY in self.graph.kinds(node, c)), None)

    def _demote_primary(self, holder: Node) -> list[PairChange]:
        changes = []
        for company in self.graph.neighbours(holder, "companies"):
            if PRIMARY in self.graph.kinds(holder, company):
                self.graph.discard_kinds(holder, company, {PRIMARY})
                changes.append(PairChange(holder, company, frozenset({PRIMARY}), False))
        return changes


def _primary_holder(a: Node, b: Node) -> Node | None:
    """Return the record of a pair that can have a primary company (the contact or deal of a pair with a company)."""
    if (a[0], b[0]) in PRIMARY_PAIRS:
        return a
    if (b[0], a[0]) in PRIMARY_PAIRS:
        return b
    return None


def touched(changes: Iterable[PairChange]) -> list[Node]:
    """Return the records on either side of some association changes."""
    return [node for change in changes for node in (change.a, change.b)]

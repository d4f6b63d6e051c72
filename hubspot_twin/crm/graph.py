"""Associations stored once per pair of records, each pair with a set of kinds (``unlabeled``, ``primary``).

The graph knows nothing of type ids or HubSpot's rules: the store applies those (primary demotion, cascading
deletes) and the views translate kinds into direction-specific type ids. Not thread-safe on its own.
"""

from __future__ import annotations

from collections.abc import Iterable

Node = tuple[str, str]  # (object type name, object id)
PairKey = tuple[Node, Node]


def _key(a: Node, b: Node) -> PairKey:
    return (a, b) if a <= b else (b, a)


class AssociationGraph:
    """Undirected pairs of records with the kinds of association between them."""

    def __init__(self) -> None:
        self._kinds: dict[PairKey, set[str]] = {}
        self._neighbours: dict[Node, set[Node]] = {}

    def add(self, a: Node, b: Node, kinds: Iterable[str]) -> None:
        """Add kinds to the pair (creating it)."""
        self._kinds.setdefault(_key(a, b), set()).update(kinds)
        self._neighbours.setdefault(a, set()).add(b)
        self._neighbours.setdefault(b, set()).add(a)

    def discard_kinds(self, a: Node, b: Node, kinds: Iterable[str]) -> None:
        """Remove some kinds from the pair; the pair goes when none is left."""
        present = self._kinds.get(_key(a, b))
        if present is None:
            return
        present.difference_update(kinds)
        if not present:
            self.remove(a, b)

    def remove(self, a: Node, b: Node) -> None:
        """Remove the pair with all its kinds."""
        self._kinds.pop(_key(a, b), None)
        self._neighbours.get(a, set()).discard(b)
        self._neighbours.get(b, set()).discard(a)

    def kinds(self, a: Node, b: Node) -> frozenset[str]:
        """Return the kinds between two records (empty when not associated)."""
        return frozenset(self._kinds.get(_key(a, b), ()))

    def neighbours(self, node: Node, to_type: str) -> list[Node]:
        """Return the records of ``to_type`` associated with ``node``, by increasing numeric id."""
        found = [n for n in self._neighbours.get(node, ()) if n[0] == to_type]
        return sorted(found, key=lambda n: int(n[1]))

    def neighbours_all(self, node: Node) -> list[Node]:
        """Return every record associated with ``node``, ordered by type and numeric id."""
        return sorted(self._neighbours.get(node, ()), key=lambda n: (n[0], int(n[1])))

    def remove_node(self, node: Node) -> list[Node]:
        """Remove every pair of a record; return the records it was associated with."""
        others = sorted(self._neighbours.pop(node, set()))
        for other in others:
            self._kinds.pop(_key(node, other), None)
            self._neighbours.get(other, set()).discard(node)
        return others

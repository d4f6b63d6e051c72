"""Build the ``Change``s the store publishes (the contract is ``changes.py``)."""

from __future__ import annotations

from collections.abc import Mapping

from hubspot_twin.catalog.association_types import PRIMARY, by_kind
from hubspot_twin.crm.changes import Change, ChangeKind, ChangeSource
from hubspot_twin.crm.links import PairChange


def record_change(
    kind: ChangeKind,
    object_type: str,
    object_id: str,
    at_ms: int,
    source: ChangeSource,
    properties: Mapping[str, str | None] | None = None,
    merged_ids: tuple[str, ...] = (),
) -> Change:
    """Return a change of one record (created, updated, archived, merged, privacy_deleted)."""
    return Change(kind, object_type, object_id, at_ms, source, dict(properties or {}), merged_ids=merged_ids)


def pair_change(change: PairChange, at_ms: int, source: ChangeSource) -> Change:
    """Return an ``associated``/``dissociated`` change with the type ids of the direction ``a`` → ``b``."""
    a, b = change.a, change.b
    type_ids = tuple(sorted(by_kind(a[0], b[0], kind).type_id for kind in change.kinds))
    return Change(
        "associated" if change.added else "dissociated",
        a[0],
        a[1],
        at_ms,
        source,
        to_object_type=b[0],
        to_object_id=b[1],
        association_type_ids=type_ids,
        is_primary=PRIMARY in change.kinds,
    )

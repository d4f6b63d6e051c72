"""Batch writes that HubSpot may answer in part (207): retry only the records it did not write, keep the reasons.

One loop serves batch update, batch upsert and v4 association create. Each record has a key (a record id, a
unique value, a `from:to` pair); a record counts as written when a result names its key (or, for writes whose
results name nothing, when no error names it). A refused record is final when retrying cannot help
(`FINAL_CATEGORIES`); the others are sent again, alone, with backoff, up to the policy's attempts.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from itertools import product
from typing import Any, TypeVar

from hubspot.crm.associations.v4 import AssociationSpec, PublicAssociationMultiPost, PublicObjectId
from hubspot.crm.objects import AssociationSpec as ObjectAssociationSpec
from hubspot.crm.objects import (
    PublicAssociationsForObject,
    SimplePublicObjectBatchInputForCreate,
    SimplePublicObjectBatchInputUpsert,
)
from hubspot.crm.objects import PublicObjectId as ObjectId

from app.sync.hubspot.gateway import NewRecord
from app.sync.hubspot.retry import RetryPolicy

T = TypeVar("T")
BATCH_LIMIT = 100  # HubSpot's CRM batch endpoints take at most 100 records
FINAL_CATEGORIES = frozenset({"OBJECT_NOT_FOUND", "VALIDATION_ERROR", "INVALID_OPTION", "PROPERTY_DOESNT_EXIST"})
HUBSPOT_DEFINED = "HUBSPOT_DEFINED"
NO_REASON = "HubSpot did not write the record and gave no reason"


@dataclass(frozen=True)
class BatchOutcome:
    """`written`: key → the id HubSpot answered (empty for writes that answer none); `refused`: key → reason."""

    written: dict[str, str]
    refused: dict[str, str]


def record_keys(error: Any) -> list[str]:
    """Return the records an object batch error names: by id, or by `objectWriteTraceId` (the write's key)."""
    context = error.context or {}
    return [str(key) for name in ("ids", "objectWriteTraceId") for key in context.get(name) or []]


def pair_keys(error: Any) -> list[str]:
    """Return the `from:to` pairs an association batch error names."""
    context = error.context or {}
    return [pair_key(f, t) for f, t in product(context.get("fromObjectId") or [], context.get("toObjectId") or [])]


def pair_key(from_id: object, to_id: object) -> str:
    return f"{from_id}:{to_id}"


@dataclass(frozen=True)
class BatchWrite:
    """How to send one batch (of at most 100 records, by key) and read its answer."""

    operation: str
    send: Callable[[dict[str, Any]], Any]  # pending records by key → the SDK's response
    key_of_result: Callable[[Any], str | None] | None  # None: the results name no key; no error means written
    keys_of_error: Callable[[Any], list[str]] = record_keys


def write_all(batch: BatchWrite, records: Mapping[str, Any], policy: RetryPolicy) -> BatchOutcome:
    """Write `records` in batches of 100, each settled by `write_settled`."""
    written: dict[str, str] = {}
    refused: dict[str, str] = {}
    for chunk in chunks(list(records)):
        outcome = write_settled(batch, {key: records[key] for key in chunk}, policy)
        written.update(outcome.written)
        refused.update(outcome.refused)
    return BatchOutcome(written, refused)


def write_settled(batch: BatchWrite, records: Mapping[str, Any], policy: RetryPolicy) -> BatchOutcome:
    """Send `records`, then resend only those a 207 left unwritten for a reason worth retrying."""
    pending, written, refused = dict(records), {}, {}
    for attempt in range(1, policy.attempts + 1):
        response = batch.send(pending)
        failures = _failures(response, batch.keys_of_error, set(pending))
        done = _written(response, batch.key_of_result, set(pending), failures)
        written.update(done)
        failures = {key: failure for key, failure in failures.items() if key not in done}
        for key in set(pending) - done.keys() - failures.keys():
            failures[key] = (NO_REASON, False)
        refused.update({key: reason for key, (reason, final) in failures.items() if final})
        pending = {key: pending[key] for key, (_, final) in failures.items() if not final}
        if not pending:
            return BatchOutcome(written, refused)
        time.sleep(min(policy.max_backoff, policy.initial_backoff * 2**attempt))
    refused.update({key: f"{batch.operation}: still failing after {policy.attempts} tries" for key in pending})
    return BatchOutcome(written, refused)


def _written(
    response: Any, key_of: Callable[[Any], str | None] | None, pending: set[str], failed: Mapping[str, object]
) -> dict[str, str]:
    if key_of is None:
        return {key: "" for key in pending - failed.keys()}
    found = ((key_of(result), str(result.id)) for result in getattr(response, "results", None) or [])
    return {key: object_id for key, object_id in found if key in pending}


def _failures(response: Any, keys_of: Callable[[Any], list[str]], pending: set[str]) -> dict[str, tuple[str, bool]]:
    """Map each pending key a 207 error names to (reason, whether retrying cannot help)."""
    failures: dict[str, tuple[str, bool]] = {}
    for error in getattr(response, "errors", None) or []:
        reason = f"{error.category}: {error.message}"
        for key in keys_of(error):
            if key in pending:
                failures[key] = (reason, error.category in FINAL_CATEGORIES)
    return failures


def upsert_input(key: str, id_property: str, properties: Mapping[str, str]) -> SimplePublicObjectBatchInputUpsert:
    """Return one upsert input; the key is also its `objectWriteTraceId`, so a refusal names it (207, not 400)."""
    return SimplePublicObjectBatchInputUpsert(
        id=key,
        id_property=id_property,
        object_write_trace_id=key,
        properties={**properties, id_property: key},
    )


def create_input(key: str, id_property: str, record: NewRecord) -> SimplePublicObjectBatchInputForCreate:
    """Return one create input carrying its unique key (also its `objectWriteTraceId`) and its associations."""
    associations = [
        PublicAssociationsForObject(
            to=ObjectId(id=to_id),
            types=[ObjectAssociationSpec(association_category=HUBSPOT_DEFINED, association_type_id=type_id)],
        )
        for _to_type, to_id, type_id in record.associations
    ]
    return SimplePublicObjectBatchInputForCreate(
        properties={**record.properties, id_property: key}, associations=associations, object_write_trace_id=key
    )


def upserted_key(id_property: str) -> Callable[[Any], str | None]:
    """Return how to find the key of an upsert result: its trace id, else the unique value it holds."""

    def key_of(result: Any) -> str | None:
        trace_id = getattr(result, "object_write_trace_id", None)
        return str(trace_id) if trace_id else (result.properties or {}).get(id_property)

    return key_of


def association_inputs(pairs: Iterable[tuple[str, str, int]]) -> dict[str, PublicAssociationMultiPost]:
    """Return one v4 input per (from, to) pair, carrying every type id asked for it, by `from:to` key."""
    types: dict[tuple[str, str], list[int]] = {}
    for from_id, to_id, type_id in pairs:
        wanted = types.setdefault((from_id, to_id), [])
        if type_id not in wanted:
            wanted.append(type_id)
    return {
        pair_key(from_id, to_id): PublicAssociationMultiPost(
            _from=PublicObjectId(id=from_id),
            to=PublicObjectId(id=to_id),
            types=[AssociationSpec(association_category=HUBSPOT_DEFINED, association_type_id=t) for t in type_ids],
        )
        for (from_id, to_id), type_ids in types.items()
    }


def chunks(items: list[T], size: int = BATCH_LIMIT) -> Iterator[list[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]

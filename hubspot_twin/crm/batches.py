"""Batch reads and writes of records, with HubSpot's all-or-nothing and multi-status rules.

A batch is checked completely under the store's lock before anything changes. Batch create is all-or-nothing
unless every input carries an ``objectWriteTraceId`` (then failed inputs become 207 errors, as HubSpot documents);
batch read and update report unknown ids as one ``OBJECT_NOT_FOUND`` error and go on with the rest.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hubspot_twin.catalog import ObjectType
from hubspot_twin.crm.association_input import object_id
from hubspot_twin.crm.changes import ChangeSource
from hubspot_twin.crm.store import NewObject, Store
from hubspot_twin.crm.unique_values import Claims
from hubspot_twin.errors import HubSpotError, invalid_input, missing_attributes, standard_error
from hubspot_twin.model import CrmObject


@dataclass(frozen=True)
class Written:
    """A record a batch wrote, with the trace id its input carried (and, for upserts, whether it is new)."""

    obj: CrmObject
    trace_id: str | None = None
    new: bool = False


def missing_error(otype: ObjectType, ids: list[str], trace_ids: list[str] | None = None) -> dict[str, Any]:
    """Return HubSpot's 207 entry for ids that name no record."""
    message = (
        f"Could not get some {otype.internal_name} objects, they may be deleted or not exist. Check that ids are valid."
    )
    context = {"ids": ids, **({"objectWriteTraceId": trace_ids} if trace_ids else {})}
    return standard_error("OBJECT_NOT_FOUND", message, context)


def read_many(
    store: Store, otype: ObjectType, ids: list[str], id_property: str | None, archived: bool
) -> tuple[list[CrmObject], list[str]]:
    """Return the records found (each once, in input order) and the ids that named none."""
    found: dict[str, CrmObject] = {}
    missing: list[str] = []
    with store.lock:
        for raw_id in ids:
            obj = store.lookup(otype, raw_id, archived=archived, id_property=id_property)
            if obj is None:
                missing.append(raw_id)
            else:
                found.setdefault(obj.id, obj)
    return list(found.values()), missing


def create_many(
    store: Store, otype: ObjectType, inputs: list[dict[str, Any]], source: ChangeSource
) -> tuple[list[Written], list[dict[str, Any]]]:
    """Create a batch; raise the first input's error unless every input has an ``objectWriteTraceId``."""
    traced = all_traced(inputs)
    with store.lock:
        planned: list[tuple[NewObject, str | None]] = []
        errors: list[dict[str, Any]] = []
        claimed: Claims = set()
        for item in inputs:
            trace_id = item.get("objectWriteTraceId")
            try:
                new = store.prepare_create(
                    otype, properties_of(item, "SimplePublicObjectBatchInputForCreate"), item.get("associations"),
                    claimed=claimed,
                )  # fmt: skip
            except HubSpotError as error:
                if not traced:
                    raise
                errors.append(trace_error(error, trace_id))
                continue
            planned.append((new, trace_id))
        return [Written(store.commit_create(new, source), trace_id) for new, trace_id in planned], errors


def all_traced(inputs: list[dict[str, Any]]) -> bool:
    """Return whether every input carries an ``objectWriteTraceId`` (then failed inputs become 207 errors)."""
    return all(isinstance(item.get("objectWriteTraceId"), str) for item in inputs)


def trace_error(error: HubSpotError, trace_id: object) -> dict[str, Any]:
    """Return the 207 entry of an input that failed, naming its ``objectWriteTraceId``."""
    return standard_error(error.category, error.message, {"objectWriteTraceId": [str(trace_id)]})


def update_many(
    store: Store, otype: ObjectType, inputs: list[dict[str, Any]], source: ChangeSource
) -> tuple[list[Written], list[dict[str, Any]]]:
    """Update a batch: unknown ids become one error, any invalid value fails the whole batch."""
    ids = unique_ids(inputs, "SimplePublicObjectBatchInput")
    with store.lock:
        planned: list[tuple[CrmObject, dict[str, str | None], str | None]] = []
        missing: list[tuple[str, str | None]] = []
        claimed: Claims = set()
        for raw_id, item in zip(ids, inputs, strict=True):
            trace_id = item.get("objectWriteTraceId")
            obj = store.lookup(otype, raw_id, id_property=item.get("idProperty"))
            if obj is None:
                missing.append((raw_id, trace_id))
                continue
            properties = properties_of(item, "SimplePublicObjectBatchInput")
            planned.append((obj, store.prepare_update(obj, properties, claimed=claimed), trace_id))
        for obj, values, _ in planned:
            store.commit_update(obj, values, source)
    errors = [missing_error(otype, [i for i, _ in missing], [t for _, t in missing if t])] if missing else []
    return [Written(obj, trace_id) for obj, _, trace_id in planned], errors


def archive_many(store: Store, otype: ObjectType, inputs: list[dict[str, Any]], source: ChangeSource) -> None:
    """Archive a batch (unknown ids are ignored)."""
    with store.lock:
        for item in inputs:
            store.archive(otype, object_id(item, "SimplePublicObjectId"), source=source)


def unique_ids(inputs: list[dict[str, Any]], input_class: str) -> list[str]:
    """Return the ids of a batch's inputs, or raise HubSpot's 400 when one is repeated."""
    ids = [object_id(item, input_class) for item in inputs]
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    if repeated:
        raise HubSpotError(400, f"Duplicate IDs found in batch input: [{', '.join(repeated)}]. IDs must be unique")
    return ids


def properties_of(item: dict[str, Any], input_class: str) -> object:
    """Return an input's ``properties``, or raise HubSpot's 400 when it has none."""
    if "properties" not in item:
        raise missing_attributes(input_class, ["properties"])
    if not isinstance(item["properties"], dict):
        raise invalid_input("properties must be an object of property names to values")
    return item["properties"]

"""Batch upsert: create or update records named by a unique property value (``POST …/batch/upsert``).

Each input names a record by ``id`` and ``idProperty`` (a unique-value property, or contacts' ``email``): the live
record holding that value is updated (``new: false``), otherwise a record is created with that value set
(``new: true``). Without ``idProperty`` (or with ``hs_object_id``) the id is a record id, so only an update is
possible and an unknown id becomes one OBJECT_NOT_FOUND error (207). An invalid input fails the whole batch unless
every input has an ``objectWriteTraceId``; then it becomes a 207 error naming its trace id, as for batch create.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hubspot_twin.catalog import ObjectType
from hubspot_twin.crm.association_input import object_id
from hubspot_twin.crm.batches import Written, all_traced, missing_error, properties_of, trace_error, unique_ids
from hubspot_twin.crm.changes import ChangeSource
from hubspot_twin.crm.store import NewObject, Store, Values
from hubspot_twin.crm.unique_values import Claims
from hubspot_twin.errors import HubSpotError, invalid_input
from hubspot_twin.model import CrmObject

INPUT = "SimplePublicObjectBatchInputUpsert"


@dataclass(frozen=True)
class Plan:
    """One validated input: an update of ``existing`` or a ``create``."""

    trace_id: str | None
    existing: CrmObject | None = None
    update: Values | None = None
    create: NewObject | None = None


def upsert_many(
    store: Store, otype: ObjectType, inputs: list[dict[str, Any]], source: ChangeSource
) -> tuple[list[Written], list[dict[str, Any]]]:
    """Upsert a batch: check every input, then write them in input order."""
    unique_ids(inputs, INPUT)
    traced = all_traced(inputs)
    plans: list[Plan] = []
    errors: list[dict[str, Any]] = []
    missing: list[str] = []
    with store.lock:
        claimed: Claims = set()
        for item in inputs:
            try:
                plan = _plan(store, otype, item, claimed)
            except HubSpotError as error:
                if not traced:
                    raise
                errors.append(trace_error(error, item.get("objectWriteTraceId")))
                continue
            if plan is None:
                missing.append(object_id(item, INPUT))
            else:
                plans.append(plan)
        written = [_commit(store, plan, source) for plan in plans]
    if missing:
        errors.append(missing_error(otype, missing))
    return written, errors


def _plan(store: Store, otype: ObjectType, item: dict[str, Any], claimed: Claims) -> Plan | None:
    raw_id, properties = object_id(item, INPUT), properties_of(item, INPUT)
    id_property = str(item.get("idProperty") or "hs_object_id")
    trace_id = item.get("objectWriteTraceId")
    existing = store.lookup(otype, raw_id, id_property=id_property)
    if existing is not None:
        return Plan(trace_id, existing, update=store.prepare_update(existing, properties, claimed=claimed))
    if id_property == "hs_object_id":
        return None
    if not isinstance(properties, dict):
        raise invalid_input("properties must be an object of property names to values")
    new = store.prepare_create(otype, {**properties, id_property: raw_id}, None, claimed=claimed)
    return Plan(trace_id, create=new)


def _commit(store: Store, plan: Plan, source: ChangeSource) -> Written:
    if plan.create is not None:
        return Written(store.commit_create(plan.create, source), plan.trace_id, new=True)
    assert plan.existing is not None and plan.update is not None
    store.commit_update(plan.existing, plan.update, source)
    return Written(plan.existing, plan.trace_id, new=False)

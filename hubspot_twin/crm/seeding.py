"""Seeding a portal in bulk: many records, and many primary companies, in one call each.

A seed stands for a portal that existed before anyone subscribed to it, so by default nothing is published to
the feed (no webhooks). Records are validated exactly like creates — each write's values, required properties,
owners, pipelines and unique values, duplicates within the seed included — and every record (every pair) is
checked before anything is stored, as a batch create does. Each record and each pair costs the same whatever the
size of the portal.

Python's cyclic garbage collector is paused during a seed: it would otherwise scan the whole growing portal again
and again (a third of the time of a 100,000-contact seed), for no garbage. A large seed ends with one full
collection instead (half a second for 100,000 contacts), so that the first requests after it do not pay for it.
"""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from hubspot_twin.catalog import COMPANIES, ObjectType
from hubspot_twin.catalog.association_types import PRIMARY, PRIMARY_PAIRS, UNLABELED
from hubspot_twin.crm.changes import ChangeSource
from hubspot_twin.crm.graph import Node
from hubspot_twin.crm.store import NewObject, Store
from hubspot_twin.crm.unique_values import Claims
from hubspot_twin.errors import HubSpotError
from hubspot_twin.model import CrmObject

LARGE_SEED = 10_000  # records or pairs: a seed this large ends with a full garbage collection


def create_records(
    store: Store,
    otype: ObjectType,
    properties_list: Iterable[Mapping[str, Any]],
    *,
    system: bool,
    publish: bool,
    source: ChangeSource,
) -> list[CrmObject]:
    """Create records in input order, or raise the first invalid record's error (with a note naming it)."""
    with store.lock, _collector_paused():
        claimed: Claims = set()
        planned: list[NewObject] = []
        for position, properties in enumerate(properties_list):
            try:
                planned.append(store.prepare_create(otype, dict(properties), None, system=system, claimed=claimed))
            except HubSpotError as error:
                error.add_note(f"record {position} of the seed of {otype.name}")
                raise
        created = [store.commit_create(new, source, publish=publish) for new in planned]
        _settle(len(created))
        return created


def associate_primary_companies(
    store: Store,
    otype: ObjectType,
    pairs: Iterable[tuple[str, str]],
    *,
    publish: bool,
    source: ChangeSource,
) -> None:
    """Make each company the primary company of its record (demoting any other), keeping ``associatedcompanyid``."""
    if (otype.name, COMPANIES.name) not in PRIMARY_PAIRS:
        raise HubSpotError(400, f"A {otype.singular} has no primary company")
    with store.lock, _collector_paused():
        nodes: list[tuple[Node, Node]] = [
            (store.node((otype.name, str(record_id))), store.node((COMPANIES.name, str(company_id))))
            for record_id, company_id in pairs
        ]
        for record, company in nodes:
            store.links.require(record)
            store.links.require(company)
        for record, company in nodes:
            store.publish_links(store.links.add(record, company, {UNLABELED, PRIMARY}), source, publish=publish)
        _settle(len(nodes))


@contextmanager
def _collector_paused() -> Iterator[None]:
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _settle(count: int) -> None:
    """Collect garbage once after a large seed, while it is paused (its objects then count as long-lived)."""
    if count >= LARGE_SEED:
        gc.collect()

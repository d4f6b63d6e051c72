"""Merging two records and deleting a contact for GDPR, as HubSpot does them.

A merge keeps the primary record and its id. Each property keeps the primary's value; the merged record's value
only fills properties the primary lacks, the earliest create date and the furthest lifecycle stage win, and
``hs_merged_object_ids`` lists the merged ids. Associations move to the primary. The merged id lives on as an
alias: reads and writes that name it reach the primary (HubSpot resolves merged ids the same way). One ``merged``
change is published. A GDPR delete removes a contact for good — not archived, not restorable — with its
associations, and publishes one ``privacy_deleted`` change.
"""

from __future__ import annotations

from hubspot_twin.catalog import CONTACTS, ObjectType
from hubspot_twin.crm.change_events import record_change
from hubspot_twin.crm.changes import ChangeSource
from hubspot_twin.crm.links import touched
from hubspot_twin.crm.store import Store, Values
from hubspot_twin.crm.write_rules import LIFECYCLE_ORDER
from hubspot_twin.errors import HubSpotError, not_found
from hubspot_twin.model import CrmObject

# HubSpot merges contacts, companies and deals (and tickets, which the twin does not serve).
MERGEABLE = frozenset({"contacts", "companies", "deals"})


def merge(store: Store, otype: ObjectType, primary_id: str, merged_id: str, *, source: ChangeSource) -> CrmObject:
    """Merge ``merged_id`` into ``primary_id``; return the primary."""
    if otype.name not in MERGEABLE:
        raise HubSpotError(400, f"Records of type {otype.name} cannot be merged")
    with store.lock:
        primary, merged = store.get(otype, primary_id), store.get(otype, merged_id)
        if primary.id == merged.id:
            raise HubSpotError(400, f"Cannot merge {otype.singular} {primary.id} with itself")
        node = (otype.name, primary.id)
        store.links.move((otype.name, merged.id), node)
        store.remove(merged)
        for alias, target in list(store.merged_ids.items()):
            if target == merged.id:
                store.merged_ids[alias] = primary.id
        store.merged_ids[merged.id] = primary.id
        values = merged_values(otype, primary, merged)
        if otype is CONTACTS:
            values["associatedcompanyid"] = store.links.primary_company(node)
        now = store.now()
        store.write(primary, {**values, otype.modified_property: now}, now)
        store.publish(record_change("merged", otype.name, primary.id, store.now_ms(), source, merged_ids=(merged.id,)))
        store.sync_company_ids(store.links.graph.neighbours(node, "contacts"), source)
        return primary


def merged_values(otype: ObjectType, primary: CrmObject, merged: CrmObject) -> Values:
    """Return the values the primary takes over from the merged record."""
    kept = {"hs_object_id", otype.modified_property, "hs_merged_object_ids", "associatedcompanyid"}
    values: Values = {
        name: value for name, value in merged.properties.items() if name not in primary.properties and name not in kept
    }
    created = otype.created_property
    if created in merged.properties and created in primary.properties:
        values[created] = min(primary.properties[created], merged.properties[created])
    stages = [p.properties.get("lifecyclestage") for p in (primary, merged)]
    ranked = [stage for stage in stages if stage in LIFECYCLE_ORDER]
    if ranked:
        values["lifecyclestage"] = max(ranked, key=LIFECYCLE_ORDER.index)
    ids = [*_ids(primary), merged.id, *_ids(merged)]
    values["hs_merged_object_ids"] = ";".join(dict.fromkeys(ids))
    return values


def gdpr_delete(store: Store, object_id: str, *, id_property: str | None, source: ChangeSource) -> None:
    """Delete a contact permanently (live or archived), or raise HubSpot's 404."""
    with store.lock:
        contact = store.lookup(CONTACTS, object_id, id_property=id_property) or store.lookup(
            CONTACTS, object_id, id_property=id_property, archived=True
        )
        if contact is None:
            raise not_found()
        dropped = store.links.drop(("contacts", contact.id))
        store.remove(contact)
        for alias in [a for a, target in store.merged_ids.items() if target == contact.id]:
            del store.merged_ids[alias]
        store.publish(record_change("privacy_deleted", "contacts", contact.id, store.now_ms(), source))
        store.sync_company_ids(touched(dropped), source)


def _ids(record: CrmObject) -> list[str]:
    return [i for i in record.properties.get("hs_merged_object_ids", "").split(";") if i]

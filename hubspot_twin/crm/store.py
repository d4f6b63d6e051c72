"""The twin's state: records, property schema, associations, owners and pipelines, behind one re-entrant lock.

Every public method takes the lock, so the threaded server and the Python API can share one store. Writes are
checked by ``WriteRules`` (HubSpot's value and portal rules) and associations by ``Links``; batch operations
(``batches.py``, ``upserts.py``) use ``prepare_*``/``commit_*`` under the lock to check a whole batch before changing
anything. Every committed change is published to ``feed`` (see ``changes.py``) while the lock is held, after the
state has changed; every mutation therefore names its ``source``. Indexes (``indexes.py``) follow every record
added, written, archived or removed, so that paging, id and unique-value lookups cost the same in any portal: every
change to a record goes through ``commit_create``, ``write``, ``archive`` or ``remove``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass

from hubspot_twin.catalog import LEADS, OBJECT_TYPES, ObjectType, resolve
from hubspot_twin.crm.association_input import inline_links
from hubspot_twin.crm.change_events import pair_change, record_change
from hubspot_twin.crm.changes import Change, ChangeFeed, ChangeSource
from hubspot_twin.crm.graph import Node
from hubspot_twin.crm.indexes import RecordIds, ValueIndex
from hubspot_twin.crm.lead_rules import require_primary_contact
from hubspot_twin.crm.links import Links, PairChange, touched
from hubspot_twin.crm.lists import Lists
from hubspot_twin.crm.owners import Owners
from hubspot_twin.crm.pipelines import deal_pipelines, lead_pipelines
from hubspot_twin.crm.schema import Schema
from hubspot_twin.crm.sequences import Sequences
from hubspot_twin.crm.timestamps import Clock, iso, utc_now
from hubspot_twin.crm.unique_values import Claims, find_by_value
from hubspot_twin.crm.write_rules import WriteRules
from hubspot_twin.errors import HubSpotError, not_found
from hubspot_twin.model import CrmObject

FIRST_ID = 1001
# HubSpot's answer to a private app calling an API its portal's subscription does not include (Leads need Sales Hub
# Professional or Enterprise): the app cannot be granted the scope, so every call is a MISSING_SCOPES 403.
SCOPES_MESSAGE = (
    "This app hasn't been granted all required scopes to make this call. Read more about required scopes here: "
    "https://developers.hubspot.com/scopes."
)
MAX_PAGE_SIZE = 100
Values = dict[str, str | None]


@dataclass
class NewObject:
    """A validated create, not yet given an id: its values and its inline associations (target → kinds)."""

    otype: ObjectType
    values: dict[str, str]
    links: dict[Node, set[str]]


class Store:
    """Records per object type, their schema, associations, owners and pipelines, and the change feed."""

    def __init__(self, clock: Clock = utc_now, *, leads: bool = True) -> None:
        self.lock = threading.RLock()
        self._clock = clock
        self.leads = leads  # whether the portal has the Leads object (its subscription, kept by reset())
        self.feed = ChangeFeed()  # survives reset(): listeners stay subscribed to the fresh portal
        self.reset()

    def reset(self) -> None:
        """Wipe every record, custom property, association, owner, custom pipeline, list and sequence: back to a
        fresh portal."""
        with self.lock:
            now = self.now()
            self.schema = Schema(now)
            self.objects: dict[str, dict[str, CrmObject]] = {t.name: {} for t in OBJECT_TYPES}
            self.links = Links(self.objects)
            self.ids = RecordIds(self.objects)
            self.values = ValueIndex(self.objects)
            self.owners = Owners()
            self.pipelines = deal_pipelines()
            self.lead_pipelines = lead_pipelines()
            self.lists = Lists()
            self.sequences = Sequences()
            self.merged_ids: dict[str, str] = {}  # id of a merged record → id of the record it lives on in
            self.rules = WriteRules(self.schema, self.owners, self.pipelines, self.values, self.lead_pipelines)
            self._next_id = FIRST_ID

    def now(self) -> str:
        """Return the current instant as HubSpot writes it."""
        return iso(self._clock())

    def now_ms(self) -> int:
        """Return the current instant in epoch milliseconds (a change's ``occurred_at_ms``)."""
        return int(self._clock().timestamp() * 1000)

    def require_served(self, otype: ObjectType) -> ObjectType:
        """Return ``otype``, or raise HubSpot's 403 when the portal lacks it (Leads in a portal without them)."""
        if otype is LEADS and not self.leads:
            scope = {"requiredGranularScopes": ["crm.objects.leads.read", "crm.objects.leads.write"]}
            errors = [{"message": "One or more of the following scopes are required.", "context": scope}]
            raise HubSpotError(403, SCOPES_MESSAGE, "MISSING_SCOPES", errors=errors)
        return otype

    # Reading -----------------------------------------------------------------------------------------------

    def get(
        self, otype: ObjectType, object_id: str, *, archived: bool = False, id_property: str | None = None
    ) -> CrmObject:
        """Return one record, or raise HubSpot's 404 (its own text for a non-numeric id)."""
        if not id_property and not object_id.isdigit():
            raise HubSpotError(
                404, "Object not found.  objectId are usually numeric.", "OBJECT_NOT_FOUND", context={"id": [object_id]}
            )
        found = self.lookup(otype, object_id, archived=archived, id_property=id_property)
        if found is None:
            raise not_found()
        return found

    def lookup(
        self, otype: ObjectType, object_id: str, *, archived: bool = False, id_property: str | None = None
    ) -> CrmObject | None:
        """Return the record an id (or a unique property value) names, or None; a merged id names its primary."""
        with self.lock:
            records = self.objects[otype.name]
            if id_property and id_property != "hs_object_id":
                definitions = self.schema.definitions(otype)
                return find_by_value(self.values, otype, definitions, id_property, object_id, archived)
            key = object_id.lstrip("0") if object_id.isdigit() else object_id
            found = records.get(self.merged_ids.get(key, key))
            return found if found is not None and found.archived == archived else None

    def page(self, otype: ObjectType, after: int, limit: int, archived: bool) -> tuple[list[CrmObject], str | None]:
        """Return up to ``limit`` records from id ``after`` on, and the cursor of the next page."""
        size = max(1, min(limit, MAX_PAGE_SIZE))
        with self.lock:
            records = self.objects[otype.name]
            rows = [records[str(i)] for i in self.ids.of(otype.name, archived=archived).starting_at(after, size + 1)]
        return rows[:size], (rows[size].id if len(rows) > size else None)

    # Creating ----------------------------------------------------------------------------------------------

    def create(
        self,
        otype: ObjectType,
        properties: object,
        associations: object = None,
        *,
        source: ChangeSource,
        system: bool = False,
    ) -> CrmObject:
        """Create one record (validated like HubSpot) with its inline associations."""
        with self.lock:
            return self.commit_create(self.prepare_create(otype, properties, associations, system=system), source)

    def prepare_create(
        self,
        otype: ObjectType,
        properties: object,
        associations: object,
        *,
        system: bool = False,
        claimed: Claims | None = None,
    ) -> NewObject:
        """Validate a create without changing anything; ``claimed`` catches unique values repeated in a batch."""
        values = self.rules.for_create(
            otype, properties, self.now(), str(self._next_id), system=system, claimed=claimed
        )
        links: dict[Node, set[str]] = {}
        for target, kind in inline_links(otype, associations, lambda t, i: self.lookup(t, i) is not None):
            links.setdefault(target, set()).add(kind)
        if otype is LEADS:
            require_primary_contact(links)
        return NewObject(otype, values, links)

    def commit_create(self, new: NewObject, source: ChangeSource, *, publish: bool = True) -> CrmObject:
        """Store a validated create under the next id, make its associations and publish both (unless a seed
        asks not to: ``publish=False``)."""
        now = self.now()
        object_id = str(self._next_id)
        self._next_id += 1
        obj = CrmObject(object_id, new.otype.name, now, now)
        system = {new.otype.modified_property: now, "hs_object_id": object_id}
        obj.apply({new.otype.created_property: now, **new.values, **system}, now)
        self.objects[new.otype.name][object_id] = obj
        self.ids.added(obj)
        self.values.added(obj)
        if publish:
            self.publish(record_change("created", obj.object_type, obj.id, self.now_ms(), source, obj.properties))
        for target, kinds in new.links.items():
            self.publish_links(self.links.add((new.otype.name, object_id), target, kinds), source)
        return obj

    # Updating and archiving --------------------------------------------------------------------------------

    def update(
        self,
        otype: ObjectType,
        object_id: str,
        properties: object,
        *,
        source: ChangeSource,
        id_property: str | None = None,
        system: bool = False,
    ) -> CrmObject:
        """Update one record's properties (an empty string clears one)."""
        with self.lock:
            obj = self.get(otype, object_id, id_property=id_property)
            self.commit_update(obj, self.prepare_update(obj, properties, system=system), source)
            return obj

    def prepare_update(
        self, obj: CrmObject, properties: object, *, system: bool = False, claimed: Claims | None = None
    ) -> Values:
        """Validate an update of ``obj`` without changing anything."""
        return self.rules.for_update(obj, properties, self.now(), system=system, claimed=claimed)

    def commit_update(self, obj: CrmObject, values: Values, source: ChangeSource) -> bool:
        """Write the values that differ, bump the last-modified date and publish; False when nothing changed."""
        changed = {name: value for name, value in values.items() if value != obj.properties.get(name)}
        if not changed:
            return False
        now = self.now()
        self.write(obj, {**changed, resolve(obj.object_type).modified_property: now}, now)
        self.publish(record_change("updated", obj.object_type, obj.id, self.now_ms(), source, changed))
        return True

    def archive(self, otype: ObjectType, object_id: str, *, source: ChangeSource) -> bool:
        """Archive a record and drop its associations (an unknown id is ignored, as HubSpot does)."""
        with self.lock:
            obj = self.lookup(otype, object_id)
            if obj is None:
                return False
            obj.archived, obj.archived_at = True, self.now()
            obj.updated_at = obj.archived_at
            self.ids.archived(obj)
            dropped = self.links.drop((otype.name, obj.id))
            self.publish(record_change("archived", otype.name, obj.id, self.now_ms(), source))
            self.sync_company_ids(touched(dropped), source)
            return True

    def write(self, obj: CrmObject, values: Values, now: str, *, touch: bool = True) -> None:
        """Store values of a record with their history (None clears), keeping the indexes current."""
        before = {name: obj.properties.get(name) for name in values}
        obj.apply(values, now, touch=touch)
        self.values.changed(obj, before)

    def remove(self, obj: CrmObject) -> None:
        """Take a record out of the portal for good (merged into another, or deleted for GDPR)."""
        del self.objects[obj.object_type][obj.id]
        self.ids.removed(obj)
        self.values.removed(obj)

    # Associations ------------------------------------------------------------------------------------------

    def associate(self, a: Node, b: Node, kinds: set[str], *, source: ChangeSource) -> None:
        """Associate two live records with some kinds."""
        with self.lock:
            self.publish_links(self.links.add(self.node(a), self.node(b), kinds), source)

    def discard_kinds(self, a: Node, b: Node, kinds: set[str], *, source: ChangeSource) -> None:
        """Remove some kinds between two records (``unlabeled`` removes them all)."""
        with self.lock:
            self.publish_links(self.links.discard(self.node(a), self.node(b), kinds), source)

    def associated(self, node: Node, to_type: str) -> list[tuple[str, frozenset[str]]]:
        """Return ``(id, kinds)`` of the records of ``to_type`` associated with ``node``."""
        with self.lock:
            return self.links.associated(self.node(node), to_type)

    def node(self, node: Node) -> Node:
        """Return the node a record id names (a merged id names the record it was merged into)."""
        return (node[0], self.merged_ids.get(node[1], node[1]))

    # Publishing --------------------------------------------------------------------------------------------

    def publish(self, change: Change) -> None:
        """Hand a committed change to the feed's listeners."""
        self.feed.publish(change)

    def publish_links(self, changes: list[PairChange], source: ChangeSource, *, publish: bool = True) -> None:
        """Publish association changes, then the ``associatedcompanyid`` changes they caused (``publish=False``:
        make those changes without publishing anything, as a seed does)."""
        for change in changes if publish else ():
            self.publish(pair_change(change, self.now_ms(), source))
        self.sync_company_ids(touched(changes), source, publish=publish)

    def sync_company_ids(self, nodes: Iterable[Node], source: ChangeSource, *, publish: bool = True) -> None:
        """Make each contact's ``associatedcompanyid`` follow its primary company, publishing what changed."""
        for node in sorted({n for n in nodes if n[0] == "contacts"}):
            record = self.objects["contacts"].get(node[1])
            if record is None or record.archived:
                continue
            primary = self.links.primary_company(node)
            if primary != record.properties.get("associatedcompanyid"):
                changed = {"associatedcompanyid": primary}
                self.write(record, changed, self.now(), touch=False)
                if publish:
                    self.publish(record_change("updated", "contacts", record.id, self.now_ms(), source, changed))

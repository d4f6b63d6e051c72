"""The twin's state: records, property schema and associations, behind one re-entrant lock.

Every public method takes the lock, so the threaded server and the Python API can share one store. Writes go
through ``normalize_writes`` (HubSpot's value rules) and the association rules of ``Links``; batch operations
(``batches.py``) use ``prepare_*``/``commit_*`` under the lock to check a whole batch before changing anything.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from hubspot_twin.association_input import inline_links
from hubspot_twin.catalog import CONTACTS, OBJECT_TYPES, ObjectType, resolve
from hubspot_twin.errors import HubSpotError, Issue, not_found, property_values_error
from hubspot_twin.graph import Node
from hubspot_twin.links import Links
from hubspot_twin.model import CrmObject, Version
from hubspot_twin.schema import Schema
from hubspot_twin.timestamps import Clock, iso, utc_now
from hubspot_twin.values import normalize_writes

FIRST_ID = 1001
MAX_PAGE_SIZE = 100


@dataclass
class NewObject:
    """A validated create, not yet given an id."""

    otype: ObjectType
    values: dict[str, str]
    links: list[tuple[Node, str]]


class Store:
    """Records per object type, their schema and their associations."""

    def __init__(self, clock: Clock = utc_now) -> None:
        self.lock = threading.RLock()
        self._clock = clock
        self.reset()

    def reset(self) -> None:
        """Wipe every record, custom property and association: back to a fresh portal."""
        with self.lock:
            self.schema = Schema(self.now())
            self.objects: dict[str, dict[str, CrmObject]] = {t.name: {} for t in OBJECT_TYPES}
            self.links = Links(self.objects)
            self._next_id = FIRST_ID

    def now(self) -> str:
        """Return the current instant as HubSpot writes it."""
        return iso(self._clock())

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
        """Return the record an id (or a unique property value) names, or None."""
        with self.lock:
            if id_property and id_property != "hs_object_id":
                return self._find_by_value(otype, id_property, object_id, archived)
            found = self.objects[otype.name].get(object_id.lstrip("0") if object_id.isdigit() else object_id)
            return found if found is not None and found.archived == archived else None

    def page(self, otype: ObjectType, after: int, limit: int, archived: bool) -> tuple[list[CrmObject], str | None]:
        """Return up to ``limit`` records from id ``after`` on, and the cursor of the next page."""
        with self.lock:
            rows = sorted(
                (o for o in self.objects[otype.name].values() if o.archived == archived and int(o.id) >= after),
                key=lambda o: int(o.id),
            )
        size = max(1, min(limit, MAX_PAGE_SIZE))
        return rows[:size], (rows[size].id if len(rows) > size else None)

    def _find_by_value(self, otype: ObjectType, name: str, value: str, archived: bool) -> CrmObject | None:
        definition = self.schema.definitions(otype).get(name)
        if definition is None or not (definition.has_unique_value or name == "email"):
            raise HubSpotError(400, f"{name} is not a unique identifier property of {otype.name}")
        wanted = value.lower() if name == "email" else value
        for obj in self.objects[otype.name].values():
            if obj.archived == archived and obj.properties.get(name) == wanted:
                return obj
        return None

    # Creating ----------------------------------------------------------------------------------------------

    def create(
        self, otype: ObjectType, properties: object, associations: object = None, *, system: bool = False
    ) -> CrmObject:
        """Create one record (validated like HubSpot) with its inline associations."""
        with self.lock:
            return self.commit_create(self.prepare_create(otype, properties, associations, system=system))

    def prepare_create(
        self,
        otype: ObjectType,
        properties: object,
        associations: object,
        *,
        system: bool = False,
        claimed_emails: set[str] | None = None,
    ) -> NewObject:
        """Validate a create without changing anything; ``claimed_emails`` catches duplicates inside a batch."""
        written = normalize_writes(self.schema.definitions(otype), properties, {}, system=system)
        values = {name: value for name, value in written.items() if value is not None}
        _fill_required(otype, values)
        if otype is CONTACTS:
            self._check_email_free(values.get("email"), None, claimed_emails)
        links = inline_links(otype, associations, lambda t, i: self.lookup(t, i) is not None)
        return NewObject(otype, values, links)

    def commit_create(self, new: NewObject) -> CrmObject:
        """Store a validated create under the next id and make its associations."""
        now = self.now()
        object_id = str(self._next_id)
        self._next_id += 1
        obj = CrmObject(object_id, new.otype.name, now, now)
        system = {new.otype.modified_property: now, "hs_object_id": object_id}
        self._write(obj, {new.otype.created_property: now, **new.values, **system}, now)
        self.objects[new.otype.name][object_id] = obj
        for target, kind in new.links:
            self.links.add((new.otype.name, object_id), target, {kind})
        return obj

    # Updating and archiving --------------------------------------------------------------------------------

    def update(
        self,
        otype: ObjectType,
        object_id: str,
        properties: object,
        *,
        id_property: str | None = None,
        system: bool = False,
    ) -> CrmObject:
        """Update one record's properties (an empty string clears one)."""
        with self.lock:
            obj = self.get(otype, object_id, id_property=id_property)
            self.commit_update(obj, self.prepare_update(obj, properties, system=system))
            return obj

    def prepare_update(
        self, obj: CrmObject, properties: object, *, system: bool = False, claimed_emails: set[str] | None = None
    ) -> dict[str, str | None]:
        """Validate an update of ``obj`` without changing anything."""
        otype = resolve(obj.object_type)
        values = normalize_writes(self.schema.definitions(otype), properties, obj.properties, system=system)
        if otype is CONTACTS and values.get("email"):
            self._check_email_free(values["email"], obj.id, claimed_emails)
        return values

    def commit_update(self, obj: CrmObject, values: dict[str, str | None]) -> None:
        """Write validated values and bump the last-modified date."""
        now = self.now()
        self._write(obj, {**values, resolve(obj.object_type).modified_property: now}, now)

    def archive(self, otype: ObjectType, object_id: str) -> None:
        """Archive a record and drop its associations (an unknown id is ignored, as HubSpot does)."""
        with self.lock:
            obj = self.lookup(otype, object_id)
            if obj is None:
                return
            obj.archived, obj.archived_at = True, self.now()
            obj.updated_at = obj.archived_at
            self.links.drop((otype.name, obj.id))

    # Associations ------------------------------------------------------------------------------------------

    def associate(self, a: Node, b: Node, kinds: set[str]) -> None:
        """Associate two live records with some kinds."""
        with self.lock:
            self.links.add(a, b, kinds)

    def discard_kinds(self, a: Node, b: Node, kinds: set[str]) -> None:
        """Remove some kinds between two records (``unlabeled`` removes them all)."""
        with self.lock:
            self.links.discard(a, b, kinds)

    def associated(self, node: Node, to_type: str) -> list[tuple[str, frozenset[str]]]:
        """Return ``(id, kinds)`` of the records of ``to_type`` associated with ``node``."""
        with self.lock:
            return self.links.associated(node, to_type)

    # Helpers -----------------------------------------------------------------------------------------------

    def _write(self, obj: CrmObject, values: dict[str, str | None], now: str) -> None:
        for name, value in values.items():
            if value == obj.properties.get(name) or (value is None and name not in obj.properties):
                continue
            obj.history.setdefault(name, []).insert(0, Version(value or "", now))
            if value is None:
                obj.properties.pop(name, None)
            else:
                obj.properties[name] = value
        obj.updated_at = now

    def _check_email_free(self, email: str | None, own_id: str | None, claimed: set[str] | None) -> None:
        if not email:
            return
        for other in self.objects["contacts"].values():
            if not other.archived and other.id != own_id and other.properties.get("email") == email:
                raise HubSpotError(
                    409,
                    f"Contact already exists. Existing ID: {other.id}",
                    "CONFLICT",
                    errors=[
                        {
                            "message": f"A contact with email {email} already exists. Existing ID: {other.id}",
                            "in": "email",
                        }
                    ],
                )
        if claimed is not None:
            if email in claimed:
                raise HubSpotError(400, f"Duplicate email found in batch input: {email}")
            claimed.add(email)


def _fill_required(otype: ObjectType, values: dict[str, str]) -> None:
    """Apply HubSpot's create-time requirements (a meeting's hs_timestamp defaults to its start time)."""
    if otype.name == "meetings" and "hs_timestamp" not in values and "hs_meeting_start_time" in values:
        values["hs_timestamp"] = values["hs_meeting_start_time"]
    missing = [name for name in otype.required_on_create if name not in values]
    if missing:
        raise property_values_error(
            [Issue(name, "", "REQUIRED_PROPERTY", f'Property "{name}" is required') for name in missing]
        )

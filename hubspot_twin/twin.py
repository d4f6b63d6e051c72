"""``Twin``: one in-memory HubSpot portal, its HTTP app, and a Python API to seed and inspect it; ``run`` serves
one in the foreground (``leadflow twin``).

The Python API validates exactly like the HTTP API and raises ``HubSpotError`` where HubSpot would answer an
error; ``system=True`` writes as HubSpot's own processes do, so calculated (read-only) properties such as
``hs_analytics_num_page_views`` can be seeded. Every write publishes its ``Change`` to ``feed`` attributed to
``source`` (default ``CRM_UI``: a user in HubSpot's UI); API requests are attributed to the app owning the token.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from flask import Flask

from hubspot_twin.catalog import CONTACTS, DEALS, LEADS, ObjectType, resolve
from hubspot_twin.catalog.association_types import PRIMARY, UNLABELED, types_between
from hubspot_twin.crm import merges, seeding
from hubspot_twin.crm.changes import CRM_UI, ChangeFeed, ChangeSource
from hubspot_twin.crm.lists import CONTACTS_TYPE_ID
from hubspot_twin.crm.pipelines import Pipelines, StageSpec
from hubspot_twin.crm.store import Store
from hubspot_twin.crm.timestamps import Clock, utc_now
from hubspot_twin.errors import HubSpotError, not_found
from hubspot_twin.http.api.plumbing import TwinContext
from hubspot_twin.http.api.serialize import owner_json, pipeline_json
from hubspot_twin.http.app import create_app
from hubspot_twin.http.counters import RequestCounter
from hubspot_twin.http.guard import GuardConfig, TwinGuard
from hubspot_twin.http.server import TwinServer
from hubspot_twin.webhooks.dispatch import DispatchOptions, WebhookDispatcher
from hubspot_twin.webhooks.subscriptions import WebhookSettings

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication


class Twin:
    """A stateful stand-in for the HubSpot CRM API; thread-safe."""

    def __init__(
        self,
        access_tokens: Iterable[str] | None = None,
        *,
        apps: Mapping[str, str] | None = None,
        clock: Clock = utc_now,
        limits: GuardConfig | None = None,
        leads: bool = True,
    ) -> None:
        self.store = Store(clock, leads=leads)
        self.counter = RequestCounter()
        tokens = frozenset(access_tokens) if access_tokens is not None else None
        self.context = TwinContext(self.store, self.counter, tokens, dict(apps or {}))
        self.app: Flask = create_app(self.context)
        self.guard: TwinGuard | None = TwinGuard(self.app, limits) if limits is not None else None

    @property
    def wsgi(self) -> WSGIApplication:
        """Return the app as served: behind the rate limits and fault injection when they are configured."""
        return self.guard if self.guard is not None else self.app

    def start_webhooks(self, settings: WebhookSettings, options: DispatchOptions | None = None) -> WebhookDispatcher:
        """Deliver HubSpot's webhooks for every later change to `settings.target_url`; stop the dispatcher when done."""
        return WebhookDispatcher(self.feed, settings, options).start()

    @property
    def feed(self) -> ChangeFeed:
        """Return the change feed: every committed change, whoever made it (subscribe a listener to it)."""
        return self.store.feed

    def serve(self, host: str = "127.0.0.1", port: int = 0) -> TwinServer:
        """Serve over HTTP in a background thread (port 0: any free port); stop it or use it as a context manager."""
        return TwinServer(self.wsgi, host, port).start()

    @property
    def has_leads(self) -> bool:
        """Return whether the portal has the Leads object (``Twin(leads=False)``: it has not)."""
        return self.store.leads

    def _type(self, name: str) -> ObjectType:
        """Return the object type a name names, or raise HubSpot's error (a 403 for Leads in a portal without)."""
        return self.store.require_served(resolve(name))

    # Records -----------------------------------------------------------------------------------------------

    def create_object(
        self,
        object_type: str,
        properties: Mapping[str, Any],
        *,
        associations: Iterable[dict[str, Any]] | None = None,
        system: bool = False,
        source: ChangeSource = CRM_UI,
    ) -> str:
        """Create a record as ``POST /crm/v3/objects/{type}`` would; return its id."""
        inline = list(associations) if associations is not None else None
        return self.store.create(self._type(object_type), dict(properties), inline, system=system, source=source).id

    def bulk_create(
        self,
        object_type: str,
        properties_list: Iterable[Mapping[str, Any]],
        *,
        system: bool = False,
        publish: bool = False,
        source: ChangeSource = CRM_UI,
    ) -> list[str]:
        """Create many records at once, each validated like ``create_object``; return their ids in input order.

        For seeding large portals: every record is checked before any is stored (a duplicate unique value within
        the list is refused too), each costs the same in a portal of any size, and nothing is published to the
        feed unless ``publish`` (a seed is a portal that existed before any webhook subscription).
        """
        otype = self._type(object_type)
        created = seeding.create_records(
            self.store, otype, properties_list, system=system, publish=publish, source=source
        )
        return [obj.id for obj in created]

    def bulk_associate_primary(
        self,
        pairs: Iterable[tuple[str, str]],
        *,
        from_type: str = "contacts",
        publish: bool = False,
        source: ChangeSource = CRM_UI,
    ) -> None:
        """Make each ``(record id, company id)``'s company the primary company of its contact (or deal, with
        ``from_type``), demoting any other and keeping ``associatedcompanyid`` right; every pair is checked first.

        Like ``bulk_create``, nothing is published unless ``publish``.
        """
        otype = self._type(from_type)
        seeding.associate_primary_companies(self.store, otype, list(pairs), publish=publish, source=source)

    def update_object(
        self,
        object_type: str,
        object_id: str,
        properties: Mapping[str, Any],
        *,
        system: bool = False,
        source: ChangeSource = CRM_UI,
    ) -> None:
        """Update a record as ``PATCH /crm/v3/objects/{type}/{id}`` would (an empty string clears a value)."""
        self.store.update(self._type(object_type), str(object_id), dict(properties), system=system, source=source)

    def get_object(self, object_type: str, object_id: str) -> dict[str, str]:
        """Return every stored property of a live record (a merged id reads its primary), or raise a 404."""
        with self.store.lock:
            return dict(self.store.get(self._type(object_type), str(object_id)).properties)

    def history(self, object_type: str, object_id: str, name: str) -> list[tuple[str, str]]:
        """Return (timestamp, value) of every value a property held, oldest first."""
        with self.store.lock:
            versions = self.store.get(self._type(object_type), str(object_id)).history.get(name, [])
            return [(version.timestamp, version.value) for version in reversed(versions)]

    def live_objects(self, object_type: str) -> list[tuple[str, str, dict[str, str]]]:
        """Return (id, created at, properties) of every live record of a type, oldest first."""
        with self.store.lock:
            type_name = self._type(object_type).name
            records = self.store.objects[type_name]
            live = [records[str(i)] for i in self.store.ids.of(type_name, archived=False)]
            return [(o.id, o.created_at, dict(o.properties)) for o in live]

    def archive_object(self, object_type: str, object_id: str, *, source: ChangeSource = CRM_UI) -> None:
        """Archive a record and drop its associations."""
        self.store.archive(self._type(object_type), str(object_id), source=source)

    def merge_contacts(self, primary_id: str, merged_id: str, *, source: ChangeSource = CRM_UI) -> None:
        """Merge a contact into another as ``POST /crm/v3/objects/contacts/merge`` would."""
        merges.merge(self.store, CONTACTS, str(primary_id), str(merged_id), source=source)

    def gdpr_delete_contact(self, contact_id: str, *, source: ChangeSource = CRM_UI) -> None:
        """Delete a contact permanently as ``POST /crm/v3/objects/contacts/gdpr-delete`` would."""
        merges.gdpr_delete(self.store, str(contact_id), id_property=None, source=source)

    # Associations ------------------------------------------------------------------------------------------

    def associate(
        self,
        from_type: str,
        from_id: str,
        to_type: str,
        to_id: str,
        *,
        primary: bool = False,
        source: ChangeSource = CRM_UI,
    ) -> None:
        """Associate two records (``primary=True``: the contact's or deal's primary company, demoting any other)."""
        origin, target = self._type(from_type), self._type(to_type)
        kinds = {UNLABELED, PRIMARY} if primary else {UNLABELED}
        if not {t.kind for t in types_between(origin.name, target.name)} >= kinds:
            raise HubSpotError(400, f"No such association between {origin.singular} and {target.singular}")
        self.store.associate((origin.name, str(from_id)), (target.name, str(to_id)), kinds, source=source)

    def dissociate(
        self, from_type: str, from_id: str, to_type: str, to_id: str, *, source: ChangeSource = CRM_UI
    ) -> None:
        """Remove every association between two records."""
        origin, target = self._type(from_type), self._type(to_type)
        self.store.discard_kinds((origin.name, str(from_id)), (target.name, str(to_id)), {UNLABELED}, source=source)

    def associated_ids(self, from_type: str, from_id: str, to_type: str) -> list[str]:
        """Return the ids of the ``to_type`` records associated with a record."""
        origin, target = self._type(from_type), self._type(to_type)
        return [other for other, _ in self.store.associated((origin.name, str(from_id)), target.name)]

    def primary_company_id(self, contact_id: str) -> str | None:
        """Return the id of a contact's primary company, if it has one."""
        found = self.store.associated(("contacts", str(contact_id)), "companies")
        return next((other for other, kinds in found if PRIMARY in kinds), None)

    # Properties --------------------------------------------------------------------------------------------

    def create_property(self, object_type: str, definition: Mapping[str, Any]) -> None:
        """Create a custom property from a ``PropertyCreate`` body, as ``POST /crm/v3/properties/{type}`` would."""
        with self.store.lock:
            self.store.schema.create_property(self._type(object_type), dict(definition), self.store.now())

    # Owners and pipelines ----------------------------------------------------------------------------------

    def create_owner(
        self,
        email: str,
        first_name: str = "",
        last_name: str = "",
        *,
        teams: Iterable[str] = (),
        archived: bool = False,
    ) -> str:
        """Add an owner (the first of ``teams`` is its primary team); return its id (``hubspot_owner_id``)."""
        with self.store.lock:
            return self.store.owners.create(email, first_name, last_name, list(teams), archived, self.store.now()).id

    def archive_owner(self, owner_id: str) -> None:
        """Deactivate an owner: it loses its ``userId`` and can no longer own records."""
        with self.store.lock:
            if self.store.owners.archive(str(owner_id), self.store.now()) is None:
                raise not_found(f"Owner {owner_id} not found")

    def owners(self, *, archived: bool = False) -> list[dict[str, Any]]:
        """Return the active (or archived) owners as ``GET /crm/v3/owners`` lists them."""
        with self.store.lock:
            return [owner_json(owner) for owner in self.store.owners.listed(archived=archived)]

    def grant_scopes(self, token: str, scopes: Iterable[str]) -> None:
        """Let `token` hold exactly these scopes, as token introspection reports them (default: every scope)."""
        self.context.scopes[token] = frozenset(scopes)

    def create_pipeline(
        self, label: str, stages: Iterable[StageSpec], *, pipeline_id: str | None = None, object_type: str = "deals"
    ) -> str:
        """Add a deal (or, with ``object_type="leads"``, a lead) pipeline with its stages (``StageSpec``: label,
        probability — None for a lead stage —, closed, id); return its id."""
        with self.store.lock:
            otype = self._type(object_type)
            pipelines = self._pipelines_of(otype)
            pipeline = pipelines.create(label, stages, self.store.now(), pipeline_id=pipeline_id)
            self.store.schema.sync_pipeline_options(pipelines.all(), self.store.now(), object_type=otype.name)
            return pipeline.id

    def pipelines(self, object_type: str = "deals") -> list[dict[str, Any]]:
        """Return the deal (or lead) pipelines as ``GET /crm/v3/pipelines/{deals|leads}`` lists them."""
        with self.store.lock:
            return [pipeline_json(pipeline) for pipeline in self._pipelines_of(self._type(object_type)).all()]

    def _pipelines_of(self, otype: ObjectType) -> Pipelines:
        if otype is LEADS:
            return self.store.lead_pipelines
        if otype is DEALS:
            return self.store.pipelines
        raise HubSpotError(400, f"Object type {otype.name} has no pipelines in the twin (deals and leads)")

    # Lists and sequences -----------------------------------------------------------------------------------

    def create_list(self, name: str, processing_type: str = "MANUAL") -> str:
        """Add a list of contacts (``MANUAL``, ``SNAPSHOT`` or ``DYNAMIC``), as the marketer would; return its id."""
        with self.store.lock:
            return self.store.lists.create(name, CONTACTS_TYPE_ID, processing_type, self.store.now()).list_id

    def list_members(self, list_id: str) -> list[str]:
        """Return the record ids of a list's members, in the order they joined."""
        with self.store.lock:
            return list(self.store.lists.get(str(list_id)).members)

    def create_sequence(self, name: str) -> str:
        """Add a sales sequence, as a rep would build one; return its id."""
        with self.store.lock:
            return self.store.sequences.create(name).id

    def enrollment(self, contact_id: str) -> dict[str, str] | None:
        """Return a contact's sequence enrollment (``sequenceId``, ``enrolledBy``, ``enrolledByEmail``, …), or None."""
        with self.store.lock:
            try:
                found = self.store.sequences.of_contact(str(contact_id))
            except HubSpotError:
                return None
            return {"id": found.id, "sequenceId": found.sequence.id, "enrolledBy": found.user_id,
                    "enrolledByEmail": found.sender_email, "toEmail": found.to_email}  # fmt: skip

    # Requests and state ------------------------------------------------------------------------------------

    def request_counts(self) -> dict[str, int]:
        """Return the number of HubSpot API requests served per endpoint key."""
        return self.counter.counts()

    def total_requests(self) -> int:
        """Return the number of HubSpot API requests served."""
        return self.counter.total()

    def reset_request_counts(self) -> None:
        """Forget the request counts."""
        self.counter.reset()

    def reset(self) -> None:
        """Wipe every record, association, custom property, owner and custom pipeline (counts and the feed's
        listeners are kept)."""
        self.store.reset()


def run(
    port: int = 8765, host: str = "127.0.0.1", tokens: Iterable[str] | None = None, twin: Twin | None = None
) -> None:
    """Serve a twin (a fresh one unless given) in the foreground until interrupted (``leadflow twin``)."""
    twin = twin or Twin(access_tokens=tokens)
    server = TwinServer(twin.wsgi, host, port)
    print(f"HubSpot twin serving on {server.url}", flush=True)
    server.serve_forever()

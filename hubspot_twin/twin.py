"""``Twin``: one in-memory HubSpot portal, its HTTP app, and a Python API to seed and inspect it.

The Python API validates exactly like the HTTP API and raises ``HubSpotError`` where HubSpot would answer an
error; ``system=True`` writes as HubSpot's own processes do, so calculated (read-only) properties such as
``hs_analytics_num_page_views`` can be seeded.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from flask import Flask

from hubspot_twin.api.http import TwinContext
from hubspot_twin.app import create_app
from hubspot_twin.catalog import resolve
from hubspot_twin.catalog.association_types import PRIMARY, UNLABELED, types_between
from hubspot_twin.counters import RequestCounter
from hubspot_twin.errors import HubSpotError
from hubspot_twin.server import TwinServer
from hubspot_twin.store import Store
from hubspot_twin.timestamps import Clock, utc_now


class Twin:
    """A stateful stand-in for the HubSpot CRM API; thread-safe."""

    def __init__(self, access_tokens: Iterable[str] | None = None, *, clock: Clock = utc_now) -> None:
        self.store = Store(clock)
        self.counter = RequestCounter()
        tokens = frozenset(access_tokens) if access_tokens is not None else None
        self.app: Flask = create_app(TwinContext(self.store, self.counter, tokens))

    def serve(self, host: str = "127.0.0.1", port: int = 0) -> TwinServer:
        """Serve over HTTP in a background thread (port 0: any free port); stop it or use it as a context manager."""
        return TwinServer(self.app, host, port).start()

    def create_object(
        self,
        object_type: str,
        properties: Mapping[str, Any],
        *,
        associations: Iterable[dict[str, Any]] | None = None,
        system: bool = False,
    ) -> str:
        """Create a record as ``POST /crm/v3/objects/{type}`` would; return its id."""
        inline = list(associations) if associations is not None else None
        return self.store.create(resolve(object_type), dict(properties), inline, system=system).id

    def update_object(
        self, object_type: str, object_id: str, properties: Mapping[str, Any], *, system: bool = False
    ) -> None:
        """Update a record as ``PATCH /crm/v3/objects/{type}/{id}`` would (an empty string clears a value)."""
        self.store.update(resolve(object_type), str(object_id), dict(properties), system=system)

    def get_object(self, object_type: str, object_id: str) -> dict[str, str]:
        """Return every stored property of a live record, or raise ``HubSpotError`` (404)."""
        with self.store.lock:
            return dict(self.store.get(resolve(object_type), str(object_id)).properties)

    def archive_object(self, object_type: str, object_id: str) -> None:
        """Archive a record and drop its associations."""
        self.store.archive(resolve(object_type), str(object_id))

    def associate(self, from_type: str, from_id: str, to_type: str, to_id: str, *, primary: bool = False) -> None:
        """Associate two records (``primary=True``: the contact's primary company, demoting any other)."""
        source, target = resolve(from_type), resolve(to_type)
        kinds = {UNLABELED, PRIMARY} if primary else {UNLABELED}
        if not {t.kind for t in types_between(source.name, target.name)} >= kinds:
            raise HubSpotError(400, f"No such association between {source.singular} and {target.singular}")
        self.store.associate((source.name, str(from_id)), (target.name, str(to_id)), kinds)

    def associated_ids(self, from_type: str, from_id: str, to_type: str) -> list[str]:
        """Return the ids of the ``to_type`` records associated with a record."""
        source, target = resolve(from_type), resolve(to_type)
        return [other for other, _ in self.store.associated((source.name, str(from_id)), target.name)]

    def primary_company_id(self, contact_id: str) -> str | None:
        """Return the id of a contact's primary company, if it has one."""
        found = self.store.associated(("contacts", str(contact_id)), "companies")
        return next((other for other, kinds in found if PRIMARY in kinds), None)

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
        """Wipe every record, association and custom property (request counts are kept)."""
        self.store.reset()

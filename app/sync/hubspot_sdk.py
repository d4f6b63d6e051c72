"""The HubSpot gateway on the official `hubspot-api-client`: batch calls, a timeout on each, retries.

The SDK's API objects are built once, when the gateway is created (in the worker, after it forks): each
attribute access on `HubSpot().crm…` builds a new API client and connection pool.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, TypeVar

from hubspot import HubSpot
from hubspot.crm.associations.v4 import (
    BatchInputPublicFetchAssociationsBatchRequest,
    PublicFetchAssociationsBatchRequest,
)
from hubspot.crm.objects import (
    BatchInputSimplePublicObjectBatchInput,
    BatchReadInputSimplePublicObjectId,
    SimplePublicObjectBatchInput,
    SimplePublicObjectId,
)
from hubspot.crm.properties import OptionInput, PropertyCreate, PropertyGroupCreate, PropertyUpdate

from app.rules.properties import PropertyInfo, PropertyOption
from app.sync.errors import PermanentHubSpotError
from app.sync.gateway import API_OBJECT_TYPES, Properties
from app.sync.retry import RetryPolicy, call_hubspot

T = TypeVar("T")
BATCH_LIMIT = 100  # HubSpot's CRM batch endpoints take at most 100 records
ASSOCIATION_BATCH_LIMIT = 1000  # v4 association batch reads take up to 1,000 ids
FINAL_CATEGORIES = frozenset({"OBJECT_NOT_FOUND", "VALIDATION_ERROR", "INVALID_OPTION", "PROPERTY_DOESNT_EXIST"})


class SdkGateway:
    """`HubSpotGateway` over HubSpot's HTTP API (or the twin's, via `api_base`)."""

    def __init__(
        self,
        access_token: str,
        api_base: str,
        timeout: tuple[float, float],
        policy: RetryPolicy | None = None,
    ) -> None:
        client = HubSpot(access_token=access_token, host=api_base)
        self._objects = client.crm.objects.batch_api
        self._pages = client.crm.objects.basic_api
        self._associations = client.crm.associations.v4.batch_api
        self._properties = client.crm.properties.core_api
        self._groups = client.crm.properties.groups_api
        self._timeout = timeout
        self._policy = policy or RetryPolicy()

    def _call(self, operation: str, request: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return call_hubspot(operation, lambda: request(*args, _request_timeout=self._timeout, **kwargs), self._policy)

    def read_objects(self, object_type: str, ids: Sequence[str], properties: Sequence[str]) -> dict[str, Properties]:
        """Return the properties of the objects HubSpot has, by id, in batches of 100."""
        api_type = API_OBJECT_TYPES[object_type]
        found: dict[str, Properties] = {}
        for chunk in _chunks(list(dict.fromkeys(ids)), BATCH_LIMIT):
            body = BatchReadInputSimplePublicObjectId(
                inputs=[SimplePublicObjectId(id=i) for i in chunk],
                properties=list(properties),
                properties_with_history=[],
            )
            response = self._call(f"batch-read {api_type}", self._objects.read, api_type, body)
            found.update({obj.id: dict(obj.properties or {}) for obj in response.results or []})
        return found

    def read_associations(self, from_type: str, to_type: str, ids: Sequence[str]) -> dict[str, list[tuple[str, int]]]:
        """Return each object's associated `to_type` ids with their type ids, following every page."""
        from_api, to_api = API_OBJECT_TYPES[from_type], API_OBJECT_TYPES[to_type]
        found: dict[str, list[tuple[str, int]]] = {i: [] for i in ids}
        todo: list[tuple[str, str | None]] = [(i, None) for i in dict.fromkeys(ids)]
        while todo:
            chunk, todo = todo[:ASSOCIATION_BATCH_LIMIT], todo[ASSOCIATION_BATCH_LIMIT:]
            inputs = [PublicFetchAssociationsBatchRequest(id=i, after=after) for i, after in chunk]
            body = BatchInputPublicFetchAssociationsBatchRequest(inputs=inputs)
            response = self._call(
                f"read associations {from_api}→{to_api}", self._associations.get_page, from_api, to_api, body
            )
            for result in response.results or []:
                source = str(result._from.id)
                found.setdefault(source, []).extend(
                    (str(to.to_object_id), int(kind.type_id))
                    for to in result.to or []
                    for kind in to.association_types or []
                )
                after = result.paging.next.after if result.paging and result.paging.next else None
                if after:
                    todo.append((source, after))
        return found

    def update_objects(self, object_type: str, updates: Mapping[str, Mapping[str, str | None]]) -> dict[str, str]:
        """Write the properties in batches of 100, retrying only the records a 207 reports as failed."""
        refused: dict[str, str] = {}
        for chunk in _chunks(list(updates), BATCH_LIMIT):
            refused.update(self._update_chunk(API_OBJECT_TYPES[object_type], {i: updates[i] for i in chunk}))
        return refused

    def _update_chunk(self, api_type: str, updates: Mapping[str, Mapping[str, str | None]]) -> dict[str, str]:
        pending, refused = dict(updates), {}
        for attempt in range(1, self._policy.attempts + 1):
            inputs = [SimplePublicObjectBatchInput(id=i, properties=props) for i, props in pending.items()]
            body = BatchInputSimplePublicObjectBatchInput(inputs=inputs)
            response = self._call(f"batch-update {api_type}", self._objects.update, api_type, body)
            written = {obj.id for obj in response.results or []}
            failures = _record_failures(response, set(pending) - written)
            refused.update({i: reason for i, (reason, final) in failures.items() if final})
            pending = {i: pending[i] for i, (_, final) in failures.items() if not final}
            if not pending:
                return refused
            time.sleep(min(self._policy.max_backoff, self._policy.initial_backoff * 2**attempt))
        refused.update(
            {i: f"batch-update {api_type}: still failing after {self._policy.attempts} tries" for i in pending}
        )
        return refused

    def list_ids(self, object_type: str, after: str | None) -> tuple[list[str], str | None]:
        """Return one page of up to 100 object ids and the next page's cursor."""
        api_type = API_OBJECT_TYPES[object_type]
        kwargs: dict[str, Any] = {"limit": BATCH_LIMIT, "archived": False, "properties": ["hs_object_id"]}
        if after:
            kwargs["after"] = after
        page = self._call(f"list {api_type}", self._pages.get_page, api_type, **kwargs)
        cursor = page.paging.next.after if page.paging and page.paging.next else None
        return [obj.id for obj in page.results or []], cursor

    def properties(self, object_type: str) -> list[PropertyInfo]:
        """Return every property definition of the object type."""
        api_type = API_OBJECT_TYPES[object_type]
        response = self._call(f"read {api_type} properties", self._properties.get_all, api_type, archived=False)
        return [_property_info(p) for p in response.results or []]

    def create_property(self, object_type: str, definition: PropertyInfo) -> None:
        body = PropertyCreate(
            name=definition.name,
            label=definition.label,
            type=definition.type,
            field_type=definition.field_type,
            group_name=definition.group_name,
            description=definition.description,
            options=[_option_input(option) for option in definition.options],
        )
        self._call(f"create property {definition.name}", self._properties.create, API_OBJECT_TYPES[object_type], body)

    def update_property_options(self, object_type: str, name: str, options: Sequence[PropertyOption]) -> None:
        body = PropertyUpdate(options=[_option_input(option) for option in options])
        self._call(f"update property {name}", self._properties.update, API_OBJECT_TYPES[object_type], name, body)

    def property_group_exists(self, object_type: str, name: str) -> bool:
        try:
            self._call(f"read property group {name}", self._groups.get_by_name, API_OBJECT_TYPES[object_type], name)
        except PermanentHubSpotError as exc:
            if exc.status == 404:
                return False
            raise
        return True

    def create_property_group(self, object_type: str, name: str, label: str) -> None:
        body = PropertyGroupCreate(name=name, label=label)
        self._call(f"create property group {name}", self._groups.create, API_OBJECT_TYPES[object_type], body)


def _chunks(items: list[T], size: int) -> Iterator[list[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _record_failures(response: Any, unwritten: set[str]) -> dict[str, tuple[str, bool]]:
    """Map each record a 207 left unwritten to (reason, whether retrying cannot help)."""
    failures: dict[str, tuple[str, bool]] = {}
    for error in getattr(response, "errors", None) or []:
        reason = f"{error.category}: {error.message}"
        for record_id in (error.context or {}).get("ids", []):
            if record_id in unwritten:
                failures[record_id] = (reason, error.category in FINAL_CATEGORIES)
    for record_id in unwritten - failures.keys():
        failures[record_id] = ("HubSpot did not write the record and gave no reason", False)
    return failures


def _option_input(option: PropertyOption) -> OptionInput:
    return OptionInput(
        label=option.label,
        value=option.value,
        display_order=option.display_order,
        hidden=option.hidden,
        description=option.description,
    )


def _property_info(prop: Any) -> PropertyInfo:
    options = tuple(
        PropertyOption(o.value, o.label, o.display_order or 0, bool(o.hidden), o.description or "")
        for o in prop.options or []
    )
    return PropertyInfo(
        name=prop.name,
        label=prop.label or prop.name,
        type=prop.type,
        field_type=prop.field_type,
        group_name=prop.group_name or "",
        description=prop.description or "",
        options=options,
    )

"""The HubSpot gateway on the official `hubspot-api-client`: batch calls, a timeout on each, retries.

The SDK's API objects are built once, when the gateway is created (in the worker, after it forks): each
attribute access on `HubSpot().crm…` builds a new API client and connection pool. Batch writes that HubSpot
may answer in part (update, upsert, association create) settle through `hubspot_writes`; owners are converted
in `hubspot_owners`.

Every HTTP attempt (each retry included) first takes a slot of the shared `HubSpotBudget` (searches from the
search window, by their operation name), then reports its answer's rate-limit headers back to the budget and
`(operation, status or None when no answer came, seconds)` to the observer. A daily-limit 429 pauses the budget
for the day and raises `DailyLimitReached`, which is never retried.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from functools import partial
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from hubspot import HubSpot
from hubspot.crm.associations.v4 import (
    BatchInputPublicAssociationMultiPost,
    BatchInputPublicFetchAssociationsBatchRequest,
    PublicFetchAssociationsBatchRequest,
)
from hubspot.crm.objects import (
    BatchInputSimplePublicObjectBatchInput,
    BatchInputSimplePublicObjectBatchInputForCreate,
    BatchInputSimplePublicObjectBatchInputUpsert,
    BatchReadInputSimplePublicObjectId,
    PublicObjectSearchRequest,
    SimplePublicObjectBatchInput,
    SimplePublicObjectId,
)
from hubspot.crm.properties import OptionInput, PropertyCreate, PropertyGroupCreate, PropertyUpdate
from urllib3.util.retry import Retry

from app.rules.handover.leads import LeadPipeline, PipelineStage
from app.rules.handover.types import Owner
from app.rules.properties import PropertyInfo, PropertyOption
from app.rules.scoring.recall import PropertyVersion
from app.rules.values import as_utc
from app.sync.hubspot.errors import DailyLimitReached, HubSpotError, PermanentHubSpotError, RateLimited, classify
from app.sync.hubspot.gateway import (
    API_OBJECT_TYPES,
    HISTORY_BATCH_LIMIT,
    DealPipeline,
    Enrollment,
    History,
    NewRecord,
    Properties,
    Upserted,
)
from app.sync.hubspot.owners import OWNER_PAGE_LIMIT, next_cursor, owner_of
from app.sync.hubspot.ratelimit import HubSpotBudget, Kind, resume_time
from app.sync.hubspot.retry import RetryPolicy, call_hubspot
from app.sync.hubspot.writes import (
    BATCH_LIMIT,
    BatchWrite,
    association_inputs,
    chunks,
    create_input,
    pair_keys,
    upsert_input,
    upserted_key,
    write_all,
)

logger = logging.getLogger(__name__)
T = TypeVar("T")
ASSOCIATION_BATCH_LIMIT = 1000  # v4 association batch reads take up to 1,000 ids
UTC_ZONE = ZoneInfo("UTC")
Observer = Callable[[str, int | None, float], None]  # operation, HTTP status (None: no answer), seconds


# urllib3 would retry by itself (three times by default): connection errors, and an idempotent request's 429, 503
# or 413 that carries Retry-After (a fractional one fails in its parser). Such attempts would bypass the shared
# budget, the call metrics and the retry policy, so every attempt is the gateway's own (`call_hubspot`).
CONTACT_LIST_OBJECT_TYPE = "0-1"
NO_HIDDEN_RETRIES = Retry(total=0, redirect=0, respect_retry_after_header=False, raise_on_status=False)


class SdkGateway:
    """`HubSpotGateway` over HubSpot's HTTP API (or the twin's, via `api_base`)."""

    def __init__(
        self,
        access_token: str,
        api_base: str,
        timeout: tuple[float, float],
        policy: RetryPolicy | None = None,
        budget: HubSpotBudget | None = None,
        observer: Observer | None = None,
    ) -> None:
        client = HubSpot(access_token=access_token, host=api_base, retry=NO_HIDDEN_RETRIES)
        self._objects = client.crm.objects.batch_api
        self._pages = client.crm.objects.basic_api
        self._search = client.crm.objects.search_api
        self._associations = client.crm.associations.v4.batch_api
        self._owners = client.crm.owners.owners_api
        self._properties = client.crm.properties.core_api
        self._groups = client.crm.properties.groups_api
        self._memberships = client.crm.lists.memberships_api
        self._lists = client.crm.lists.lists_api
        self._pipelines = client.crm.pipelines.pipelines_api
        self._access_token = access_token
        # The pinned SDK has no sequences client: its sequence calls go through a generated API client (the lists
        # one), which keeps the timeout, the token and the SDK's exceptions (so errors map as every other call's).
        self._generic = self._memberships.api_client
        self._timeout = timeout
        self._policy = policy or RetryPolicy()
        self._budget = budget
        self._observer = observer
        self._uncertain: dict[str, set[str]] = {}

    def _call(
        self,
        operation: str,
        request: Callable[..., tuple[T, int, Any]],
        *args: Any,
        subject: str = "",
        unanswered: Callable[[], None] | None = None,
        **kwargs: Any,
    ) -> T:
        """Send `request` (an SDK `*_with_http_info` method) with retries, each attempt within the budget.

        `operation` labels the call for the observer (a small, fixed set); errors and logs also name `subject`.
        """
        described = f"{operation} {subject}".rstrip()

        def send() -> tuple[T, int, Any]:
            return request(*args, _request_timeout=self._timeout, **kwargs)

        return call_hubspot(described, lambda: self._attempt(operation, described, send, unanswered), self._policy)

    def _attempt(
        self,
        operation: str,
        described: str,
        send: Callable[[], tuple[T, int, Any]],
        unanswered: Callable[[], None] | None = None,
    ) -> T:
        """Send one HTTP request: take a slot of the budget, then tell the budget and the observer how it went."""
        kind = request_kind(operation)
        slot = self._budget.acquire(kind) if self._budget is not None else None
        started, status = time.perf_counter(), None
        try:
            data, status, headers = send()
        except Exception as exc:
            status = answered_status(exc)
            error = self._failure(exc, described, kind)
            if error is None:
                raise
            raise error from exc
        finally:
            if slot is not None and self._budget is not None:
                self._budget.finished(slot)
            self._observe(operation, status, time.perf_counter() - started)
            if status is None and unanswered is not None:
                unanswered()  # HubSpot may still apply a request it never answered
        if self._budget is not None:
            self._budget.observe(headers)
        return data

    def _failure(self, exc: Exception, operation: str, kind: Kind) -> HubSpotError | None:
        """Return the `HubSpotError` of a failed attempt (None: not about HubSpot, raise it as it is).

        A ten-second 429 holds every process back for its `Retry-After`; a daily one pauses them all for the day.
        """
        error = classify(exc, operation)
        if isinstance(error, RateLimited) and error.daily:
            return self._daily_limit_reached(str(error))
        if self._budget is not None and isinstance(error, RateLimited):
            self._budget.hold(kind, error.retry_after)
        elif self._budget is not None and error is not None:
            self._budget.observe(getattr(exc, "headers", None))
        return error

    def _daily_limit_reached(self, message: str) -> DailyLimitReached:
        if self._budget is not None:
            return self._budget.daily_limit_reached(message)
        now = time.time()  # without a budget (tests, one-off tools): UTC midnight, nothing shared
        resume_at = resume_time(now, UTC_ZONE, grace_seconds=0.0)
        return DailyLimitReached(message, resume_at, retry_after=resume_at.timestamp() - now)

    def _observe(self, operation: str, status: int | None, seconds: float) -> None:
        if self._observer is None:
            return
        try:
            self._observer(operation, status, seconds)
        except Exception:  # metrics must never fail a HubSpot call
            logger.exception("hubspot.observer-failed", extra={"operation": operation})

    def read_objects(self, object_type: str, ids: Sequence[str], properties: Sequence[str]) -> dict[str, Properties]:
        """Return the properties of the objects HubSpot has, by id, in batches of 100."""
        api_type = API_OBJECT_TYPES[object_type]
        found: dict[str, Properties] = {}
        for chunk in chunks(list(dict.fromkeys(ids))):
            body = BatchReadInputSimplePublicObjectId(
                inputs=[SimplePublicObjectId(id=i) for i in chunk],
                properties=list(properties),
                properties_with_history=[],
            )
            response = self._call(f"batch-read {api_type}", self._objects.read_with_http_info, api_type, body)
            found.update({obj.id: dict(obj.properties or {}) for obj in response.results or []})
        return found

    def read_histories(self, object_type: str, ids: Sequence[str], properties: Sequence[str]) -> dict[str, History]:
        """Return the properties' histories of the objects HubSpot has, by id, in batches of 50."""
        api_type = API_OBJECT_TYPES[object_type]
        found: dict[str, History] = {}
        for chunk in chunks(list(dict.fromkeys(ids)), HISTORY_BATCH_LIMIT):
            body = BatchReadInputSimplePublicObjectId(
                inputs=[SimplePublicObjectId(id=i) for i in chunk],
                properties=[],
                properties_with_history=list(properties),
            )
            response = self._call(f"batch-read {api_type} history", self._objects.read_with_http_info, api_type, body)
            found.update({obj.id: _history(obj.properties_with_history or {}) for obj in response.results or []})
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
                f"read associations {from_api}→{to_api}",
                self._associations.get_page_with_http_info,
                from_api,
                to_api,
                body,
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
        api_type = API_OBJECT_TYPES[object_type]
        send = partial(self._send_updates, api_type)
        batch = BatchWrite(f"batch-update {api_type}", send, key_of_result=lambda obj: str(obj.id))
        return write_all(batch, updates, self._policy).refused

    def upsert_objects(self, object_type: str, id_property: str, records: Mapping[str, Mapping[str, str]]) -> Upserted:
        """Create or update records by a unique property, 100 per batch; a 207 resends only the unwritten ones.

        The unique value is also each input's `objectWriteTraceId`, so HubSpot refuses an invalid record alone
        (207) instead of the whole batch (400), and a retried request updates what the first one created.
        """
        api_type = API_OBJECT_TYPES[object_type]
        send = partial(self._send_upserts, api_type, id_property)
        batch = BatchWrite(f"batch-upsert {api_type}", send, key_of_result=upserted_key(id_property))
        outcome = write_all(batch, records, self._policy)
        return Upserted(outcome.written, outcome.refused)

    def create_objects(self, object_type: str, id_property: str, records: Mapping[str, NewRecord]) -> Upserted:
        """Create records with their associations, 100 per batch; the key is each input's `objectWriteTraceId`, so
        HubSpot refuses a record alone (207). A create is not repeatable by itself: the unique key makes a resent
        record fail with "already has that value" instead of creating a second one."""
        api_type = API_OBJECT_TYPES[object_type]
        send = partial(self._send_creates, api_type, id_property)
        batch = BatchWrite(f"batch-create {api_type}", send, key_of_result=upserted_key(id_property))
        outcome = write_all(batch, records, self._policy)
        return Upserted(outcome.written, outcome.refused)

    def _send_creates(self, api_type: str, id_property: str, pending: Mapping[str, NewRecord]) -> Any:
        inputs = [create_input(key, id_property, record) for key, record in pending.items()]
        body = BatchInputSimplePublicObjectBatchInputForCreate(inputs=inputs)
        return self._call(f"batch-create {api_type}", self._objects.create_with_http_info, api_type, body)

    def lead_pipelines(self) -> list[LeadPipeline]:
        """Return the lead pipelines and their stages (`GET /crm/v3/pipelines/leads`)."""
        return [
            LeadPipeline(p.id, p.label, tuple(PipelineStage(s.id, s.label) for s in stages))
            for p, stages in self._pipelines_of("leads")
        ]

    def create_associations(self, from_type: str, to_type: str, pairs: Sequence[tuple[str, str, int]]) -> None:
        """Create the associations with v4's batch create, 100 pairs per request; raise if HubSpot refuses any."""
        from_api, to_api = API_OBJECT_TYPES[from_type], API_OBJECT_TYPES[to_type]
        operation = f"associate {from_api}→{to_api}"
        send = partial(self._send_associations, from_api, to_api)
        batch = BatchWrite(operation, send, key_of_result=None, keys_of_error=pair_keys)
        refused = write_all(batch, association_inputs(pairs), self._policy).refused
        if refused:
            reasons = "; ".join(f"{pair}: {reason}" for pair, reason in sorted(refused.items()))
            raise PermanentHubSpotError(f"{operation}: HubSpot refused {len(refused)} pair(s): {reasons}")

    def _send_updates(self, api_type: str, pending: Mapping[str, Mapping[str, str | None]]) -> Any:
        inputs = [SimplePublicObjectBatchInput(id=i, properties=props) for i, props in pending.items()]
        body = BatchInputSimplePublicObjectBatchInput(inputs=inputs)
        uncertain = self._uncertain.setdefault(api_type, set())
        return self._call(
            f"batch-update {api_type}",
            self._objects.update_with_http_info,
            api_type,
            body,
            unanswered=lambda: uncertain.update(pending),
        )

    def uncertain_writes(self, object_type: str) -> set[str]:
        """Return (and forget) the records whose update went unanswered at least once since the last call.

        HubSpot may apply such a request late, after a newer write of the same record: the caller checks them
        again a little later.
        """
        return self._uncertain.pop(API_OBJECT_TYPES[object_type], set())

    def _send_upserts(self, api_type: str, id_property: str, pending: Mapping[str, Mapping[str, str]]) -> Any:
        inputs = [upsert_input(key, id_property, props) for key, props in pending.items()]
        body = BatchInputSimplePublicObjectBatchInputUpsert(inputs=inputs)
        return self._call(f"batch-upsert {api_type}", self._objects.upsert_with_http_info, api_type, body)

    def _send_associations(self, from_api: str, to_api: str, pending: Mapping[str, Any]) -> Any:
        body = BatchInputPublicAssociationMultiPost(inputs=list(pending.values()))
        return self._call(
            f"associate {from_api}→{to_api}", self._associations.create_with_http_info, from_api, to_api, body
        )

    def owners(self) -> list[Owner]:
        """Return every owner, the active ones first, then the archived ones, following every page of both."""
        found = {owner.id: owner for owner in self._owner_pages(archived=False)}
        for owner in self._owner_pages(archived=True):
            found.setdefault(owner.id, owner)
        return list(found.values())

    def _owner_pages(self, archived: bool) -> Iterator[Owner]:
        after: str | None = None
        while True:
            kwargs: dict[str, Any] = {"limit": OWNER_PAGE_LIMIT, "archived": archived}
            if after:
                kwargs["after"] = after
            page = self._call("list owners", self._owners.get_page_with_http_info, **kwargs)
            yield from (owner_of(o, active=not archived) for o in page.results or [])
            after = next_cursor(page)
            if after is None:
                return

    def list_objects(
        self, object_type: str, after: str | None, properties: Sequence[str]
    ) -> tuple[dict[str, Properties], str | None]:
        """Return one page of up to 100 objects with these properties, by id, and the next page's cursor."""
        api_type = API_OBJECT_TYPES[object_type]
        kwargs: dict[str, Any] = {"limit": BATCH_LIMIT, "archived": False, "properties": list(properties)}
        if after:
            kwargs["after"] = after
        page = self._call(f"list {api_type}", self._pages.get_page_with_http_info, api_type, **kwargs)
        return {obj.id: dict(obj.properties or {}) for obj in page.results or []}, next_cursor(page)

    def count(self, object_type: str) -> int:
        """Return how many (unarchived) objects of the type the portal has: a search's total, one request."""
        api_type = API_OBJECT_TYPES[object_type]
        body = PublicObjectSearchRequest(filter_groups=[], properties=["hs_object_id"], limit=1)
        response = self._call(f"search {api_type}", self._search.do_search_with_http_info, api_type, body)
        return int(response.total or 0)

    def properties(self, object_type: str) -> list[PropertyInfo]:
        """Return every property definition of the object type."""
        api_type = API_OBJECT_TYPES[object_type]
        response = self._call(
            f"read {api_type} properties", self._properties.get_all_with_http_info, api_type, archived=False
        )
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
            has_unique_value=definition.has_unique_value,
        )
        api_type = API_OBJECT_TYPES[object_type]
        self._call("create property", self._properties.create_with_http_info, api_type, body, subject=definition.name)

    def update_property_options(self, object_type: str, name: str, options: Sequence[PropertyOption]) -> None:
        body = PropertyUpdate(options=[_option_input(option) for option in options])
        api_type = API_OBJECT_TYPES[object_type]
        self._call("update property", self._properties.update_with_http_info, api_type, name, body, subject=name)

    def property_group_exists(self, object_type: str, name: str) -> bool:
        try:
            api_type = API_OBJECT_TYPES[object_type]
            self._call("read property group", self._groups.get_by_name_with_http_info, api_type, name, subject=name)
        except PermanentHubSpotError as exc:
            if exc.status == 404:
                return False
            raise
        return True

    def create_property_group(self, object_type: str, name: str, label: str) -> None:
        body = PropertyGroupCreate(name=name, label=label)
        api_type = API_OBJECT_TYPES[object_type]
        self._call("create property group", self._groups.create_with_http_info, api_type, body, subject=name)

    def list_processing_type(self, list_id: str) -> str | None:
        """Return the list's processing type (`GET /crm/v3/lists/{id}`), None on HubSpot's 404 or a list of other
        objects than contacts."""
        try:
            response = self._call("read list", self._lists.get_by_id_with_http_info, list_id, subject=list_id)
        except PermanentHubSpotError as exc:
            if exc.status == 404:
                return None
            raise
        found = response.list
        return str(found.processing_type) if str(found.object_type_id) == CONTACT_LIST_OBJECT_TYPE else None

    def add_list_members(self, list_id: str, record_ids: Sequence[str]) -> list[str]:
        """Add the contacts to the list in one `memberships/add` request; return the ids HubSpot lacks."""
        ids = list(dict.fromkeys(record_ids))
        if not ids:
            return []
        response = self._call("add list members", self._memberships.add_with_http_info, list_id, ids, subject=list_id)
        return [str(i) for i in response.record_ids_missing or []]

    def enroll_in_sequence(self, sequence_id: str, contact_id: str, user_id: str, sender_email: str) -> str:
        """Enroll the contact (`POST /automation/v4/sequences/enrollments?userId=`); return the enrollment id."""
        body = {"contactId": contact_id, "sequenceId": sequence_id, "senderEmail": sender_email}
        send = partial(self._generic_call, SEQUENCE_ENROLLMENTS, "POST", [("userId", user_id)], body)
        response = self._call("enroll in sequence", send, subject=contact_id)
        return str(_field(response, "id"))

    def sequence_enrollment(self, contact_id: str) -> Enrollment | None:
        """Return the contact's enrollment (`GET …/enrollments/contact/{id}`), None on HubSpot's 404."""
        send = partial(self._generic_call, f"{SEQUENCE_ENROLLMENTS}/contact/{contact_id}", "GET", [], None)
        try:
            response = self._call("read sequence enrollment", send, subject=contact_id)
        except PermanentHubSpotError as exc:
            if exc.status == 404:
                return None
            raise
        return Enrollment(str(_field(response, "id")), str(_field(response, "sequenceId")))

    def token_scopes(self) -> frozenset[str]:
        """Return the token's scopes (`POST /oauth/v2/private-apps/get/access-token-info`)."""
        send = partial(self._generic_call, TOKEN_INFO, "POST", [], {"tokenKey": self._access_token})
        scopes = _field(self._call("read token info", send), "scopes")
        return frozenset(str(scope) for scope in scopes)

    def deal_pipelines(self) -> list[DealPipeline]:
        """Return the deal pipelines and their stages (`GET /crm/v3/pipelines/deals`)."""
        return [DealPipeline(p.id, p.label, tuple(s.id for s in stages)) for p, stages in self._pipelines_of("deals")]

    def _pipelines_of(self, object_type: str) -> list[tuple[Any, list[Any]]]:
        """Return the object type's pipelines (`GET /crm/v3/pipelines/{type}`), each with its stages in order."""
        operation = f"read {object_type.removesuffix('s')} pipelines"  # the metrics' label: "read deal pipelines"
        response = self._call(operation, self._pipelines.get_all_with_http_info, object_type)
        return [(p, sorted(p.stages or [], key=lambda s: s.display_order)) for p in response.results or []]

    def _generic_call(
        self, path: str, method: str, query: list[tuple[str, str]], body: Any, _request_timeout: Any = None
    ) -> tuple[Any, int, Any]:
        """Send a JSON request through the SDK's generated client; return (the parsed JSON, status, headers)."""
        headers = {"Accept": "application/json", "Content-Type": "application/json"}
        result: tuple[Any, int, Any] = self._generic.call_api(
            path,
            method,
            {},
            query,
            headers,
            body=body,
            response_types_map={200: "object"},
            auth_settings=["oauth2"],
            _return_http_data_only=False,
            _preload_content=True,
            _request_timeout=_request_timeout,
        )
        return result


SEQUENCE_ENROLLMENTS = "/automation/v4/sequences/enrollments"
TOKEN_INFO = "/oauth/v2/private-apps/get/access-token-info"


def _field(response: Any, name: str) -> Any:
    """Return a field of a JSON object answer, or raise `PermanentHubSpotError` when HubSpot left it out."""
    if not isinstance(response, dict) or response.get(name) is None:
        raise PermanentHubSpotError(f"HubSpot's answer lacks {name!r}: {response!r}"[:500])
    return response[name]


def request_kind(operation: str) -> Kind:
    """Return the budget window of an operation: searches (`search contacts`) have their own."""
    return "search" if operation.startswith("search ") else "api"


def answered_status(exc: BaseException) -> int | None:
    """Return the HTTP status of a failed attempt's answer, or None when no answer came."""
    status = getattr(exc, "status", None)
    return status if isinstance(status, int) and hasattr(exc, "body") else None


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
        has_unique_value=bool(prop.has_unique_value),
    )


def _history(versions_by_name: Mapping[str, Any]) -> History:
    """Convert the SDK's `ValueWithTimestamp` lists (newest first, as HubSpot sends them) to property versions."""
    return {
        name: [PropertyVersion(version.value, as_utc(version.timestamp)) for version in versions or []]
        for name, versions in versions_by_name.items()
    }

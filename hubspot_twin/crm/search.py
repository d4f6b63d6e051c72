"""HubSpot's CRM search over the twin's records: filter groups, free-text ``query``, one sort, offset paging.

Pure: ``search`` reads records and property definitions and returns one page; the blueprint (``http/api/search.py``)
parses the body and serialises the page, ``search_filters.py`` holds the operators. Filter groups are ORed, the
filters of a group ANDed; archived records never match; the default order is oldest first. ``SearchSettings``
can make the index lag behind writes, as HubSpot's does. ``narrowed`` picks, from EQ filters on text properties,
the few records a search needs to look at, so that a search by email does not read every contact.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from hubspot_twin.catalog import ObjectType
from hubspot_twin.crm.search_filters import Filter, Kind, Linked, Values, compile_filter, kind_of, unknown_property
from hubspot_twin.crm.timestamps import iso
from hubspot_twin.errors import HubSpotError
from hubspot_twin.model import CrmObject, PropertyDef

Lookup = Callable[[str, str], list[CrmObject]]  # (property, value) → the records whose value casefolds alike
CONFIG_KEY = "TWIN_SEARCH"
DEFAULT_LIMIT = 10
MAX_LIMIT = 200
MAX_RESULTS = 10_000
MAX_FILTER_GROUPS = 5
MAX_FILTERS_PER_GROUP = 6
MAX_FILTERS = 18
MAX_SORTS = 1
MAX_QUERY_LENGTH = 3000
CAP_MESSAGE = "There was a problem with the request."  # HubSpot's answer to a page past the 10,000th result
# What ``query`` searches, per type (HubSpot's search guide; calls also search hs_call_body, whose preview
# hs_body_preview the twin does not compute). Properties a portal lacks are skipped.
_CONTACT_QUERY = ("firstname", "lastname", "email", "phone", "hs_additional_emails", "fax", "mobilephone",
                  "company", "hs_marketable_until_renewal")  # fmt: skip
QUERY_PROPERTIES: dict[str, tuple[str, ...]] = {
    "contacts": _CONTACT_QUERY,
    "companies": ("website", "phone", "name", "domain"),
    "deals": ("dealname", "pipeline", "dealstage", "description", "dealtype"),
    "tasks": ("hs_task_body", "hs_task_subject"),
    "meetings": ("hs_meeting_title", "hs_meeting_body"),
    "calls": ("hs_call_title", "hs_body_preview", "hs_call_body"),
    "emails": ("hs_email_subject", "hs_email_text"),
    "leads": ("hs_lead_name",),
}


@dataclass(frozen=True)
class SearchSettings:
    """How the twin's search index behaves; the app reads it from ``app.config["TWIN_SEARCH"]``.

    ``indexing_delay_seconds``: search sees each record as it was that long ago, so records created more recently
    are not found yet and recent updates are not matched yet (0, the default: every write is searchable at once).
    """

    indexing_delay_seconds: float = 0.0


@dataclass(frozen=True)
class Sort:
    property_name: str
    descending: bool = False


@dataclass(frozen=True)
class SearchRequest:
    """A parsed ``PublicObjectSearchRequest``; ``required`` holds top-level ``filters`` (ANDed with the groups)."""

    filter_groups: tuple[tuple[Filter, ...], ...] = ()
    required: tuple[Filter, ...] = ()
    sorts: tuple[Sort, ...] = ()
    query: str = ""
    properties: tuple[str, ...] | None = None
    limit: int = DEFAULT_LIMIT
    after: int = 0


@dataclass(frozen=True)
class SearchPage:
    """One page: the number of matches, the records of the page, and ``paging.next.after`` when there are more."""

    total: int
    results: list[CrmObject]
    next_after: str | None


class _Row(NamedTuple):  # a tuple: a search builds one per record of the type
    obj: CrmObject
    values: Values  # the record as the index holds it


def search(
    records: Iterable[CrmObject],
    otype: ObjectType,
    definitions: Mapping[str, PropertyDef],
    request: SearchRequest,
    *,
    now: datetime,
    settings: SearchSettings | None = None,
    linked: Linked | None = None,
) -> SearchPage:
    """Return the page of live ``otype`` records matching ``request``, or raise HubSpot's 400."""
    check_limits(request)
    check_window(request.after, request.limit)
    groups = [[compile_filter(f, definitions, otype) for f in group] for group in request.filter_groups]
    required = [compile_filter(f, definitions, otype) for f in request.required]
    sort = _sort_rule(request.sorts, definitions, otype)
    links: Linked = linked or (lambda _obj, _type: ())
    terms = request.query.casefold().split()
    searched = [name for name in QUERY_PROPERTIES.get(otype.name, ()) if name in definitions]
    hits = [
        row
        for row in _indexed(records, now, settings or SearchSettings())
        if all(test(row.obj, row.values, links) for test in required)
        and (not groups or any(all(test(row.obj, row.values, links) for test in group) for group in groups))
        and _query_matches(row.values, searched, terms)
    ]
    ordered = _ordered(hits, sort)
    end = request.after + request.limit
    return SearchPage(
        len(ordered), [row.obj for row in ordered[request.after : end]], _next_after(end, len(ordered), request.limit)
    )


def narrowed(request: SearchRequest, definitions: Mapping[str, PropertyDef], lookup: Lookup) -> list[CrmObject] | None:
    """Return records that include every match of ``request``, found through its EQ filters on text properties,
    or None when it must scan the whole type (some filter group has no such filter).

    A top-level EQ filter narrows the search to the records it names; otherwise each filter group must have one,
    and the search is narrowed to the union of theirs. Text compares case-insensitively, so ``lookup`` finds
    records by the case-folded value of a property (archived ones included: ``search`` leaves them out).
    """
    required = next((f for f in request.required if _indexable(f, definitions)), None)
    if required is not None:
        return lookup(required.property_name, required.value or "")
    if not request.filter_groups:
        return None
    found: dict[str, CrmObject] = {}
    for group in request.filter_groups:
        chosen = next((f for f in group if _indexable(f, definitions)), None)
        if chosen is None:
            return None
        found.update((obj.id, obj) for obj in lookup(chosen.property_name, chosen.value or ""))
    return list(found.values())


def _indexable(f: Filter, definitions: Mapping[str, PropertyDef]) -> bool:
    """Return whether a filter matches only records whose property casefolds to its value (EQ on text)."""
    definition = definitions.get(f.property_name)
    return f.operator == "EQ" and f.value is not None and definition is not None and kind_of(definition).folds


def check_limits(request: SearchRequest) -> None:
    """Raise a 400 for a request beyond HubSpot's documented search limits (the texts are the twin's)."""
    sizes = [len(group) for group in request.filter_groups]
    widest = max(sizes, default=0)
    problems = [
        (len(sizes) > MAX_FILTER_GROUPS, f"{len(sizes)} filterGroups; a search allows at most {MAX_FILTER_GROUPS}"),
        (
            widest > MAX_FILTERS_PER_GROUP,
            f"{widest} filters in a group; a group allows at most {MAX_FILTERS_PER_GROUP}",
        ),
        (sum(sizes) > MAX_FILTERS, f"{sum(sizes)} filters; a search allows at most {MAX_FILTERS} in all its groups"),
        (len(request.sorts) > MAX_SORTS, f"{len(request.sorts)} sorts; a search allows at most {MAX_SORTS}"),
        (len(request.query) > MAX_QUERY_LENGTH, f"a query of {len(request.query)} characters; at most 3000"),
        (not 0 <= request.limit <= MAX_LIMIT, f"limit {request.limit}; a page holds at most {MAX_LIMIT} results"),
    ]
    for failed, detail in problems:
        if failed:
            raise HubSpotError(400, f"Search request rejected: {detail}.")


def check_window(after: int, limit: int) -> None:
    """Raise HubSpot's 400 for a page reaching past the first 10,000 results of a query."""
    if after < 0 or after + limit > MAX_RESULTS:
        raise HubSpotError(400, CAP_MESSAGE)


def _next_after(end: int, total: int, limit: int) -> str | None:
    """HubSpot names the next offset whenever more results exist, even the unreachable 10,000 (none for limit 0)."""
    return str(end) if limit and end < total else None


def _indexed(records: Iterable[CrmObject], now: datetime, settings: SearchSettings) -> list[_Row]:
    """Return the live records as the index sees them (``indexing_delay_seconds`` in the past)."""
    live = [obj for obj in records if not obj.archived]
    if settings.indexing_delay_seconds <= 0:
        return [_Row(obj, obj.properties) for obj in live]
    cutoff = iso(now - timedelta(seconds=settings.indexing_delay_seconds))
    return [_Row(obj, _as_of(obj, cutoff)) for obj in live if obj.created_at <= cutoff]


def _as_of(obj: CrmObject, cutoff: str) -> dict[str, str]:
    """Return a record's values at ``cutoff`` from its histories (newest version first; "" is a cleared value)."""
    at_cutoff = (
        (name, next((v.value for v in versions if v.timestamp <= cutoff), "")) for name, versions in obj.history.items()
    )
    return {name: value for name, value in at_cutoff if value}


def _query_matches(values: Values, names: Sequence[str], terms: Sequence[str]) -> bool:
    """Every word of ``query`` must occur (case-insensitively) in one of the type's searchable properties."""
    texts = [values[name].casefold() for name in names if values.get(name)]
    return all(any(term in text for text in texts) for term in terms)


def _sort_rule(
    sorts: Sequence[Sort], definitions: Mapping[str, PropertyDef], otype: ObjectType
) -> tuple[Sort, Kind] | None:
    """Return the one sort rule and how its property compares (``id`` names ``hs_object_id``)."""
    if not sorts:
        return None
    rule = sorts[0] if sorts[0].property_name != "id" else replace(sorts[0], property_name="hs_object_id")
    definition = definitions.get(rule.property_name)
    if definition is None:
        raise unknown_property(sorts[0].property_name, otype)
    return rule, kind_of(definition)


def _ordered(rows: list[_Row], sort: tuple[Sort, Kind] | None) -> list[_Row]:
    """Oldest first by default; else by one property, records without a value last in either direction."""
    rows = sorted(rows, key=lambda row: (row.obj.created_at, int(row.obj.id)))
    if sort is None:
        return rows
    rule, kind = sort
    keyed: list[tuple[Any, _Row]] = []
    missing: list[_Row] = []
    for row in rows:
        try:
            keyed.append((kind.key(row.values[rule.property_name]), row))
        except (KeyError, ValueError):
            missing.append(row)
    keyed.sort(key=lambda pair: pair[0], reverse=rule.descending)
    return [row for _key, row in keyed] + missing

"""CRM search: ``POST /crm/v3/objects/{objectType}/search``.

Reads a ``PublicObjectSearchRequest`` (``filterGroups``, top-level ``filters``, ``sorts``, ``query``,
``properties``, ``limit``, ``after``) and answers a ``CollectionResponseWithTotalSimplePublicObjectForwardPaging``:
``total``, ``results`` and, when more results exist, ``paging.next.after`` (an offset, as HubSpot's). The
search itself is ``hubspot_twin/crm/search.py``; ``app.config["TWIN_SEARCH"]`` (a ``SearchSettings`` or a mapping of
its fields) configures the index delay.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Blueprint, Response, current_app

from hubspot_twin.catalog import ObjectType, resolve
from hubspot_twin.crm.search import CONFIG_KEY, DEFAULT_LIMIT, SearchRequest, SearchSettings, Sort, narrowed, search
from hubspot_twin.crm.search_filters import OPERATORS, Filter, Linked
from hubspot_twin.crm.store import Store
from hubspot_twin.crm.timestamps import parse_instant, utc_now
from hubspot_twin.errors import invalid_input, missing_attributes
from hubspot_twin.http.api.plumbing import body_object, respond, store
from hubspot_twin.http.api.serialize import object_json
from hubspot_twin.model import CrmObject, PropertyDef

blueprint = Blueprint("search", __name__, url_prefix="/crm/v3/objects")
FILTER_CLASS = "com.hubspot.inbounddb.publicobject.core.v3.search.Filter"  # named in HubSpot's own error text
DIRECTIONS = ("ASCENDING", "DESCENDING")


@blueprint.post("/<object_type>/search")
def do_search(object_type: str) -> Response:
    """Search one object type: the matching live records, one page at a time."""
    otype = resolve(object_type)
    wanted = parse_request(body_object("PublicObjectSearchRequest"))
    twin = store()
    settings = search_settings()
    with twin.lock:
        definitions = twin.schema.definitions(otype)
        records = _candidates(twin, otype, definitions, wanted, settings)
        now = parse_instant(twin.now()) or utc_now()
        page = search(records, otype, definitions, wanted, now=now, settings=settings, linked=_linker(twin))
        results = [object_json(obj, otype, definitions, wanted.properties) for obj in page.results]
    body: dict[str, Any] = {"total": page.total, "results": results}
    if page.next_after is not None:
        body["paging"] = {"next": {"after": page.next_after}}
    return respond(body)


def search_settings() -> SearchSettings:
    """Return the app's ``TWIN_SEARCH`` settings (defaults when unset)."""
    found = current_app.config.get(CONFIG_KEY)
    if isinstance(found, Mapping):
        return SearchSettings(**found)
    return found if isinstance(found, SearchSettings) else SearchSettings()


def parse_request(body: Mapping[str, Any]) -> SearchRequest:
    """Read a ``PublicObjectSearchRequest``, or raise HubSpot's 400 for a body that does not fit it."""
    return SearchRequest(
        filter_groups=tuple(_group(raw) for raw in _array(body, "filterGroups")),
        required=tuple(_filter(raw) for raw in _array(body, "filters")),
        sorts=tuple(_sort(raw) for raw in _array(body, "sorts")),
        query=_text(body.get("query"), "query") or "",
        properties=_properties(body.get("properties")),
        limit=_integer(body.get("limit"), "limit", DEFAULT_LIMIT),
        after=_integer(body.get("after"), "after", 0),
    )


def _candidates(
    twin: Store,
    otype: ObjectType,
    definitions: Mapping[str, PropertyDef],
    wanted: SearchRequest,
    settings: SearchSettings,
) -> list[CrmObject]:
    """Return the records a search must look at: those its EQ filters name, or every record of the type (always
    when the index lags: it matches values the records held some time ago)."""
    if settings.indexing_delay_seconds > 0:
        return list(twin.objects[otype.name].values())
    found = narrowed(wanted, definitions, lambda name, value: twin.values.holders(otype.name, name, value, folded=True))
    return found if found is not None else list(twin.objects[otype.name].values())


def _linker(twin: Store) -> Linked:
    return lambda obj, type_name: [other for other, _kinds in twin.associated((obj.object_type, obj.id), type_name)]


def _array(body: Mapping[str, Any], name: str) -> list[Any]:
    found = body.get(name)
    if found is None:
        return []
    if not isinstance(found, list):
        raise invalid_input(f"{name} must be an array")
    return found


def _group(raw: Any) -> tuple[Filter, ...]:
    if not isinstance(raw, dict):
        raise invalid_input("Cannot build FilterGroup from a JSON value that is not an object")
    if raw.get("filters") is None:
        raise missing_attributes("FilterGroup", ["filters"])
    return tuple(_filter(item) for item in _array(raw, "filters"))


def _filter(raw: Any) -> Filter:
    if not isinstance(raw, dict):
        raise invalid_input("Cannot build Filter from a JSON value that is not an object")
    missing = [name for name in ("propertyName", "operator") if raw.get(name) in (None, "")]
    if missing:
        raise missing_attributes("Filter", missing)
    operator = str(raw["operator"])
    if operator not in OPERATORS:
        accepted = ", ".join(OPERATORS)
        raise invalid_input(f'Cannot deserialize value of type `FilterOperator` from String "{operator}": not one '
                            f"of the values accepted for Enum class: [{accepted}]")  # fmt: skip
    values = tuple(_scalar(value, "values") or "" for value in _array(raw, "values"))
    found = Filter(str(raw["propertyName"]), operator, _scalar(raw.get("value"), "value"),
                   _scalar(raw.get("highValue"), "highValue"), values)  # fmt: skip
    _check_operands(found)
    return found


def _check_operands(f: Filter) -> None:
    """Raise HubSpot's 400 when an operator lacks what it compares with (HubSpot's text for BETWEEN)."""
    lacking = None
    if f.operator == "BETWEEN" and f.high_value is None:
        lacking = "a highValue"
    elif f.operator in ("IN", "NOT_IN") and not f.values:
        lacking = "values"
    elif f.operator not in ("IN", "NOT_IN", "HAS_PROPERTY", "NOT_HAS_PROPERTY") and f.value is None:
        lacking = "a value"
    if lacking is not None:
        raise invalid_input(f"Cannot construct instance of `{FILTER_CLASS}`, problem: operator {f.operator} "
                            f"requires {lacking}")  # fmt: skip


def _sort(raw: Any) -> Sort:
    """Read ``{propertyName, direction}`` or a property name (``-name`` descending)."""
    if isinstance(raw, str) and raw.strip("-"):
        return Sort(raw.lstrip("-"), descending=raw.startswith("-"))
    if not isinstance(raw, dict) or not raw.get("propertyName"):
        raise missing_attributes("Sort", ["propertyName"])
    direction = str(raw.get("direction") or "ASCENDING")
    if direction not in DIRECTIONS:
        raise invalid_input(f'Cannot deserialize value of type `Direction` from String "{direction}": not one of '
                            f"the values accepted for Enum class: [{', '.join(DIRECTIONS)}]")  # fmt: skip
    return Sort(str(raw["propertyName"]), descending=direction == "DESCENDING")


def _properties(raw: Any) -> tuple[str, ...] | None:
    if raw is None:
        return None
    if not isinstance(raw, list) or not all(isinstance(name, str) for name in raw):
        raise invalid_input("properties must be an array of property names")
    return tuple(raw) or None  # an empty list asks for the default set


def _scalar(raw: Any, name: str) -> str | None:
    """Read a filter operand as HubSpot does: strings, numbers and booleans as their text."""
    if raw is None or isinstance(raw, str):
        return raw
    if isinstance(raw, bool):
        return "true" if raw else "false"
    if isinstance(raw, int | float):
        return str(raw)
    raise invalid_input(f"{name} must be a string, a number or a boolean")


def _text(raw: Any, name: str) -> str | None:
    if raw is not None and not isinstance(raw, str):
        raise invalid_input(f"{name} must be a string")
    return raw


def _integer(raw: Any, name: str, default: int) -> int:
    """Read an integer (``after`` comes as a string from the SDK; HubSpot requires it to be an integer)."""
    if raw is None or raw == "":
        return default
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.strip().lstrip("-").isdigit():
        return int(raw)
    raise invalid_input(f"{name} must be an integer, not {raw!r}")

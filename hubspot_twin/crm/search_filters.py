"""The filters of HubSpot's CRM search: operators, and how each property type compares values.

Numbers compare numerically, dates and datetimes as instants (a filter value may be epoch milliseconds or ISO
8601), strings, phone numbers and booleans case-insensitively (but IN/NOT_IN values must already be lowercase,
as HubSpot documents), enumerations case-sensitively (a multi-checkbox value matches when one of its options
does). The negated operators (NEQ, NOT_IN, NOT_CONTAINS_TOKEN) also match records without a value.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any

from hubspot_twin.catalog import ObjectType, resolve
from hubspot_twin.crm.timestamps import parse_date, parse_instant
from hubspot_twin.errors import HubSpotError
from hubspot_twin.model import CrmObject, PropertyDef

OPERATORS = ("EQ", "NEQ", "LT", "LTE", "GT", "GTE", "BETWEEN", "IN", "NOT_IN", "HAS_PROPERTY", "NOT_HAS_PROPERTY",
             "CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN")  # fmt: skip
ASSOCIATIONS = "associations."  # the pseudo-property prefix: associations.contact EQ 123
_NEGATED = {"NEQ": "EQ", "NOT_IN": "IN", "NOT_CONTAINS_TOKEN": "CONTAINS_TOKEN"}
_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "EQ": operator.eq, "LT": operator.lt, "LTE": operator.le, "GT": operator.gt, "GTE": operator.ge,
}  # fmt: skip

Values = Mapping[str, str]  # a record's property values as the search index holds them
Linked = Callable[[CrmObject, str], Sequence[str]]  # ids of the records of a type associated with a record
RecordTest = Callable[[CrmObject, Values, Linked], bool]
_Predicate = Callable[[Sequence[str]], bool]  # over the stored values of one property of one record


@dataclass(frozen=True)
class Filter:
    """One filter of a ``filterGroups`` entry (values already read as strings)."""

    property_name: str
    operator: str
    value: str | None = None
    high_value: str | None = None
    values: tuple[str, ...] = ()


@dataclass(frozen=True)
class Kind:
    """How a property type compares: ``key`` makes stored and filter values comparable (ValueError if invalid)."""

    key: Callable[[str], Any]
    folds: bool  # case-insensitive; IN/NOT_IN values are then compared as given (they must be lowercase)


def unknown_property(name: str, otype: ObjectType) -> HubSpotError:
    """Return the 400 for a filter or sort on a property the object type does not have (the twin's text)."""
    return HubSpotError(
        400, f"Unable to find property {name} for object type {otype.name}", context={"propertyName": [name]}
    )


def compile_filter(f: Filter, definitions: Mapping[str, PropertyDef], otype: ObjectType) -> RecordTest:
    """Return a test of one record; a filter on an unknown property or with an unusable value raises the 400."""
    if f.property_name.startswith(ASSOCIATIONS):
        type_name = resolve(f.property_name.removeprefix(ASSOCIATIONS)).name
        by_id = _predicate(f, Kind(str, folds=False))
        return lambda obj, _values, linked: by_id(linked(obj, type_name))
    definition = definitions.get(f.property_name)
    if definition is None:
        raise unknown_property(f.property_name, otype)
    test = _predicate(f, kind_of(definition))
    multiple = definition.type == "enumeration" and definition.field_type == "checkbox"
    return lambda _obj, values, _linked: test(_stored(values.get(f.property_name), multiple))


def kind_of(definition: PropertyDef) -> Kind:
    """Return how values of a property compare (and sort)."""
    return _KINDS.get(definition.type, _TEXT)


def _predicate(f: Filter, kind: Kind) -> _Predicate:
    if f.operator == "HAS_PROPERTY":
        return bool
    if f.operator == "NOT_HAS_PROPERTY":
        return lambda found: not found
    if f.operator in _NEGATED:
        positive = _predicate(replace(f, operator=_NEGATED[f.operator]), kind)
        return lambda found: not positive(found)
    try:
        test = _value_test(f, kind)
    except ValueError as error:
        message = f"{error} is not a valid value to compare the property {f.property_name} with"
        raise HubSpotError(400, message, context={"propertyName": [f.property_name]}) from None
    return lambda found: any(_safely(test, text) for text in found)


def _value_test(f: Filter, kind: Kind) -> Callable[[str], bool]:
    if f.operator == "CONTAINS_TOKEN":
        pattern = _token_pattern(f.value or "", kind.folds)
        return lambda text: any(pattern.fullmatch(token) for token in _tokens(text, kind.folds))
    if f.operator == "IN":
        wanted = set(f.values) if kind.folds else {kind.key(value) for value in f.values}
        return lambda text: kind.key(text) in wanted
    low = kind.key(f.value or "")
    if f.operator == "BETWEEN":
        high = kind.key(f.high_value or "")
        return lambda text: bool(low <= kind.key(text) <= high)
    compare = _COMPARE[f.operator]
    return lambda text: compare(kind.key(text), low)


def _safely(test: Callable[[str], bool], text: str) -> bool:
    try:
        return test(text)
    except ValueError:  # a stored value of another type (the property's type was changed later)
        return False


def _stored(value: str | None, multiple: bool) -> list[str]:
    if not value:
        return []
    return [part for part in value.split(";") if part] if multiple else [value]


def _tokens(text: str, folds: bool) -> set[str]:
    """Return the whole value, its words and the parts of a word around ``@`` (an email's user and domain)."""
    text = text.casefold() if folds else text
    words = text.split()
    return {text, *words, *(part for word in words for part in word.split("@") if part)}


def _token_pattern(value: str, folds: bool) -> re.Pattern[str]:
    """Return a token pattern in which ``*`` stands for any characters."""
    value = value.casefold() if folds else value
    return re.compile(".*".join(re.escape(part) for part in value.split("*")), re.DOTALL)


def _number(text: str) -> Decimal:
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise ValueError(repr(text)) from None
    if not value.is_finite():
        raise ValueError(repr(text))
    return value


def _instant(text: str) -> datetime:
    parsed = parse_instant(text)
    if parsed is None:
        raise ValueError(repr(text))
    return parsed


def _day(text: str) -> datetime:
    parsed = parse_date(text)
    if parsed is None:
        raise ValueError(repr(text))
    return parsed if isinstance(parsed, datetime) else datetime.combine(parsed, time(), UTC)


_KINDS: dict[str, Kind] = {
    "number": Kind(_number, folds=False),
    "datetime": Kind(_instant, folds=False),
    "date": Kind(_day, folds=False),
    "enumeration": Kind(str, folds=False),
}
_TEXT = Kind(str.casefold, folds=True)  # string, phone_number, bool

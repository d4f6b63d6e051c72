"""Property values: HubSpot's strings converted to the types that expressions compare."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta

PROPERTY_TYPES = frozenset({"number", "bool", "datetime", "date", "set", "string", "enumeration", "phone_number"})
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_MILLISECONDS = re.compile(r"-?[0-9]+")


def convert_properties(values: Mapping[str, object], object_name: str, types: Mapping[str, str]) -> dict[str, object]:
    """Convert the properties of a contact or company; missing values are left out."""
    converted: dict[str, object] = {}
    for name, value in values.items():
        result = convert_value(value, types.get(f"{object_name}.{name}", "string"))
        if result is not None:
            converted[name] = result
    return converted


def convert_value(value: object, property_type: str) -> object | None:
    """Convert one property value by its type; None means missing."""
    if value is None:
        return None
    if property_type == "number":
        return to_number(value)
    if property_type == "bool":
        return to_bool(value)
    if property_type in ("datetime", "date"):
        return to_timestamp(value)
    if property_type == "set":
        return to_set(value)
    return None if value == "" else value


def to_set(value: object) -> set[str] | None:
    """Split HubSpot's multiple checkboxes (`A;B`) into a set of trimmed, non-empty parts; no parts → None.

    A `set` (not a frozenset): the rule engine's SET type is made from it.
    """
    if isinstance(value, set | frozenset | list | tuple):
        parts = {str(part).strip() for part in value}
    elif isinstance(value, str):
        parts = {part.strip() for part in value.split(";")}
    else:
        return None
    parts.discard("")
    return parts or None


def to_number(value: object) -> int | float | None:
    """Convert to float, an integral value to int; unparsable or empty → None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        number = value
    elif isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return None
    else:
        return None
    return int(number) if number.is_integer() else number


def to_bool(value: object) -> bool | None:
    """Convert 'true'/'false' in any case (or a real bool); anything else → None."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return {"true": True, "false": False}.get(value.lower())
    return None


def to_timestamp(value: object) -> datetime | None:
    """Convert ISO 8601 or epoch milliseconds to an aware UTC datetime; a naive one is UTC; else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and _EPOCH_MILLISECONDS.fullmatch(value):
        value = int(value)
    try:
        if isinstance(value, int):
            return EPOCH + timedelta(milliseconds=value)
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        if isinstance(value, datetime):
            return as_utc(value)
        if isinstance(value, date):
            return datetime(value.year, value.month, value.day, tzinfo=UTC)
    except (ValueError, OverflowError):
        return None
    return None


def as_utc(moment: datetime) -> datetime:
    """Return the moment in UTC; a naive datetime is taken to be UTC."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)

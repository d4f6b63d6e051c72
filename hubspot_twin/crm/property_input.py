"""Read the bodies of the properties API (``PropertyCreate``, ``PropertyUpdate``, groups) with HubSpot's rules."""

from __future__ import annotations

import re
from typing import Any

from hubspot_twin.errors import HubSpotError, invalid_input, missing_attributes
from hubspot_twin.model import OptionDef

# HubSpot's valid type → fieldType pairs.
FIELD_TYPES: dict[str, frozenset[str]] = {
    "bool": frozenset({"booleancheckbox"}),
    "enumeration": frozenset({"booleancheckbox", "checkbox", "radio", "select"}),
    "date": frozenset({"date"}),
    "datetime": frozenset({"date"}),
    "string": frozenset({"text", "textarea", "html", "file", "phonenumber"}),
    "number": frozenset({"number", "calculation_equation"}),
    "phone_number": frozenset({"phonenumber"}),
}
CREATE_REQUIRED = ("name", "label", "type", "fieldType", "groupName")
_NAME = re.compile(r"[a-z][a-z0-9_]*")


def as_int(value: object, default: int = -1) -> int:
    """Return ``value`` as an int (HubSpot's ``displayOrder``), or ``default`` when it is not one."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        return default
    try:
        return int(value)
    except ValueError:
        return default


def require_object(body: object, input_class: str) -> dict[str, Any]:
    """Return ``body`` when it is a JSON object, else raise HubSpot's 400."""
    if not isinstance(body, dict):
        raise invalid_input(f"Cannot build {input_class} from a JSON {type(body).__name__}")
    return body


def check_create(body: dict[str, Any]) -> None:
    """Raise HubSpot's 400 when a ``PropertyCreate`` lacks a required field or breaks a type rule."""
    missing = [key for key in CREATE_REQUIRED if body.get(key) in (None, "")]
    if missing:
        raise missing_attributes("PropertyCreate", missing)
    name = str(body["name"])
    if not _NAME.fullmatch(name):
        raise HubSpotError(
            400,
            f"Property name {name} is invalid: it must start with a lowercase letter and contain only "
            "lowercase letters, digits and underscores",
        )
    check_types(str(body["type"]), str(body["fieldType"]))


def check_types(type_: str, field_type: str) -> None:
    """Raise HubSpot's 400 for an unknown type or a fieldType that does not fit it."""
    if type_ not in FIELD_TYPES:
        raise invalid_input(f"type must be one of {', '.join(sorted(FIELD_TYPES))}, not {type_}")
    if field_type not in FIELD_TYPES[type_]:
        allowed = ", ".join(sorted(FIELD_TYPES[type_]))
        raise HubSpotError(400, f"fieldType {field_type} is not valid for type {type_}; use one of: {allowed}")


def parse_options(raw: object) -> list[OptionDef]:
    """Return the options of a create/update body, or raise HubSpot's 400 for malformed or duplicate ones."""
    if not isinstance(raw, list):
        raise invalid_input("options must be an array")
    options: list[OptionDef] = []
    for index, item in enumerate(raw):
        if not isinstance(item, dict) or item.get("label") is None or item.get("value") is None:
            raise missing_attributes("OptionInput", ["label", "value"])
        order = item.get("displayOrder")
        options.append(
            OptionDef(
                label=str(item["label"]),
                value=str(item["value"]),
                display_order=order if isinstance(order, int) else index,
                hidden=bool(item.get("hidden", False)),
                description=str(item.get("description") or ""),
            )
        )
    values = [option.value for option in options]
    if len(set(values)) != len(values):
        raise HubSpotError(400, "Options must have unique values")
    return options


def check_enumeration(type_: str, options: list[OptionDef]) -> None:
    """Raise HubSpot's 400 when an enumeration has no options."""
    if type_ == "enumeration" and not options:
        raise HubSpotError(400, "Enumeration properties must have at least one option")


def check_group_create(body: dict[str, Any]) -> None:
    """Raise HubSpot's 400 when a ``PropertyGroupCreate`` lacks ``name`` or ``label``."""
    missing = [key for key in ("name", "label") if body.get(key) in (None, "")]
    if missing:
        raise missing_attributes("PropertyGroupCreate", missing)

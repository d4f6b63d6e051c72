"""Validate and normalise property values on write, as HubSpot does.

Values arrive as strings (or JSON numbers/booleans, read as their text) and are stored as the strings HubSpot
returns: numbers canonical, datetimes ISO with milliseconds, dates ``YYYY-MM-DD``, emails lower-cased. An empty
string clears a value (``None`` in the result). Every invalid property of one write is reported in one 400.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from hubspot_twin.crm.timestamps import iso, parse_date, parse_instant
from hubspot_twin.errors import Issue, invalid_input, property_values_error
from hubspot_twin.model import PropertyDef

Normalizer = Callable[[PropertyDef, str, str | None], "str | Issue"]


def normalize_writes(
    definitions: Mapping[str, PropertyDef],
    raw: object,
    current: Mapping[str, str],
    *,
    system: bool = False,
) -> dict[str, str | None]:
    """Return the normalised values of a ``properties`` map, or raise HubSpot's 400 listing every issue."""
    values, issues = check_writes(definitions, raw, current, system=system)
    if issues:
        raise property_values_error(issues)
    return values


def check_writes(
    definitions: Mapping[str, PropertyDef],
    raw: object,
    current: Mapping[str, str],
    *,
    system: bool = False,
) -> tuple[dict[str, str | None], list[Issue]]:
    """Return the normalised values of the valid properties of a write and the issues of the others."""
    if not isinstance(raw, dict):
        raise invalid_input("properties must be an object of property names to values")
    values: dict[str, str | None] = {}
    issues: list[Issue] = []
    for name, value in raw.items():
        if value is None:
            continue
        checked = _check(definitions.get(name), name, _as_text(name, value), current, system)
        if isinstance(checked, Issue):
            issues.append(checked)
        else:
            values[name] = checked
    return values, issues


def _as_text(name: str, value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    raise invalid_input(f"the value of property {name} must be a string, a number or a boolean")


def _check(
    definition: PropertyDef | None, name: str, text: str, current: Mapping[str, str], system: bool
) -> str | Issue | None:
    if definition is None:
        return Issue(name, text, "PROPERTY_DOESNT_EXIST", f'Property "{name}" does not exist')
    if definition.read_only_value and not system:
        return Issue(name, text, "READ_ONLY_VALUE", f'"{name}" is a calculated property; its value cannot be set.')
    if text == "":
        return None
    return _NORMALIZERS.get(definition.type, _string)(definition, text, current.get(name))


def _string(definition: PropertyDef, text: str, _current: str | None) -> str | Issue:
    if definition.name == "email":
        local, _, domain = text.strip().partition("@")
        if not local or "." not in domain or " " in text.strip():
            return Issue(definition.name, text, "INVALID_EMAIL", f"Email address {text} is invalid")
        return text.strip().lower()
    return text


def _number(definition: PropertyDef, text: str, _current: str | None) -> str | Issue:
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite():
        return Issue(definition.name, text, "INVALID_NUMBER", f"{text} was not a valid number.")
    if value == value.to_integral_value():
        return str(int(value))
    return format(value.normalize(), "f")


def _bool(definition: PropertyDef, text: str, _current: str | None) -> str | Issue:
    if text.strip().lower() in ("true", "false"):
        return text.strip().lower()
    return Issue(definition.name, text, "INVALID_BOOLEAN", f"{text} was not a valid boolean.")


def _datetime(definition: PropertyDef, text: str, _current: str | None) -> str | Issue:
    instant = parse_instant(text)
    if instant is None:
        return Issue(definition.name, text, "INVALID_LONG", f"{text} was not a valid long.")
    return iso(instant)


def _date(definition: PropertyDef, text: str, _current: str | None) -> str | Issue:
    parsed = parse_date(text)
    if parsed is None:
        return Issue(definition.name, text, "INVALID_LONG", f"{text} was not a valid long.")
    if isinstance(parsed, datetime):
        utc = parsed.astimezone(UTC)
        if utc.time() != datetime.min.time():
            at = utc.strftime("%H:%M:%S.") + f"{utc.microsecond // 1000:03d}"
            return Issue(definition.name, text, "INVALID_DATE", f"{text} is at {at} UTC, not midnight!")
        parsed = utc.date()
    return parsed.isoformat()


def _enumeration(definition: PropertyDef, text: str, current: str | None) -> str | Issue:
    # Owners, pipelines and stages are checked against the portal's state by the write rules.
    if definition.external_options or definition.referenced_object_type is not None:
        return text
    if definition.field_type != "checkbox":
        return text if text in definition.option_values() else _invalid_option(definition, text)
    # Multi-select: values are ;-separated, and a leading ; appends to what is already there.
    chosen = [part for part in text.split(";") if part]
    if text.startswith(";") and current:
        chosen = current.split(";") + chosen
    wrong = [part for part in chosen if part not in definition.option_values()]
    if wrong:
        return _invalid_option(definition, wrong[0])
    return ";".join(dict.fromkeys(chosen))


def _invalid_option(definition: PropertyDef, value: str) -> Issue:
    listed = ", ".join(
        f'label: "{o.label}"\nvalue: "{o.value}"\ndisplay_order: {o.display_order}\n'
        f"hidden: {str(o.hidden).lower()}\nread_only: false\n"
        for o in definition.options
    )
    message = f"{value} was not one of the allowed options: [{listed}]"
    return Issue(definition.name, value, "INVALID_OPTION", message)


_NORMALIZERS: dict[str, Normalizer] = {
    "string": _string,
    "phone_number": _string,
    "number": _number,
    "bool": _bool,
    "datetime": _datetime,
    "date": _date,
    "enumeration": _enumeration,
}

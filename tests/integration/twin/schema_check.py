"""Check raw JSON against the official SDK's generated models (the shape tests' one checker).

Walks a model class's ``openapi_types`` and ``attribute_map`` recursively: every key the twin sends must be an
attribute of the model, every value of the declared type (and accepted by the attribute's setter, which holds the
enumerations), and every attribute whose setter refuses ``None`` while ``client_side_validation`` is on must be
present and not null. Where HubSpot's captured bodies differ from the generated models, HubSpot wins; the two
exceptions below name why.
"""

from __future__ import annotations

import importlib
import re
from datetime import datetime
from functools import cache
from types import ModuleType
from typing import Any

PRIMITIVES: dict[str, tuple[type, ...]] = {
    "str": (str,),
    "int": (int,),
    "float": (int, float),
    "bool": (bool,),
    "object": (object,),
}
# HubSpot's error bodies carry "status": "error" (captured responses); the SDK's Error model has no such
# attribute and ignores the key.
EXTRA_KEYS = frozenset({("Error", "status")})
# v4 association responses carry record ids as JSON numbers (captured responses); the models declare str and the
# SDK's deserializer turns the number into one.
NUMERIC_IDS = frozenset(
    {
        ("LabelsBetweenObjectPair", "from_object_id"),
        ("LabelsBetweenObjectPair", "to_object_id"),
        ("MultiAssociatedObjectWithLabel", "to_object_id"),
    }
)
_LIST = re.compile(r"list\[(.+)\]")
_DICT = re.compile(r"dict\[str, (.+)\]")


def problems(raw: Any, model: type, path: str = "$") -> list[str]:
    """Return every way ``raw`` differs from what ``model`` accepts (empty when it fits)."""
    if not isinstance(raw, dict):
        return [f"{path}: {type(raw).__name__} where a {model.__name__} object belongs"]
    by_key = {key: attribute for attribute, key in model.attribute_map.items()}
    found: list[str] = []
    for key, value in raw.items():
        attribute = by_key.get(key)
        if attribute is None:
            if (model.__name__, key) not in EXTRA_KEYS:
                found.append(f"{path}.{key}: not an attribute of {model.__name__}")
        elif value is not None:
            declared = model.openapi_types[attribute]
            if (model.__name__, attribute) in NUMERIC_IDS and isinstance(value, int) and not isinstance(value, bool):
                declared = "int"
            found += _value_problems(value, declared, model, f"{path}.{key}")
            found += _setter_problems(model, attribute, value, f"{path}.{key}")
    for attribute in required_attributes(model):
        key = model.attribute_map[attribute]
        if raw.get(key) is None:
            found.append(f"{path}.{key}: required by {model.__name__} but missing or null")
    return found


def assert_fits(raw: Any, model: type) -> None:
    """Fail with the list of problems when ``raw`` does not fit ``model``."""
    found = problems(raw, model)
    assert not found, f"{model.__name__}:\n" + "\n".join(found)


@cache
def required_attributes(model: type) -> tuple[str, ...]:
    """Return the attributes whose setter refuses None when client-side validation is on."""
    required = []
    for attribute in model.openapi_types:
        try:
            setattr(_blank(model), attribute, None)
        except ValueError:
            required.append(attribute)
    return tuple(required)


def _value_problems(value: Any, declared: str, model: type, path: str) -> list[str]:
    listed, mapped = _LIST.fullmatch(declared), _DICT.fullmatch(declared)
    if listed:
        if not isinstance(value, list):
            return [f"{path}: {type(value).__name__} where a list belongs"]
        return [p for i, item in enumerate(value) for p in _value_problems(item, listed[1], model, f"{path}[{i}]")]
    if mapped:
        if not isinstance(value, dict):
            return [f"{path}: {type(value).__name__} where an object belongs"]
        return [
            p
            for key, item in value.items()
            if item is not None
            for p in _value_problems(item, mapped[1], model, f"{path}.{key}")
        ]
    if declared in ("datetime", "date"):
        return _instant_problems(value, path)
    if declared in PRIMITIVES:
        wrong_bool = isinstance(value, bool) and declared in ("int", "float")
        if wrong_bool or not isinstance(value, PRIMITIVES[declared]):
            return [f"{path}: {value!r} is not a {declared}"]
        return []
    return problems(value, getattr(_models(model), declared), path)


def _instant_problems(value: Any, path: str) -> list[str]:
    if not isinstance(value, str):
        return [f"{path}: {value!r} is not an ISO 8601 string"]
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return [f"{path}: {value!r} is not an ISO 8601 instant"]
    return []


def _setter_problems(model: type, attribute: str, value: Any, path: str) -> list[str]:
    """Return the setter's refusal of a plain value (enumerations such as ``type`` or ``status``)."""
    if not isinstance(value, str | int | float | bool):
        return []
    try:
        setattr(_blank(model), attribute, value)
    except ValueError as error:
        return [f"{path}: {error}"]
    return []


def _blank(model: type) -> Any:
    instance = model.__new__(model)
    configuration = _package(model).configuration.Configuration()
    configuration.client_side_validation = True
    instance.local_vars_configuration = configuration
    return instance


def _models(model: type) -> ModuleType:
    return importlib.import_module(model.__module__.rsplit(".", 1)[0])


def _package(model: type) -> Any:
    return importlib.import_module(model.__module__.split(".models.")[0])

"""Checks shared by the config loaders: schema validation, unique ids, compiled conditions, property types.

Pure: the loaders in loading.py read the files; these only check their text and contents.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from app.rules.config_files import Anchor, parse_document, validation_problem
from app.rules.errors import ConfigError
from app.rules.expressions import FIT_NAMES, Condition, ExpressionError, compile_condition
from app.rules.values import PROPERTY_TYPES

SpecT = TypeVar("SpecT", bound=BaseModel)
OBJECT_NAMES = ("contact", "company")
PROPERTY_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_-]*")


def validate_spec_document(spec: type[SpecT], text: str, file: str, anchors: tuple[Anchor, ...]) -> SpecT:
    document = parse_document(text, file)
    try:
        return spec.model_validate(document)
    except ValidationError as error:
        raise validation_problem(file, error, document, anchors) from None


def reject_duplicates(file: str, subject: str, ids: Iterable[str]) -> None:
    seen: set[str] = set()
    for rule_id in ids:
        if rule_id in seen:
            raise ConfigError(file, rule_id, f"duplicate {subject} id", subject=subject)
        seen.add(rule_id)


def compile_rule(
    file: str, subject: str, rule_id: str, text: str, names: Mapping[str, Any] | None = FIT_NAMES
) -> Condition:
    try:
        return compile_condition(text, names)
    except ExpressionError as error:
        raise ConfigError(file, rule_id, str(error), subject=subject) from None


def declared_property_types(file: str, declared: Mapping[str, str]) -> dict[str, str]:
    for key, property_type in declared.items():
        object_name, dot, name = key.partition(".")
        if not dot or object_name not in OBJECT_NAMES or not PROPERTY_NAME.fullmatch(name):
            raise ConfigError(file, f"properties.{key}", "must be named contact.<name> or company.<name>", subject="")
        if property_type not in PROPERTY_TYPES:
            expected = ", ".join(sorted(PROPERTY_TYPES))
            problem = f"unknown property type {property_type!r} (expected one of: {expected})"
            raise ConfigError(file, f"properties.{key}", problem, subject="")
    return dict(declared)

"""The one way a configuration file becomes rules: strict YAML, a pydantic schema, a compile step.

A configuration file is declared as a `ConfigFile`: its name in the configuration directory, its schema, the
lists whose items are rules (so a problem names the rule), and a compile function that checks what a schema
cannot (unique ids, conditions, templates, time zones) and freezes the result. `parse_config` runs the three
steps on a text; `load_config` reads the file. Every problem is a `ConfigError` naming the file, the rule and
the problem. A new configuration file is a schema plus a compile function.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from app.rules.errors import ConfigError
from app.rules.expressions import FIT_NAMES, Condition, ExpressionError, compile_condition
from app.rules.values import PROPERTY_TYPES

Anchor = tuple[tuple[str, ...], str]
"""A list in a document whose items are rules: (path to the list, subject such as 'rule' or 'stage')."""


class _StrictLoader(yaml.SafeLoader):
    """A YAML safe loader that rejects duplicate keys instead of keeping the last one."""


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode) -> dict[Hashable, Any]:
    loader.flatten_mapping(node)
    seen: set[Hashable] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        if isinstance(key, Hashable) and key in seen:
            raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
        if isinstance(key, Hashable):
            seen.add(key)
    return loader.construct_mapping(node, deep=True)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def parse_document(text: str, file: str) -> dict[str, Any]:
    """Parse a YAML configuration document whose top level must be a mapping."""
    try:
        document = yaml.load(text, Loader=_StrictLoader)  # a SafeLoader subclass: no arbitrary objects
    except yaml.MarkedYAMLError as error:
        raise ConfigError(file, None, _describe_yaml_error(error)) from None
    except yaml.YAMLError as error:
        raise ConfigError(file, None, f"YAML syntax error: {error}") from None
    if document is None:
        raise ConfigError(file, None, "the file is empty")
    if not isinstance(document, dict):
        raise ConfigError(file, None, f"the top level must be a mapping of keys, not {_kind(document)}")
    return document


def validation_problem(
    file: str, error: ValidationError, document: Mapping[str, Any], anchors: Sequence[Anchor]
) -> ConfigError:
    """Translate the first pydantic error into a ConfigError naming the rule or location."""
    detail = error.errors(include_url=False)[0]
    loc = tuple(part for part in detail["loc"] if part != "[key]")
    for path, subject in anchors:
        size = len(path) + 1
        if loc[: len(path)] == path and len(loc) >= size and isinstance(loc[len(path)], int):
            rule_id = _item_id(document, loc[:size])
            if rule_id is not None:
                return ConfigError(file, rule_id, _problem(detail, loc[size:]), subject=subject)
            return ConfigError(file, _dotted(loc[:size]), _problem(detail, loc[size:]), subject="")
    if len(loc) <= 1:
        return ConfigError(file, None, _problem(detail, loc, top_level=True))
    if isinstance(loc[-1], int):
        return ConfigError(file, _dotted(loc), _problem(detail, ()), subject="")
    return ConfigError(file, _dotted(loc[:-1]), _problem(detail, loc[-1:]), subject="")


def _problem(detail: ErrorDetails, field: tuple[int | str, ...], *, top_level: bool = False) -> str:
    name = _dotted(field)
    where = "top-level key" if top_level else "key"
    if detail["type"] == "missing":
        return f"missing required {where} '{name}'"
    if detail["type"] == "extra_forbidden":
        return f"unknown {where} '{name}'"
    message = detail["msg"].removeprefix("Value error, ").removeprefix("Input ")
    message = re.sub(r" or instance of \w+", "", message).replace("valid dictionary", "mapping")
    if detail["type"] == "string_pattern_mismatch":
        message = "must be a slug (letters, digits, '-' and '_')"
    subject = f"'{name}' " if name else ""
    return f"{subject}{message}, got {_short(detail['input'])}"


def _item_id(document: Mapping[str, Any], loc: tuple[int | str, ...]) -> str | None:
    node: Any = document
    for part in loc:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return None
    rule_id = node.get("id") if isinstance(node, dict) else None
    return rule_id if isinstance(rule_id, str) and rule_id else None


def _dotted(loc: tuple[int | str, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else str(part)
    return text


def _describe_yaml_error(error: yaml.MarkedYAMLError) -> str:
    mark = error.problem_mark or error.context_mark
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
    problem = error.problem or error.context or "invalid YAML"
    kind = "YAML error" if isinstance(error, yaml.constructor.ConstructorError) else "YAML syntax error"
    return f"{kind}{where}: {problem}"


def _short(value: object, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _kind(value: object) -> str:
    if isinstance(value, list):
        return "a list"
    return "a string" if isinstance(value, str) else f"a {type(value).__name__}"


SpecT = TypeVar("SpecT", bound=BaseModel)
OBJECT_NAMES = ("contact", "company")
PROPERTY_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_-]*")


def validate_document(spec: type[SpecT], text: str, file: str, anchors: tuple[Anchor, ...]) -> SpecT:
    """Parse a configuration document and validate it against its schema; problems name the file and rule."""
    try:
        document = parse_document(text, file)
    except ValueError as error:  # PyYAML's timestamp constructor raises a bare ValueError (`2026-02-30`)
        raise ConfigError(file, None, f"invalid date or time: {error}") from None
    try:
        return spec.model_validate(document)
    except ValidationError as error:
        raise validation_problem(file, error, document, anchors) from None


def time_zone(file: str, where: str, name: str, subject: str = "") -> ZoneInfo:
    """Return the IANA time zone `name`, or fail naming the file and where it stands (one wording for every file)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        problem = f"unknown time zone {name!r} (e.g. Europe/Berlin)"
        raise ConfigError(file, where, problem, subject=subject) from None


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


T = TypeVar("T")


@dataclass(frozen=True)
class ConfigFile(Generic[SpecT, T]):
    """A configuration file: where it lives, its schema, its rule lists, and how it compiles into rules."""

    name: str  # in the configuration directory, e.g. "scoring.yaml"
    schema: type[SpecT]
    compile: Callable[[SpecT, str], T]  # the validated document and the file's name (for errors) → frozen rules
    anchors: tuple[Anchor, ...] = ()


def parse_config(kind: ConfigFile[SpecT, T], text: str, file: str | None = None) -> T:
    """Validate and compile the text of a configuration file; `file` names it in errors."""
    file = file or kind.name
    return kind.compile(validate_document(kind.schema, text, file, kind.anchors), file)


def load_config(kind: ConfigFile[SpecT, T], directory: Path) -> T:
    """Read, validate and compile `kind`'s file in a configuration directory."""
    path = directory / kind.name
    return parse_config(kind, read_config_text(path), str(path))


def read_config_text(path: Path) -> str:
    """Return a configuration file's text, or a ConfigError naming it when it cannot be read."""
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(str(path), None, f"cannot read the file: {error}") from None


def load_optional_config(kind: ConfigFile[SpecT, T], directory: Path) -> T | None:
    """Like `load_config`, for a file the configuration may leave out (None when it does)."""
    return load_config(kind, directory) if (directory / kind.name).exists() else None

"""Configuration documents: strict YAML parsing and problems reported with file, rule and location."""

from __future__ import annotations

import re
from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import yaml
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from app.rules.errors import ConfigError

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

"""The suggested scoring.yaml as text (docs/calibration.md, Suggestions): the current file with only the changed
rules' `points:` values and the model's name rewritten, every comment, key order and layout kept; and its diff.

The values are found by PyYAML's composer — the same parser the config loader reads the file with — which marks
where each scalar starts and ends in the text; only those spans are replaced. Nothing is re-serialised, so a block
rule and a flow-style event (`demo_request: {label: Demo request, points: 10}`) keep their shape.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date

import yaml

from app.rules.calibration.features import FeatureKind

SUFFIX = re.compile(r"-suggested-\d{8}$")


@dataclass(frozen=True)
class Replacement:
    """Text from `start` to `end` (character offsets) becomes `text`."""

    start: int
    end: int
    text: str


def suggested_name(model: str, day: date) -> str:
    """The suggested model's name: the current one with `-suggested-YYYYMMDD` (an earlier such suffix replaced)."""
    return f"{SUFFIX.sub('', model)}-suggested-{day:%Y%m%d}"


def rewrite_points(text: str, points: Mapping[tuple[FeatureKind, str], int], model: str) -> str:
    """Return the scoring model's text with these rules' points (by kind and id) and the model's name replaced."""
    root = yaml.compose(text)
    if not isinstance(root, yaml.MappingNode):
        raise ValueError("the scoring model is not a mapping")
    found = list(_point_values(root))
    unknown = set(points) - {key for key, _ in found}
    if unknown:
        raise ValueError(f"rules not in the file: {', '.join(f'{kind} {id_}' for kind, id_ in sorted(unknown))}")
    replacements = [_scalar(node, str(points[key])) for key, node in found if key in points]
    name = _value(root, "model")
    if name is not None:
        replacements.append(_scalar(name, model))
    for replacement in sorted(replacements, key=lambda r: r.start, reverse=True):
        text = text[: replacement.start] + replacement.text + text[replacement.end :]
    return text


def unified_diff(current: str, suggested: str, current_name: str, suggested_name: str) -> str:
    """Return the unified diff of the two texts (three lines of context)."""
    lines = difflib.unified_diff(
        current.splitlines(keepends=True), suggested.splitlines(keepends=True), current_name, suggested_name
    )
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def _point_values(root: yaml.MappingNode) -> Iterator[tuple[tuple[FeatureKind, str], yaml.Node]]:
    """Each fit rule's and event type's `points` value node, with its kind and id."""
    fit = _value(root, "fit")
    rules = _value(fit, "rules") if isinstance(fit, yaml.MappingNode) else None
    for rule in rules.value if isinstance(rules, yaml.SequenceNode) else []:
        rule_id, points = _value(rule, "id"), _value(rule, "points")
        if isinstance(rule_id, yaml.ScalarNode) and points is not None:
            yield ("fit", str(rule_id.value)), points
    engagement = _value(root, "engagement")
    events = _value(engagement, "events") if isinstance(engagement, yaml.MappingNode) else None
    for key, weight in events.value if isinstance(events, yaml.MappingNode) else []:
        points = _value(weight, "points")
        if isinstance(key, yaml.ScalarNode) and points is not None:
            yield ("event", str(key.value)), points


def _value(node: yaml.Node | None, key: str) -> yaml.Node | None:
    if not isinstance(node, yaml.MappingNode):
        return None
    return next((v for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == key), None)


def _scalar(node: yaml.Node, text: str) -> Replacement:
    """Replace a scalar's text, quoted as it was (a plain, single- or double-quoted scalar)."""
    if not isinstance(node, yaml.ScalarNode) or node.style not in (None, "", "'", '"'):
        raise ValueError(f"line {node.start_mark.line + 1}: a one-line value was expected")
    if node.style == "'":
        text = "'" + text.replace("'", "''") + "'"
    elif node.style == '"':
        text = json.dumps(text, ensure_ascii=False)
    return Replacement(node.start_mark.index, node.end_mark.index, text)

"""Loading config/scoring.yaml and config/signals.yaml: validate, compile every `when` once, freeze."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from app.rules.config_files import Anchor, parse_document, validation_problem
from app.rules.errors import ConfigError
from app.rules.expressions import FIT_NAMES, STAGE_NAMES, Condition, ExpressionError, compile_condition
from app.rules.model import EventWeight, FitRule, GradeBand, PropertyRef, ScoringModel, Stage
from app.rules.schema import GradeSpec, ScoringSpec, SignalsSpec, StageSpec
from app.rules.signals import SignalRule, SignalRules
from app.rules.values import PROPERTY_TYPES

SCORING_ANCHORS: tuple[Anchor, ...] = ((("fit", "rules"), "rule"), (("stages",), "stage"))
SIGNAL_ANCHORS: tuple[Anchor, ...] = ((("rules",), "rule"),)
_PROPERTY_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_-]*")
SpecT = TypeVar("SpecT", bound=BaseModel)
_OBJECT_NAMES = ("contact", "company")


def load_scoring_model(path: Path) -> ScoringModel:
    """Load and validate a scoring model file."""
    return parse_scoring_model(_read(path), str(path))


def load_signal_rules(path: Path) -> SignalRules:
    """Load and validate a signal rules file."""
    return parse_signal_rules(_read(path), str(path))


def parse_scoring_model(text: str, file: str = "<scoring model>") -> ScoringModel:
    """Validate the text of a scoring model file; `file` names it in errors."""
    spec = _validate(ScoringSpec, text, file, SCORING_ANCHORS)
    _reject_duplicates(file, "rule", (rule.id for rule in spec.fit.rules))
    _reject_duplicates(file, "stage", (stage.id for stage in spec.stages))
    return ScoringModel(
        model=spec.model,
        fit_limit=spec.fit.limit,
        fit_rules=tuple(
            FitRule(rule.id, rule.label or rule.id, _compile(file, "rule", rule.id, rule.when), rule.points)
            for rule in spec.fit.rules
        ),
        engagement_limit=spec.engagement.limit,
        events=tuple(
            EventWeight(name, event.label or name, event.points, event.cap)
            for name, event in spec.engagement.events.items()
        ),
        half_life_days=spec.engagement.half_life_days,
        fit_grades=_grade_bands(spec.grades.fit),
        engagement_grades=_grade_bands(spec.grades.engagement),
        stages=tuple(_stage(file, stage) for stage in spec.stages),
        property_types=_property_types(file, spec.properties),
    )


def parse_signal_rules(text: str, file: str = "<signal rules>") -> SignalRules:
    """Validate the text of a signal rules file; `file` names it in errors."""
    spec = _validate(SignalsSpec, text, file, SIGNAL_ANCHORS)
    _reject_duplicates(file, "rule", (rule.id for rule in spec.rules))
    return SignalRules(
        tuple(
            SignalRule(
                id=rule.id,
                event=rule.event,
                subscription=rule.subscription,
                condition=_compile(file, "rule", rule.id, rule.when, None),
                label=rule.label or rule.id,
                description=rule.description or "",
            )
            for rule in spec.rules
        )
    )


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(str(path), None, f"cannot read the file: {error}") from None


def _validate(spec: type[SpecT], text: str, file: str, anchors: tuple[Anchor, ...]) -> SpecT:
    document = parse_document(text, file)
    try:
        return spec.model_validate(document)
    except ValidationError as error:
        raise validation_problem(file, error, document, anchors) from None


def _reject_duplicates(file: str, subject: str, ids: Iterable[str]) -> None:
    seen: set[str] = set()
    for rule_id in ids:
        if rule_id in seen:
            raise ConfigError(file, rule_id, f"duplicate {subject} id", subject=subject)
        seen.add(rule_id)


def _compile(
    file: str, subject: str, rule_id: str, text: str, names: Mapping[str, Any] | None = FIT_NAMES
) -> Condition:
    try:
        return compile_condition(text, names)
    except ExpressionError as error:
        raise ConfigError(file, rule_id, str(error), subject=subject) from None


def _stage(file: str, stage: StageSpec) -> Stage:
    return Stage(
        stage.id,
        stage.label or stage.id,
        _compile(file, "stage", stage.id, stage.when, STAGE_NAMES),
        tuple(_property_ref(file, stage.id, text) for text in stage.requires),
    )


def _grade_bands(entries: list[GradeSpec]) -> tuple[GradeBand, ...]:
    return tuple(GradeBand(entry.label, entry.threshold) for entry in entries)


def _property_ref(file: str, stage_id: str, text: str) -> PropertyRef:
    object_name, dot, name = text.partition(".")
    if not dot or object_name not in _OBJECT_NAMES:
        object_name, name = "contact", text
    if not _PROPERTY_NAME.fullmatch(name):
        problem = f"'requires' entry {text!r} is not a property name (a name, contact.<name> or company.<name>)"
        raise ConfigError(file, stage_id, problem, subject="stage")
    return PropertyRef(object_name, name, text)


def _property_types(file: str, declared: Mapping[str, str]) -> dict[str, str]:
    for key, property_type in declared.items():
        object_name, dot, name = key.partition(".")
        if not dot or object_name not in _OBJECT_NAMES or not _PROPERTY_NAME.fullmatch(name):
            raise ConfigError(file, f"properties.{key}", "must be named contact.<name> or company.<name>", subject="")
        if property_type not in PROPERTY_TYPES:
            expected = ", ".join(sorted(PROPERTY_TYPES))
            problem = f"unknown property type {property_type!r} (expected one of: {expected})"
            raise ConfigError(file, f"properties.{key}", problem, subject="")
    return dict(declared)


def load_rules(config_dir: Path) -> tuple[ScoringModel, SignalRules]:
    """Load and validate `scoring.yaml` and `signals.yaml` of a configuration directory."""
    return load_scoring_model(config_dir / "scoring.yaml"), load_signal_rules(config_dir / "signals.yaml")

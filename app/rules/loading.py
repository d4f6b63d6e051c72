"""Loading config/scoring.yaml and config/signals.yaml: validate, compile every `when` once, freeze."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from app.rules.checks import (
    OBJECT_NAMES,
    PROPERTY_NAME,
    compile_rule,
    declared_property_types,
    reject_duplicates,
    validate_spec_document,
)
from app.rules.config_files import Anchor
from app.rules.errors import ConfigError
from app.rules.expressions import STAGE_NAMES
from app.rules.handover_config import HandoverConfig, parse_handover
from app.rules.model import EventWeight, FitRule, GradeBand, PropertyRef, ScoringModel, Stage
from app.rules.routing_config import RoutingConfig, parse_routing
from app.rules.schema import GradeSpec, ScoringSpec, SignalsSpec, StageSpec
from app.rules.signals import SignalRule, SignalRules

SCORING_ANCHORS: tuple[Anchor, ...] = ((("fit", "rules"), "rule"), (("stages",), "stage"))
SIGNAL_ANCHORS: tuple[Anchor, ...] = ((("rules",), "rule"),)


def load_scoring_model(path: Path) -> ScoringModel:
    """Load and validate a scoring model file."""
    return parse_scoring_model(_read(path), str(path))


def load_signal_rules(path: Path) -> SignalRules:
    """Load and validate a signal rules file."""
    return parse_signal_rules(_read(path), str(path))


def parse_scoring_model(text: str, file: str = "<scoring model>") -> ScoringModel:
    """Validate the text of a scoring model file; `file` names it in errors."""
    spec = validate_spec_document(ScoringSpec, text, file, SCORING_ANCHORS)
    reject_duplicates(file, "rule", (rule.id for rule in spec.fit.rules))
    reject_duplicates(file, "stage", (stage.id for stage in spec.stages))
    return ScoringModel(
        model=spec.model,
        fit_limit=spec.fit.limit,
        fit_rules=tuple(
            FitRule(rule.id, rule.label or rule.id, compile_rule(file, "rule", rule.id, rule.when), rule.points)
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
        property_types=declared_property_types(file, spec.properties),
    )


def parse_signal_rules(text: str, file: str = "<signal rules>") -> SignalRules:
    """Validate the text of a signal rules file; `file` names it in errors."""
    spec = validate_spec_document(SignalsSpec, text, file, SIGNAL_ANCHORS)
    reject_duplicates(file, "rule", (rule.id for rule in spec.rules))
    return SignalRules(
        tuple(
            SignalRule(
                id=rule.id,
                event=rule.event,
                subscription=rule.subscription,
                condition=compile_rule(file, "rule", rule.id, rule.when, None),
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


def _stage(file: str, stage: StageSpec) -> Stage:
    return Stage(
        stage.id,
        stage.label or stage.id,
        compile_rule(file, "stage", stage.id, stage.when, STAGE_NAMES),
        tuple(_property_ref(file, stage.id, text) for text in stage.requires),
    )


def _grade_bands(entries: list[GradeSpec]) -> tuple[GradeBand, ...]:
    return tuple(GradeBand(entry.label, entry.threshold) for entry in entries)


def _property_ref(file: str, stage_id: str, text: str) -> PropertyRef:
    object_name, dot, name = text.partition(".")
    if not dot or object_name not in OBJECT_NAMES:
        object_name, name = "contact", text
    if not PROPERTY_NAME.fullmatch(name):
        problem = f"'requires' entry {text!r} is not a property name (a name, contact.<name> or company.<name>)"
        raise ConfigError(file, stage_id, problem, subject="stage")
    return PropertyRef(object_name, name, text)


def load_rules(config_dir: Path) -> tuple[ScoringModel, SignalRules]:
    """Load and validate `scoring.yaml` and `signals.yaml` of a configuration directory."""
    return load_scoring_model(config_dir / "scoring.yaml"), load_signal_rules(config_dir / "signals.yaml")


def load_routing(path: Path) -> RoutingConfig:
    """Load and validate a routing file."""
    return parse_routing(_read(path), str(path))


def load_handover(
    path: Path, stage_ids: Sequence[str], stage_labels: Mapping[str, str] | None = None
) -> HandoverConfig:
    """Load and validate a handover file for a scoring model with these stages."""
    return parse_handover(_read(path), stage_ids, str(path), stage_labels)

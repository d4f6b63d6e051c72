"""config/scoring.yaml and config/signals.yaml: their compile steps (every `when` compiled once, frozen)."""

from __future__ import annotations

from pathlib import Path

from app.rules.config import (
    OBJECT_NAMES,
    PROPERTY_NAME,
    ConfigFile,
    compile_rule,
    declared_property_types,
    parse_config,
    read_config_text,
    reject_duplicates,
)
from app.rules.errors import ConfigError
from app.rules.expressions import STAGE_NAMES, Condition
from app.rules.scoring.model import EventWeight, FitRule, GradeBand, PropertyRef, ScoringModel, Stage
from app.rules.scoring.schema import GradeSpec, ScoringSpec, SignalRuleSpec, SignalsSpec, StageSpec
from app.rules.scoring.signals import SignalRule, SignalRules, recall_problem


def compile_scoring_model(spec: ScoringSpec, file: str) -> ScoringModel:
    """Check what the schema cannot (unique ids, conditions, property names) and freeze the model."""
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


def compile_signal_rules(spec: SignalsSpec, file: str) -> SignalRules:
    """Check the rules' ids and conditions; freeze them."""
    reject_duplicates(file, "rule", (rule.id for rule in spec.rules))
    return SignalRules(tuple(_signal_rule(file, rule) for rule in spec.rules))


def _signal_rule(file: str, rule: SignalRuleSpec) -> SignalRule:
    condition = compile_rule(file, "rule", rule.id, rule.when, None)
    return SignalRule(
        id=rule.id,
        event=rule.event,
        subscription=rule.subscription,
        condition=condition,
        label=rule.label or rule.id,
        description=rule.description or "",
        recalls=_recalled_properties(file, rule, condition),
    )


def _recalled_properties(file: str, rule: SignalRuleSpec, condition: Condition) -> tuple[str, ...]:
    """Return the contact properties a rule reads as they were when its event happened (`contact.<name>`), after
    checking it can: only on a contact's property change, pinned to one property (`propertyName == '…'`)."""
    problem = recall_problem(condition, rule.subscription)
    if problem is not None:
        raise ConfigError(file, rule.id, problem, subject="rule")
    return tuple(sorted({name for record, name in condition.property_references() if record == "contact"}))


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


SCORING = ConfigFile(
    "scoring.yaml", ScoringSpec, compile_scoring_model, ((("fit", "rules"), "rule"), (("stages",), "stage"))
)
SIGNALS = ConfigFile("signals.yaml", SignalsSpec, compile_signal_rules, ((("rules",), "rule"),))


def parse_scoring_model(text: str, file: str = "<scoring model>") -> ScoringModel:
    """Validate and compile the text of a scoring model file; `file` names it in errors."""
    return parse_config(SCORING, text, file)


def parse_signal_rules(text: str, file: str = "<signal rules>") -> SignalRules:
    """Validate and compile the text of a signal rules file; `file` names it in errors."""
    return parse_config(SIGNALS, text, file)


def load_scoring_model(path: Path) -> ScoringModel:
    """Load a scoring model file (any name: `leadflow assess` takes one)."""
    return parse_scoring_model(read_config_text(path), str(path))


def load_signal_rules(path: Path) -> SignalRules:
    """Load a signal rules file."""
    return parse_signal_rules(read_config_text(path), str(path))

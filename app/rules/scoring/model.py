"""The scoring model: the validated, compiled content of config/scoring.yaml."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from app.rules.expressions import Condition


@dataclass(frozen=True, slots=True)
class FitRule:
    """A fit rule: `points` when `condition` matches the contact and its company."""

    id: str
    label: str
    condition: Condition
    points: float


@dataclass(frozen=True, slots=True)
class EventWeight:
    """The points of one engagement event type, with an optional cap on its contribution."""

    type: str
    label: str
    points: float
    cap: float | None = None


@dataclass(frozen=True, slots=True)
class GradeBand:
    """One grade entry: `label` applies from `threshold` up (the first matching entry wins)."""

    label: str
    threshold: float


@dataclass(frozen=True, slots=True)
class PropertyRef:
    """A property named in `requires`: `contact.x`, `company.x`, or a bare contact property name."""

    object_name: str
    name: str
    text: str


@dataclass(frozen=True, slots=True)
class Stage:
    """A lifecycle stage: reached when `condition` matches and every required property is present."""

    id: str
    label: str
    condition: Condition
    requires: tuple[PropertyRef, ...] = ()


@dataclass(frozen=True, slots=True)
class ScoringModel:
    """A loaded scoring model (see docs/scoring-model.md)."""

    model: str
    fit_limit: float
    fit_rules: tuple[FitRule, ...]
    engagement_limit: float
    events: tuple[EventWeight, ...]
    half_life_days: float | None = None
    fit_grades: tuple[GradeBand, ...] = ()
    engagement_grades: tuple[GradeBand, ...] = ()
    stages: tuple[Stage, ...] = ()
    property_types: Mapping[str, str] = field(default_factory=dict)

    @property
    def stage_ids(self) -> tuple[str, ...]:
        """The stage ids, highest first (the order of the file)."""
        return tuple(stage.id for stage in self.stages)

    @property
    def qualified_stages(self) -> tuple[str, ...]:
        """`mql` and the stages ranked above it: a contact entering one of them is a marketing-qualified lead (the
        KPIs' `mql_at`); `mql` and `sql` for a model without an `mql` stage."""
        stages = self.stage_ids
        return stages[: stages.index("mql") + 1] if "mql" in stages else ("mql", "sql")

    @property
    def event_types(self) -> tuple[str, ...]:
        """The engagement event types the model weighs, in file order."""
        return tuple(weight.type for weight in self.events)

    @property
    def grade_labels(self) -> tuple[str, ...]:
        """Every grade the model can produce: fit label followed by engagement label, in file order."""
        fit_labels = _side_labels(self.fit_grades)
        engagement_labels = _side_labels(self.engagement_grades)
        combined = (f + e for f in fit_labels for e in engagement_labels)
        return tuple(dict.fromkeys(grade for grade in combined if grade))

    def referenced_properties(self) -> tuple[frozenset[str], frozenset[str]]:
        """Return the contact and the company property names the model reads anywhere."""
        references = {"contact": set[str](), "company": set[str]()}
        for key in self.property_types:
            object_name, _, name = key.partition(".")
            references[object_name].add(name)
        conditions = [rule.condition for rule in self.fit_rules] + [stage.condition for stage in self.stages]
        for condition in conditions:
            for object_name, name in condition.property_references():
                references[object_name].add(name)
        for stage in self.stages:
            for ref in stage.requires:
                references[ref.object_name].add(ref.name)
        return frozenset(references["contact"]), frozenset(references["company"])


def _side_labels(bands: tuple[GradeBand, ...]) -> list[str]:
    """Labels one side of the grade can take; "" when no entry may match (every value is at least 0)."""
    labels = [band.label for band in bands]
    if not any(band.threshold <= 0 for band in bands):
        labels.append("")
    return labels

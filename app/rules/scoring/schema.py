"""The raw shape of config/scoring.yaml and config/signals.yaml, validated by pydantic."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

SLUG_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]*$"


def _integer_as_text(value: object) -> object:
    """Accept a grade label or version written as an integer (`[1, 60]`) as a string ("1")."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


def _grade_pair(value: object) -> object:
    """Turn a grade entry `[label, threshold]` into a mapping."""
    if isinstance(value, list | tuple) and len(value) == 2:
        return {"label": value[0], "threshold": value[1]}
    raise ValueError("must be a pair [label, threshold]")


def _subscription_type(value: str) -> str:
    """Check a HubSpot subscription type such as `contact.propertyChange`."""
    if not re.fullmatch(r"[A-Za-z]+\.[A-Za-z]+", value):
        raise ValueError("must be a HubSpot subscription type such as 'contact.propertyChange'")
    return value


def _empty_as_default(value: object) -> object:
    """Read an empty YAML section (`stages:` with nothing under it) as an empty one."""
    return {} if value is None else value


def _none_as_list(value: object) -> object:
    return [] if value is None else value


Slug = Annotated[str, StringConstraints(strict=True, pattern=SLUG_PATTERN)]
Text = Annotated[str, StringConstraints(strict=True, min_length=1)]
Number = Annotated[float, Field(strict=True, allow_inf_nan=False)]
NonNegative = Annotated[float, Field(strict=True, allow_inf_nan=False, ge=0)]
Positive = Annotated[float, Field(strict=True, allow_inf_nan=False, gt=0)]
Label = Annotated[str, BeforeValidator(_integer_as_text), StringConstraints(strict=True, min_length=1)]
Version = Annotated[str, BeforeValidator(_integer_as_text), StringConstraints(strict=True, min_length=1)]


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FitRuleSpec(_Spec):
    """A fit rule as written: `points` when `when` matches."""

    id: Slug
    label: Text | None = None
    when: Text
    points: Number


class FitSpec(_Spec):
    """The `fit` section."""

    limit: NonNegative
    rules: Annotated[list[FitRuleSpec], BeforeValidator(_none_as_list)]


class EventSpec(_Spec):
    """One event type of `engagement.events`."""

    label: Text | None = None
    points: Number
    cap: NonNegative | None = None


class EngagementSpec(_Spec):
    """The `engagement` section."""

    limit: NonNegative
    half_life_days: Positive | None = None
    events: Annotated[dict[Slug, EventSpec], BeforeValidator(_empty_as_default)]


class GradeSpec(_Spec):
    """One grade entry, written as the pair `[label, threshold]`."""

    label: Label
    threshold: Number


GradeEntry = Annotated[GradeSpec, BeforeValidator(_grade_pair)]


class GradesSpec(_Spec):
    """The `grades` section; either side may be left out."""

    fit: Annotated[list[GradeEntry], BeforeValidator(_none_as_list)] = []
    engagement: Annotated[list[GradeEntry], BeforeValidator(_none_as_list)] = []


class StageSpec(_Spec):
    """One stage of `stages`, highest first."""

    id: Slug
    label: Text | None = None
    when: Text
    requires: Annotated[list[Text], BeforeValidator(_none_as_list)] = []


class ScoringSpec(_Spec):
    """The whole of config/scoring.yaml."""

    model: Version
    properties: Annotated[dict[Text, Text], BeforeValidator(_empty_as_default)] = {}
    fit: FitSpec
    engagement: EngagementSpec
    grades: Annotated[GradesSpec, BeforeValidator(_empty_as_default)] = GradesSpec()
    stages: Annotated[list[StageSpec], BeforeValidator(_none_as_list)] = []


class SignalRuleSpec(_Spec):
    """One signal rule of config/signals.yaml."""

    id: Slug
    label: Text | None = None
    description: Text | None = None
    subscription: Annotated[str, StringConstraints(strict=True), AfterValidator(_subscription_type)]
    event: Slug
    when: Text


class SignalsSpec(_Spec):
    """The whole of config/signals.yaml."""

    rules: Annotated[list[SignalRuleSpec], BeforeValidator(_none_as_list)]

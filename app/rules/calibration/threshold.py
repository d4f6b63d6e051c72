"""The MQL threshold of a scoring model, and the model with another one (docs/calibration.md, Capacity-aware
threshold).

The threshold is the number a score is compared with in the `when` of the model's lowest qualified stage (`mql`;
`sql` for a model without one): `engagement >= 15` in `fit >= 40 and engagement >= 15`. The comparison must be a
lower bound (`score >= N`, `score > N`, or `N <= score`, `N < score`) reached from the top of the expression
through `and` and `or` only — not under a `not` — and the only one of that score, so that a higher number never
qualifies more contacts at a moment. The candidate is the same model with that number replaced in the text and the
stage's `when` compiled again by the loader's own step; its literal is checked where the first one was.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from decimal import Decimal

from rule_engine import ast as rule_ast

from app.rules.config import compile_rule
from app.rules.expressions import STAGE_NAMES, Condition
from app.rules.scoring.model import ScoringModel, Stage

SCORES = ("engagement", "fit", "score")
LOWER_BOUNDS = {"ge": "left", "gt": "left", "le": "right", "lt": "right"}  # operator → the side of the score
NUMBER = r"\d+(?:\.\d+)?"


class ThresholdError(ValueError):
    """The model has no MQL threshold of the score that can be varied; the message says why."""


@dataclass(frozen=True, slots=True)
class ThresholdSite:
    """Where the threshold lives: the stage, the score compared, and the number it is compared with now."""

    stage: str
    score: str
    value: float

    def describe(self, value: float | None = None) -> str:
        """The comparison as written with the threshold `value` (default: the current one): `engagement >= 15`."""
        return f"{self.score} >= {number_text(self.value if value is None else value)}"


def threshold_stage(model: ScoringModel) -> Stage:
    """The stage whose entry makes a contact marketing-qualified: `mql`, else the lowest qualified stage present."""
    qualified = [stage for stage in model.stages if stage.id in model.qualified_stages]
    if not qualified:
        raise ThresholdError(f"the scoring model {model.model!r} has no qualified stage (mql or sql)")
    return qualified[-1]


def find_threshold(model: ScoringModel, score: str) -> ThresholdSite:
    """Return the model's MQL threshold of `score`; refuse a stage whose `when` has none, several, or one written
    so that its number cannot be found in the text (`1.5e1`)."""
    if score not in SCORES:
        raise ThresholdError(f"cannot vary {score!r}: the threshold is one of {', '.join(SCORES)}")
    stage = threshold_stage(model)
    sites = list(_lower_bounds(stage.condition.rule.statement.expression, score))
    if len(sites) != 1:
        found = "no" if not sites else f"{len(sites)}"
        raise ThresholdError(
            f"stage {stage.id!r}: its 'when' ({stage.condition.text}) has {found} comparison '{score} >= NUMBER' "
            f"joined by 'and'/'or' (not under 'not'); the MQL threshold must be exactly one"
        )
    site = ThresholdSite(stage.id, score, float(sites[0]))
    substituted(stage.condition, site, site.value)  # written so that it can be replaced, or refused now
    return site


def with_threshold(model: ScoringModel, site: ThresholdSite, value: float) -> ScoringModel:
    """Return the model with the threshold at `value` (its stage's `when` compiled again, its name saying so)."""
    stage = next(stage for stage in model.stages if stage.id == site.stage)
    text = substituted(stage.condition, site, value)
    condition = compile_rule(f"{model.model} ({site.describe(value)})", "stage", stage.id, text, STAGE_NAMES)
    changed = list(_lower_bounds(condition.rule.statement.expression, site.score))
    if [float(found) for found in changed] != [float(value)]:
        raise ThresholdError(f"stage {stage.id!r}: cannot place {value:g} in its 'when' ({stage.condition.text})")
    stages = tuple(replace(s, condition=condition) if s.id == stage.id else s for s in model.stages)
    return replace(model, model=f"{model.model}+{site.score}>={number_text(value)}", stages=stages)


def substituted(condition: Condition, site: ThresholdSite, value: float) -> str:
    """The `when` text with the threshold's number replaced; refused when the text does not show it exactly once."""
    name = re.escape(site.score)
    pattern = re.compile(
        rf"(?<![\w.'\"])(?P<a>{name}\s*>=?\s*)(?P<n>{NUMBER})(?![\w.])"
        rf"|(?<![\w.'\"])(?P<m>{NUMBER})(?P<b>\s*<=?\s*{name})(?![\w.])"
    )
    found = [m for m in pattern.finditer(condition.text) if float(m.group("n") or m.group("m")) == site.value]
    if len(found) != 1:
        raise ThresholdError(f"stage {site.stage!r}: cannot find '{site.describe()}' once in its 'when'")
    match = found[0]
    start, end = match.span("n") if match.group("n") else match.span("m")
    return condition.text[:start] + number_text(value) + condition.text[end:]


def number_text(value: float) -> str:
    """A threshold as written: `20`, `17.5`."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _lower_bounds(node: object, score: str) -> Iterator[Decimal]:
    """Yield the numbers `score` is bounded below by, through `and`/`or` from `node` (not under `not`)."""
    if isinstance(node, rule_ast.LogicExpression):
        yield from _lower_bounds(node.left, score)
        yield from _lower_bounds(node.right, score)
    elif isinstance(node, rule_ast.ArithmeticComparisonExpression) and node.type in LOWER_BOUNDS:
        score_side, number_side = (
            (node.left, node.right) if LOWER_BOUNDS[node.type] == "left" else (node.right, node.left)
        )
        if _is_score(score_side, score) and isinstance(number_side, rule_ast.FloatExpression):
            yield Decimal(number_side.value)


def _is_score(node: object, score: str) -> bool:
    return isinstance(node, rule_ast.SymbolExpression) and node.scope is None and node.name == score

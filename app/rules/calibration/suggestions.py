"""Suggested points (docs/calibration.md, Suggestions): a regularised logistic regression's coefficients on the
decision-time features, turned into integer points on the current model's scale and pulled toward the current
points by the evidence; sign flips and rules with too little data are flagged, the latter left unchanged. Pure: the
regression itself is a `Fitter` the shell passes in (scikit-learn's, app/sync/calibration/regression.py).

- **Time-based holdout.** The rows sorted by decision moment: the newest quarter (rounded up) is held out; the fit
  sees only the older ones, and the held-out rows compare the fitted model, the current score and the suggested
  points by their AUC.
- **Scale.** A coefficient is log-odds per unit of feature, a point is score per unit of feature: one factor turns
  the one into the other. It is chosen so the fitted score spreads over the training leads as much as the current
  points do on the fitted rules: `sd(Σ points × feature) / sd(Σ coefficient × feature)` (population standard
  deviations). The stage
  thresholds (`fit >= 40`) are on the points' scale, so a suggestion keeps that scale rather than inventing one;
  a scale read off single rules would follow whichever useless rule happened to fit near zero.
- **Evidence and shrinkage.** A rule's evidence is the number of training rows on its smaller side (with it or
  without it: a rule every lead has says nothing about its effect). Below MIN_EVIDENCE the rule is left out of the
  fit, keeps its points and is flagged. Otherwise the suggestion is `w · fitted + (1 − w) · current`,
  `w = evidence / (evidence + PRIOR_CYCLES)`, rounded half up: the more outcomes, the more weight to the fit.
- **Flips.** A rule whose fitted points (rounded) have the opposite sign of its current points is flagged, whether or
  not the shrunk suggestion flips too.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from statistics import pstdev

from app.rules.calibration.features import Feature, FeatureRow, present
from app.rules.calibration.ranking import Auc, auc
from app.rules.calibration.sufficiency import MIN_EACH

MIN_EVIDENCE = MIN_EACH  # rows on a rule's smaller side below which its points are left alone
PRIOR_CYCLES = 30  # the current points weigh as much as this many rows of evidence
HOLDOUT_QUARTERS = 4  # one row in this many, the newest, is held out


@dataclass(frozen=True)
class Fit:
    """A fitted logistic regression: log-odds = intercept + Σ coefficient × feature (per unit of each feature)."""

    intercept: float
    coefficients: tuple[float, ...]

    def log_odds(self, values: Sequence[float]) -> float:
        """Return the fitted log-odds of a row's features."""
        return self.intercept + math.fsum(c * v for c, v in zip(self.coefficients, values, strict=True))


Fitter = Callable[[Sequence[Sequence[float]], Sequence[bool]], Fit]
"""Fits the features (one row per lead) to the outcomes."""


@dataclass(frozen=True)
class RuleSuggestion:
    """One rule: its evidence, the fitted coefficient, the fitted points on the model's scale, the fit's weight and
    the suggested points; a rule with too little evidence is not fitted (None) and keeps its points."""

    feature: Feature
    evidence: int
    coefficient: float | None
    fitted: float | None
    weight: float
    points: float

    @property
    def enough(self) -> bool:
        """Return whether the rule has enough evidence to be changed."""
        return self.evidence >= MIN_EVIDENCE

    @property
    def changed(self) -> bool:
        """Return whether the suggested points differ from the current ones."""
        return self.points != self.feature.points

    @property
    def flip(self) -> bool:
        """Return whether the data says the opposite of the current points: fitted points of the other sign."""
        return self.fitted is not None and round_half_up(self.fitted) * self.feature.points < 0


@dataclass(frozen=True)
class Holdout:
    """The newest rows, held out of the fit: how well the fitted model, the current score and the suggested points
    (Σ points × feature) rank the outcome there."""

    training: int
    held_out: int
    since: datetime | None  # the first held-out decision moment
    fitted: Auc
    current: Auc
    suggested: Auc


@dataclass(frozen=True)
class Suggestion:
    """The suggested points of every rule, the scale used and the holdout's verdict."""

    scale: float
    rules: tuple[RuleSuggestion, ...]
    holdout: Holdout

    @property
    def changed(self) -> tuple[RuleSuggestion, ...]:
        """The rules whose points would change."""
        return tuple(rule for rule in self.rules if rule.changed)


@dataclass(frozen=True)
class NoSuggestion:
    """Why no points are suggested."""

    reason: str


def suggest(features: Sequence[Feature], rows: Sequence[FeatureRow], fitter: Fitter) -> Suggestion | NoSuggestion:
    """Fit the older rows on the rules with enough evidence, turn the coefficients into points, and judge them on the
    newest rows."""
    training, held_out = split_by_time(rows)
    refusal = _unfittable(training)
    if refusal is not None:
        return NoSuggestion(refusal)
    evidence = [min(sum(has), len(has) - sum(has)) for has in (present(training, i) for i in range(len(features)))]
    fitted = [index for index, found in enumerate(evidence) if found >= MIN_EVIDENCE]
    if not fitted:
        return NoSuggestion(
            f"no rule has enough evidence ({MIN_EVIDENCE} training leads with it and {MIN_EVIDENCE} without)"
        )
    fit = _fit_on(fitter, training, fitted, len(features))
    anchored = [feature.points if index in fitted else 0.0 for index, feature in enumerate(features)]
    scale = points_scale(anchored, fit.coefficients, training)
    if scale is None:
        return NoSuggestion(
            "the current points or the fit do not vary over the training leads: there is no scale to put the fit on"
        )
    rules = tuple(
        rule_suggestion(feature, coefficient, scale, found)
        for feature, coefficient, found in zip(features, fit.coefficients, evidence, strict=True)
    )
    return Suggestion(scale, rules, _holdout(training, held_out, fit, rules))


def _fit_on(fitter: Fitter, training: Sequence[FeatureRow], fitted: Sequence[int], width: int) -> Fit:
    """Fit only the features at `fitted` (the others, too thin to read, stay out: a near-constant decayed count
    would get an absurd coefficient); give the fit back over every feature, 0 for those left out."""
    found = fitter([[row.values[i] for i in fitted] for row in training], [row.positive for row in training])
    coefficients = [0.0] * width
    for index, coefficient in zip(fitted, found.coefficients, strict=True):
        coefficients[index] = coefficient
    return Fit(found.intercept, tuple(coefficients))


def split_by_time(rows: Sequence[FeatureRow]) -> tuple[list[FeatureRow], list[FeatureRow]]:
    """Return the older rows and the newest quarter (rounded up; ties in time broken by contact id)."""
    ordered = sorted(rows, key=lambda row: (row.at, row.contact_id))
    held = math.ceil(len(ordered) / HOLDOUT_QUARTERS)
    return ordered[: len(ordered) - held], ordered[len(ordered) - held :]


def points_scale(points: Sequence[float], coefficients: Sequence[float], rows: Sequence[FeatureRow]) -> float | None:
    """Return points per unit of log-odds: the spread of the linear score of `points` over the rows divided by the
    fitted one's; None when either does not vary."""
    current = pstdev([_linear(row.values, points) for row in rows])
    fitted = pstdev([_linear(row.values, coefficients) for row in rows])
    return current / fitted if current > 0 and fitted > 0 else None


def _linear(values: Sequence[float], weights: Sequence[float]) -> float:
    return math.fsum(w * v for w, v in zip(weights, values, strict=True))


def rule_suggestion(feature: Feature, coefficient: float, scale: float, evidence: int) -> RuleSuggestion:
    """Return the rule's suggested points: the fitted points shrunk toward the current ones (unchanged below
    MIN_EVIDENCE)."""
    if evidence < MIN_EVIDENCE:
        return RuleSuggestion(feature, evidence, None, None, 0.0, feature.points)
    fitted = coefficient * scale
    weight = evidence / (evidence + PRIOR_CYCLES)
    shrunk = round_half_up(weight * fitted + (1 - weight) * feature.points)
    points = feature.points if shrunk == feature.points else float(shrunk)
    return RuleSuggestion(feature, evidence, coefficient, fitted, weight, points)


def round_half_up(value: float) -> int:
    """Round to the nearest integer, halves up (as the scoring model rounds)."""
    return math.floor(value + 0.5)


def _unfittable(training: Sequence[FeatureRow]) -> str | None:
    positives = sum(1 for row in training if row.positive)
    if positives == 0 or positives == len(training):
        which = "negative" if positives else "positive"
        return f"the training leads (the oldest {len(training)}, the newest quarter held out) hold no {which} outcome"
    return None


def _holdout(
    training: Sequence[FeatureRow], held_out: Sequence[FeatureRow], fit: Fit, rules: Sequence[RuleSuggestion]
) -> Holdout:
    outcomes = [row.positive for row in held_out]
    fitted = [fit.log_odds(row.values) for row in held_out]
    current = [float(row.score) for row in held_out]
    suggested = [_linear(row.values, [rule.points for rule in rules]) for row in held_out]
    return Holdout(
        len(training),
        len(held_out),
        held_out[0].at if held_out else None,
        auc(list(zip(fitted, outcomes, strict=True))),
        auc(list(zip(current, outcomes, strict=True))),
        auc(list(zip(suggested, outcomes, strict=True))),
    )

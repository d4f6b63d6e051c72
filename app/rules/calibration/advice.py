"""What `leadflow calibrate --suggest` found (docs/calibration.md, Suggestions): the lifts, the sufficiency verdict
and, when the outcomes suffice, the suggested points; and the proposal built from them — the suggested file, its
diff and its backtest against the current model. Pure: the shell reads the rows and runs the backtest.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from app.rules.calibration.backtest import BacktestReport
from app.rules.calibration.features import Feature, FeatureKind, FeatureRow
from app.rules.calibration.lifts import Lift, rule_lifts
from app.rules.calibration.outcomes import Outcome
from app.rules.calibration.sufficiency import OutcomeSufficiency, outcome_sufficiency
from app.rules.calibration.suggestions import Fitter, NoSuggestion, Suggestion, suggest


@dataclass(frozen=True)
class Advice:
    """The analysis of one outcome over the cohort's decision-time rows; `suggestion` is None when the outcomes are
    too few (the sufficiency rule of the calibration report)."""

    outcome: Outcome
    model: str  # the current model's name
    cycles: int  # the cohort's cycles
    pending: int  # of them, those whose outcome is not known yet
    rows: int  # those with a known outcome: the rows fitted and counted
    lifts: tuple[Lift, ...]
    sufficiency: OutcomeSufficiency
    suggestion: Suggestion | NoSuggestion | None

    @property
    def changed_points(self) -> dict[tuple[FeatureKind, str], int]:
        """The changed rules' new points by (kind, id); empty without a suggestion."""
        if not isinstance(self.suggestion, Suggestion):
            return {}
        return {(r.feature.kind, r.feature.id): int(r.points) for r in self.suggestion.changed}


def advise(
    model: str,
    features: Sequence[Feature],
    rows: Sequence[FeatureRow],
    outcome: Outcome,
    cohort: tuple[int, int],
    fitter: Fitter,
) -> Advice:
    """Count the lifts, judge sufficiency and, when the outcomes suffice, suggest points; `cohort`: the cohort's
    cycles and how many of them are pending."""
    positives = sum(1 for row in rows if row.positive)
    sufficiency = outcome_sufficiency(positives, len(rows) - positives)
    suggestion = suggest(features, rows, fitter) if sufficiency.enough else None
    lifts = tuple(rule_lifts(features, rows))
    return Advice(outcome, model, cohort[0], cohort[1], len(rows), lifts, sufficiency, suggestion)


@dataclass(frozen=True)
class Proposal:
    """The suggested scoring model: its name, text and diff against the current file, where it was written (None:
    not written) and its backtest against the current model (None: not run)."""

    model: str
    text: str
    diff: str
    written: str | None = None
    backtest: BacktestReport | None = None

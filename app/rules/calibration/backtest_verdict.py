"""The backtest's verdict: is the candidate better or worse than the current model on the known outcomes, or can't
one tell (docs/calibration.md, Backtest, "Verdict")? Pure; the one wording `leadflow backtest` and the dashboard's
"Last backtest" panel both print.

Per outcome (accepted, deal, won), two comparisons, the current model's figure taken as the reference:

- **captured**: the model's positives over reality's known positives (how many good leads it would have qualified);
- **rate**: its positives over its known outcomes (how good the leads it qualifies are).

The candidate is *above* on a comparison when its Wilson 95 % interval lies wholly above the current model's figure,
*below* when wholly below. An outcome is `better` when the candidate is above on one comparison and below on none,
`worse` the other way round, else `can't tell` (no clear difference, or a trade of one for the other); with fewer
than MIN_EACH known positives in reality it is `can't tell` (too few outcomes). Overall: `better` when an outcome is
better and none worse, `worse` the other way round, else `can't tell`. A rule of thumb, not a paired test: both
models are judged on the same leads.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from app.rules.calibration.backtest import BacktestReport
from app.rules.calibration.outcomes import OUTCOMES
from app.rules.calibration.sufficiency import MIN_EACH
from app.rules.kpis.figures import Ratio
from app.rules.kpis.intervals import wilson
from app.rules.kpis.table import percent

Judgement = Literal["better", "worse", "can't tell"]


@dataclass(frozen=True)
class OutcomeComparison:
    """One outcome under both models: positives over known outcomes, and reality's known positives."""

    outcome: str
    known_positives: int
    current: Ratio
    candidate: Ratio

    @property
    def judgement(self) -> Judgement:
        """Return the outcome's verdict."""
        if self.known_positives < MIN_EACH:
            return "can't tell"
        return _judged({_side(self.captured("candidate"), self.captured("current")),
                        _side(self.candidate, self.current)})  # fmt: skip

    def captured(self, which: str) -> Ratio:
        """The model's positives over reality's known positives."""
        return Ratio((self.current if which == "current" else self.candidate).part, self.known_positives)

    def line(self) -> str:
        """Return the outcome's verdict with its figures, as printed."""
        if self.known_positives < MIN_EACH:
            return (f"{self.outcome}: can't tell (too few outcomes: {self.known_positives} known positive(s) in "
                    f"reality, {MIN_EACH} needed)")  # fmt: skip
        captured = self.captured("candidate").part, self.known_positives, self.captured("current").part
        figures = (
            f"captures {captured[0]} of {captured[1]} known positives (current {captured[2]}); "
            f"rate {percent(self.candidate)} (current {percent(self.current)})"
        )
        return f"{self.outcome}: {self.judgement} — {figures}"


@dataclass(frozen=True)
class BacktestVerdict:
    """The verdict of a backtest: overall and per outcome."""

    outcomes: tuple[OutcomeComparison, ...]

    @property
    def judgement(self) -> Judgement:
        """Return the overall verdict."""
        return _judged({_OUTCOME_SIDE[outcome.judgement] for outcome in self.outcomes})

    def headline(self) -> str:
        """Return the verdict's first line, as printed."""
        if self.judgement == "can't tell":
            return "verdict: can't tell whether the candidate is better or worse than the current model"
        return f"verdict: the candidate is {self.judgement} than the current model on the known outcomes"

    def lines(self) -> list[str]:
        """Return the headline and one indented line per outcome."""
        return [self.headline(), *(f"  {outcome.line()}" for outcome in self.outcomes)]

    def document(self) -> dict[str, Any]:
        """Return `{"judgement", "outcomes": {outcome: judgement}}`."""
        return {"judgement": self.judgement, "outcomes": {o.outcome: o.judgement for o in self.outcomes}}


_OUTCOME_SIDE = {"better": 1, "worse": -1, "can't tell": 0}


def report_verdict(report: BacktestReport) -> BacktestVerdict:
    """Return the verdict of a backtest report."""
    return BacktestVerdict(tuple(
        OutcomeComparison(outcome, report.known_positives[outcome], report.current.outcomes[outcome].ratio,
                          report.candidate.outcomes[outcome].ratio)
        for outcome in OUTCOMES
    ))  # fmt: skip


def document_verdict(document: Mapping[str, Any]) -> BacktestVerdict:
    """Return the verdict of a backtest's JSON object (`leadflow backtest --json`, as recorded)."""
    outcomes = document["outcomes"]

    def ratio(which: str, outcome: str) -> Ratio:
        found = outcomes[which][outcome]
        return Ratio(int(found["positives"]), int(found["known"]))

    return BacktestVerdict(tuple(
        OutcomeComparison(outcome, int(outcomes["known_positives"][outcome]), ratio("current", outcome),
                          ratio("candidate", outcome))
        for outcome in OUTCOMES
    ))  # fmt: skip


def _side(candidate: Ratio, current: Ratio) -> int:
    """1 when the candidate's interval lies wholly above the current figure, -1 wholly below, else 0."""
    found = wilson(candidate)
    if found is None or current.whole == 0:
        return 0
    reference = current.part / current.whole
    return 1 if found[0] > reference else -1 if found[1] < reference else 0


def _judged(sides: set[int]) -> Judgement:
    if 1 in sides and -1 not in sides:
        return "better"
    if -1 in sides and 1 not in sides:
        return "worse"
    return "can't tell"

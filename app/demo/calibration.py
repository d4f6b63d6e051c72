"""The demo's calibration section: what the score and grade at MQL predicted over the demo's months (the report of
`leadflow calibrate`, app/rules/calibration), then checked against the ground truth only a simulation has: who the
buyers really were (the simulator's personas).

The check: among the demo's MQLs, do the real buyers (personas evaluator, champion, researcher) get better grades
at MQL than the tire-kickers (tire-kicker, student, competitor)? Grades are ranked best first in the model's order
(fit letter first, then engagement digit: A1, A2, …, B4), tied grades sharing their mean rank; the check passes when
the real buyers' mean rank is the better (smaller) one. Also said: how often a real buyer's grade ranks above a
tire-kicker's over all their pairs (ties half: the Mann–Whitney AUC of the grade), and each group's share of fit A.
Existing customers belong to neither group. The personas are never tuned to make the check pass.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

from app.demo.kpis import Window
from app.demo.runtime import Runtime
from app.rules.calibration import CalibrationReport, CalibrationSettings, Horizon, calibrate
from app.rules.calibration import Window as MqlWindow
from app.rules.calibration.outcomes import cohort
from app.rules.calibration.ranking import auc, mid_ranks
from app.rules.calibration.table import decimals, group_lines, outcome_verdict
from app.rules.kpis import LeadCycle
from app.rules.kpis.figures import percent_figure
from app.sync.kpis.facts import ledger_facts
from hubspot_twin.simulator import SeededPortal

Echo = Callable[[str], None]
REAL_BUYERS = ("evaluator", "champion", "researcher")
TIRE_KICKERS = ("tire-kicker", "student", "competitor")


@dataclass(frozen=True)
class GradeGroup:
    """One side of the check: its MQL cycles with a grade, their mean rank (1: the best grade) and share of fit A."""

    mqls: int
    mean_rank: Fraction | None
    fit_a: Fraction | None


@dataclass(frozen=True)
class GroundTruth:
    """The real buyers' grades at MQL against the tire-kickers': each group, the share of (buyer, tire-kicker) pairs
    where the buyer's grade ranks above (ties half; None without both), and the verdict (None: cannot tell)."""

    buyers: GradeGroup
    kickers: GradeGroup
    above: Fraction | None

    @property
    def ranks_above(self) -> bool | None:
        """Return whether the real buyers' mean rank is better than the tire-kickers', None without both."""
        if self.buyers.mean_rank is None or self.kickers.mean_rank is None:
            return None
        return self.buyers.mean_rank < self.kickers.mean_rank


def grade_value(grade: str, ordered: Sequence[str]) -> int:
    """Return the grade's value, higher for a better grade (the best is the first of `ordered`)."""
    return len(ordered) - ordered.index(grade)


def ground_truth(cycles: Sequence[LeadCycle], personas: Mapping[str, str]) -> GroundTruth:
    """Return the check over the cycles with a grade at MQL whose contact is a real buyer or a tire-kicker."""
    sides: list[tuple[str, bool]] = []
    for cycle in cycles:
        persona = personas.get(cycle.contact or "")
        if cycle.grade_at_mql and persona in REAL_BUYERS + TIRE_KICKERS:
            sides.append((cycle.grade_at_mql, persona in REAL_BUYERS))
    ordered = sorted({grade for grade, _ in sides})  # A1 < A2 < … < B4: best first
    values = [grade_value(grade, ordered) for grade, _ in sides]
    ranks = mid_ranks([-value for value in values])  # 1: the best grade
    groups = {
        buyer: _group([rank for rank, (_, side) in zip(ranks, sides, strict=True) if side == buyer],
                      [grade for grade, side in sides if side == buyer])
        for buyer in (True, False)
    }  # fmt: skip
    above = auc([(value, buyer) for value, (_, buyer) in zip(values, sides, strict=True)]).value
    return GroundTruth(groups[True], groups[False], above)


def _group(ranks: Sequence[Fraction], grades: Sequence[str]) -> GradeGroup:
    if not grades:
        return GradeGroup(0, None, None)
    fit_a = Fraction(sum(1 for grade in grades if grade.startswith("A")), len(grades))
    return GradeGroup(len(grades), sum(ranks, Fraction(0)) / len(ranks), fit_a)


def verdict_line(truth: GroundTruth) -> str:
    """Return the check said plainly: `real buyers' grades rank above tire-kickers': yes (fit A 71 % vs 28 %)`."""
    found = truth.ranks_above
    if found is None:
        missing = "real buyer" if truth.buyers.mqls == 0 else "tire-kicker"
        return f"real buyers' grades rank above tire-kickers': cannot tell (no {missing} reached MQL with a grade)"
    shares = f"fit A {_share(truth.buyers.fit_a)} vs {_share(truth.kickers.fit_a)}"
    return f"real buyers' grades rank above tire-kickers': {'yes' if found else 'no'} ({shares})"


def _share(value: Fraction | None) -> str:
    return "–" if value is None else f"{percent_figure(value)} %"


def print_calibration(runtime: Runtime, portal: SeededPortal, window: Window, echo: Echo) -> GroundTruth:
    """Print the calibration of the demo's MQLs from the ledger (as `leadflow calibrate --from --to --as-of`): the
    AUC of the score at MQL for acceptance, conversion by grade, and the check against the personas."""
    container = runtime.container
    start, end, as_of = window
    facts = ledger_facts(container.ledger, container.model.qualified_stages)
    settings = CalibrationSettings(MqlWindow(start, end), Horizon(as_of))
    report = calibrate(facts, settings)
    echo(f"\nWhat the score predicted (leadflow calibrate --from {start:%Y-%m-%d} --to {end:%Y-%m-%d}): "
         f"{report.cycles} MQL cycle(s), {report.scored} with a score at MQL")  # fmt: skip
    echo(_acceptance_line(report))
    echo(f"  (deal and won are read {settings.horizon.mature_days} days after the MQL, or after a rejection: "
         f"{report.immature} cycle(s) not yet matured, their deals and wins pending)")  # fmt: skip
    echo("  Conversion by grade at MQL")
    for line in group_lines("grade", report.by_grade):
        echo(f"  {line}")
    personas = {contact.id: contact.persona.name for contact in portal.contacts}
    truth = ground_truth(cohort(facts, settings.window, settings.horizon), personas)
    echo(f"  Ground truth (the simulator's personas): real buyers ({', '.join(REAL_BUYERS)}) {truth.buyers.mqls} "
         f"MQL(s), tire-kickers ({', '.join(TIRE_KICKERS)}) {truth.kickers.mqls} MQL(s)")  # fmt: skip
    if truth.above is not None:
        echo(f"  mean rank of the grade at MQL (1 = the best): real buyers {decimals(truth.buyers.mean_rank, 1)}, "
             f"tire-kickers {decimals(truth.kickers.mean_rank, 1)}; a real buyer's grade above a tire-kicker's in "
             f"{percent_figure(truth.above)} % of pairs")  # fmt: skip
    echo(f"  {verdict_line(truth)}")
    return truth


def _acceptance_line(report: CalibrationReport) -> str:
    figures = report.outcomes["accepted"]
    found = figures.auc
    return (f"  AUC of the score at MQL for acceptance: {decimals(found.value, 3)} ({found.positives} accepted, "
            f"{found.negatives} rejected; {outcome_verdict(figures)})")  # fmt: skip

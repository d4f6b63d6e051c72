"""The demo's backtest checks (app/demo/backtest.py): the inverted model turns every weight, is judged worse by
`leadflow backtest`'s own verdict, and the threshold's verdict reads the chosen threshold's weeks."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from fractions import Fraction
from pathlib import Path

from app.demo.backtest import InvertedCheck, inverted, verdict_line
from app.rules import assess, load_scoring_model
from app.rules.calibration.backtest import BacktestReport, BacktestWindow, ModelFigures
from app.rules.calibration.sweep import Sweep, Tried, WeeklyVolume
from app.rules.scoring.engagement import EngagementEvent

SCORING = Path(__file__).resolve().parents[2] / "config" / "scoring.yaml"
NOW = datetime(2026, 11, 2, 9, tzinfo=UTC)
WINDOW = BacktestWindow(datetime(2026, 9, 7, tzinfo=UTC), NOW)


def test_the_inverted_model_turns_every_weight_and_qualifies_a_buyer_no_more() -> None:
    model = load_scoring_model(SCORING)
    bad = inverted(model)
    assert bad.model == f"{model.model}-inverted"
    assert [r.points for r in bad.fit_rules] == [-r.points for r in model.fit_rules]
    assert [e.points for e in bad.events] == [-e.points for e in model.events]
    assert [e.cap for e in bad.events] == [e.cap for e in model.events] and bad.stages == model.stages
    buyer = {"hs_buying_role": "DECISION_MAKER", "country": "Germany", "email": "a@kessler.de"}
    company = {"industry": "MACHINERY", "numberofemployees": "250"}
    events = [EngagementEvent("demo_request", NOW), EngagementEvent("whitepaper_download", NOW)]
    assert assess(model, buyer, company, events, NOW).stage == "mql"
    assert assess(bad, buyer, company, events, NOW).stage is None


def figures(name: str, accepted: int, rejected: int) -> ModelFigures:
    found = ModelFigures(name)
    found.outcomes["accepted"].positives, found.outcomes["accepted"].negatives = accepted, rejected
    return found


def check(current: tuple[int, int], candidate: tuple[int, int], known: int = 57) -> InvertedCheck:
    report = BacktestReport(WINDOW, NOW, figures("current", *current), figures("inverted", *candidate))
    report.known_positives["accepted"] = known
    return InvertedCheck(report)


def test_worse_is_the_backtests_own_verdict_on_the_known_outcomes() -> None:
    assert check((57, 48), (0, 0)).worse  # captures none of the 57 accepted leads the current model captures
    assert check((57, 48), (20, 60)).worse  # fewer captured, and a worse rate
    assert not check((57, 48), (57, 48)).worse
    assert not check((20, 60), (57, 48)).worse  # better
    assert not check((5, 3), (0, 0), known=5).worse  # too few known positives to tell


def sweep_with(weeks: tuple[int, ...], capacity: int) -> Sweep:
    names = tuple(f"2026-W{37 + n}" for n in range(len(weeks)))
    volume = WeeklyVolume(20, tuple(zip(names, weeks, strict=True)), 80, Fraction(len(weeks)))
    chosen = Tried(volume, ModelFigures("m+engagement>=20", Counter()))
    current = Tried(WeeklyVolume(None, volume.weeks, 80, Fraction(len(weeks))), ModelFigures("m"))
    report = BacktestReport(WINDOW, NOW, current.figures, chosen.figures)
    return Sweep(capacity, chosen, (chosen,), current, report)


def test_the_verdict_reads_every_week_of_the_chosen_threshold() -> None:
    assert verdict_line(sweep_with((3, 5, 4), 5)) == (
        "the chosen threshold's weekly MQLs within the configured capacity: yes (peak 5 of 5; 0 of 3 week(s) over it)"
    )
    # The search read the 80th percentile: one week in five over the capacity still fits it, not this check.
    assert verdict_line(sweep_with((3, 9, 4, 2, 1), 5)).endswith(": no (peak 9 of 5; 1 of 5 week(s) over it)")

"""The demo's backtest section: two checks on the demo's months that only a backtest answers (docs/calibration.md,
The demo's backtest checks).

1. A deliberately bad candidate — the running model with the sign of every weight turned (fit rules and engagement
   events) — backtested against the demo's ledger and the twin's property histories, as `leadflow backtest` does:
   it is **worse** when `leadflow backtest`'s own verdict says so (app/rules/calibration/backtest_verdict.py: on
   the known outcomes, the candidate below the current model on one outcome and above on none).
2. The capacity-aware MQL threshold (`leadflow threshold`) with the demo's routing.yaml: the lowest engagement
   threshold whose weekly MQLs fit the capacity; the check passes when the chosen threshold's weekly MQLs (at the
   percentile) are within it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

from app.demo.kpis import Window
from app.demo.runtime import Runtime
from app.rules.calibration.backtest import BacktestReport, BacktestWindow, ModelFigures
from app.rules.calibration.backtest_verdict import report_verdict
from app.rules.calibration.capacity import response_target, weekly_capacity
from app.rules.calibration.capacity_document import ThresholdAnswer, capacity_lines, fits_rule
from app.rules.calibration.outcomes import Horizon
from app.rules.calibration.sweep import DEFAULT_PERCENTILE, Scale, Sweep, span_weeks, threshold_grid, window_weeks
from app.rules.calibration.table import decimals
from app.rules.calibration.threshold import find_threshold, number_text
from app.rules.kpis.table import percent
from app.rules.scoring.model import ScoringModel
from app.sync.calibration.backtest import BacktestContext, run_backtest
from app.sync.calibration.capacity import search_threshold

Echo = Callable[[str], None]
DEMO_STEP = 5  # the grid of engagement thresholds: 0, 5, …, 100


@dataclass(frozen=True)
class InvertedCheck:
    """The current model against the one with every weight inverted: reality's won deals and accepted leads each
    would have handed sales (captured), and the verdict."""

    report: BacktestReport

    def captured(self, figures: ModelFigures) -> tuple[int, int]:
        """The won deals and the accepted leads of reality the model qualifies in time."""
        return figures.outcomes["won"].positives, figures.outcomes["accepted"].positives

    @property
    def worse(self) -> bool:
        """Whether the backtest's verdict finds the inverted model worse."""
        return report_verdict(self.report).judgement == "worse"


def inverted(model: ScoringModel) -> ScoringModel:
    """The model with the sign of every fit rule's and engagement event's points turned: a deliberately bad one."""
    rules = tuple(replace(rule, points=-rule.points) for rule in model.fit_rules)
    events = tuple(replace(event, points=-event.points) for event in model.events)
    return replace(model, model=f"{model.model}-inverted", fit_rules=rules, events=events)


def print_backtests(runtime: Runtime, window: Window, echo: Echo) -> tuple[InvertedCheck, ThresholdAnswer | None]:
    """Print both checks over the demo's window, from its ledger and the twin, as of the window's end."""
    container = runtime.container
    context = BacktestContext(container.ledger, container.gateway, container.model, container.handover_config,
                              container.routing_config)  # fmt: skip
    start, end, as_of = window
    backtest_window, horizon = BacktestWindow(start, end), Horizon(as_of)
    began = time.monotonic()
    check = InvertedCheck(run_backtest(context, inverted(container.model), backtest_window, horizon))
    _print_inverted(check, start, end, echo)
    echo(f"  (one backtest: {time.monotonic() - began:.1f} s)")
    site = find_threshold(container.model, "engagement")
    capacity = weekly_capacity(container.routing_config, response_target(site.stage, container.sla_config,
                                                                         container.handover_config))  # fmt: skip
    echo(f"\nThe capacity-aware MQL threshold (leadflow threshold --from {start:%Y-%m-%d} --to {end:%Y-%m-%d})")
    echo("\n".join(f"  {line}" for line in capacity_lines(capacity)))
    if capacity.weekly is None:
        return check, None
    grid = threshold_grid(0, container.model.engagement_limit, DEMO_STEP)
    scale = Scale(window_weeks(start, end), span_weeks(start, end), DEFAULT_PERCENTILE)
    began = time.monotonic()
    sweep = search_threshold(context, site, grid, capacity.weekly, backtest_window, scale, horizon)
    answer = ThresholdAnswer(site, capacity, DEMO_STEP, sweep)
    _print_threshold(answer, echo)
    echo(f"  (the search: {time.monotonic() - began:.1f} s)")
    return check, answer


def _print_inverted(check: InvertedCheck, start: datetime, end: datetime, echo: Echo) -> None:
    report = check.report
    echo(f"\nA deliberately bad model, backtested (leadflow backtest --model <every weight inverted> --from "
         f"{start:%Y-%m-%d} --to {end:%Y-%m-%d}): {report.contacts} contacts replayed")  # fmt: skip
    known = report.known_positives
    echo(f"  reality handed over {report.handed_over}: {known['accepted']} accepted, {known['won']} won")
    for which in ("current", "candidate"):
        figures = report.figures(which)
        won, accepted = check.captured(figures)
        rate = percent(figures.outcomes["won"].ratio)
        echo(f"  {figures.model:<28} qualifies {figures.qualified:>4}; captures {won} of {known['won']} won, "
             f"{accepted} of {known['accepted']} accepted; won rate {rate}")  # fmt: skip
    echo("\n".join(f"  {line}" for line in report_verdict(report).lines()))
    echo(f"  the inverted model is worse: {'yes' if check.worse else 'no'}")


def _print_threshold(answer: ThresholdAnswer, echo: Echo) -> None:
    sweep, site = answer.sweep, answer.site
    weeks = [week for week, _ in sweep.current.volume.weeks]
    echo(f"  ISO weeks {weeks[0]} to {weeks[-1]} ({len(weeks)}); fits: {fits_rule(sweep.current.volume.percentile)} "
         f"at most {sweep.capacity}; {len(sweep.tried)} threshold(s) backtested, two a backtest "
         f"({', '.join(number_text(t.threshold) for t in sweep.tried)})")  # fmt: skip
    rows = [("current", site.describe(), sweep.current)]
    if sweep.chosen is not None:
        rows.append(("chosen", site.describe(sweep.chosen.threshold), sweep.chosen))
    for which, comparison, tried in rows:
        volume, outcomes = tried.volume, tried.figures.outcomes
        figures = tried.figures
        echo(f"  {which:<8}{comparison:<18} MQLs a week: mean {decimals(volume.mean, 1)}, peak {volume.peak}; "
             f"qualifies {figures.qualified} ({figures.never_handed_over} never handed over in reality: no outcome); "
             f"accepted {percent(outcomes['accepted'].ratio)}, won {percent(outcomes['won'].ratio)}")  # fmt: skip
    echo(f"  {verdict_line(sweep)}")


def verdict_line(sweep: Sweep) -> str:
    """The check said plainly: whether the chosen threshold's weekly MQLs are within the capacity."""
    if sweep.chosen is None:
        return f"no threshold fits the capacity of {sweep.capacity} a week"
    volume = sweep.chosen.volume
    within = volume.peak <= sweep.capacity  # every week, whatever percentile the search read
    over = sum(n > sweep.capacity for _, n in volume.weeks)
    return (f"the chosen threshold's weekly MQLs within the configured capacity: {'yes' if within else 'no'} "
            f"(peak {volume.peak} of {sweep.capacity}; {over} of {len(volume.weeks)} week(s) over it)")  # fmt: skip

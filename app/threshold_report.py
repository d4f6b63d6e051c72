"""What `leadflow threshold` prints: the lowest MQL threshold whose backtested weekly MQL volume fits what sales
can work within the SLA, with the conversion it would have given (docs/calibration.md, Capacity-aware threshold).

Everything the user can fix is refused first, with exit status 2 and one line, before the ledger or HubSpot is
asked anything: a model without a threshold of the score, an unknown capacity, a window that is not ISO 8601 or
is shorter than a week.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from app.cli_errors import UserInputError, option_instant
from app.rules.calibration.backtest import BacktestWindow
from app.rules.calibration.capacity import WeeklyCapacity, response_target, weekly_capacity
from app.rules.calibration.capacity_document import (
    ThresholdAnswer,
    capacity_document,
    capacity_lines,
    capacity_text,
)
from app.rules.calibration.outcomes import DEFAULT_MATURE_DAYS, Horizon
from app.rules.calibration.sweep import (
    DEFAULT_PERCENTILE,
    DEFAULT_STEP,
    Scale,
    Sweep,
    span_weeks,
    threshold_grid,
    window_weeks,
)
from app.rules.calibration.threshold import ThresholdError, ThresholdSite, find_threshold
from app.rules.configuration import Configuration
from app.rules.kpis import format_instant

DEFAULT_WEEKS = 12  # the window without --from: the twelve weeks before --to


class ThresholdInputError(UserInputError):
    """Input of `leadflow threshold` the user can fix: one line, exit status 2."""


@dataclass(frozen=True)
class ThresholdOptions:
    """The options of `leadflow threshold` as given (times as typed, None when left out)."""

    vary: str = "engagement"
    step: float = DEFAULT_STEP
    window_from: str | None = None
    window_to: str | None = None
    percentile: int = DEFAULT_PERCENTILE
    mature_days: int = DEFAULT_MATURE_DAYS
    as_json: bool = False


@dataclass(frozen=True)
class ThresholdInput:
    """The validated question: where the threshold is, the grid, the capacity, the window, its weeks, the horizon."""

    site: ThresholdSite
    grid: tuple[float, ...]
    capacity: WeeklyCapacity
    window: BacktestWindow
    scale: Scale
    horizon: Horizon


def threshold_input(options: ThresholdOptions, config: Configuration, now: datetime) -> ThresholdInput:
    """Validate the threshold, the capacity and the window (`--to` defaults to `now`, `--from` to 12 weeks before)."""
    try:
        site = find_threshold(config.model, options.vary)
    except ThresholdError as error:
        raise ThresholdInputError(f"--vary {options.vary}: scoring.yaml: {error}") from None
    capacity = weekly_capacity(config.routing, response_target(site.stage, config.sla, config.handover))
    if capacity.weekly is None:
        raise ThresholdInputError("; ".join(capacity_lines(capacity)))
    end = option_instant(options.window_to, "--to") or now
    start = option_instant(options.window_from, "--from") or end - timedelta(weeks=DEFAULT_WEEKS)
    if end - start < timedelta(days=7):
        raise ThresholdInputError(
            f"the window from {format_instant(start)} to {format_instant(end)} is shorter than a week: widen "
            "--from/--to"
        )
    limit = _score_limit(config, site.score)
    if options.step > limit:
        raise ThresholdInputError(f"--step {options.step:g} is wider than the range of {site.score} (0 to {limit:g})")
    grid = threshold_grid(0, limit, options.step)
    horizon = Horizon(now, options.mature_days)
    scale = Scale(window_weeks(start, end), span_weeks(start, end), options.percentile)
    return ThresholdInput(site, grid, capacity, BacktestWindow(start, end), scale, horizon)


def _score_limit(config: Configuration, score: str) -> float:
    model = config.model
    limits = {"fit": model.fit_limit, "engagement": model.engagement_limit}
    return limits.get(score, model.fit_limit + model.engagement_limit)


def run_command(
    options: ThresholdOptions,
    config: Configuration,
    now: datetime,
    search: Callable[[ThresholdInput], Sweep],
) -> str:
    """Validate, search (`search` backtests the thresholds over the ledger and HubSpot), and return what to print."""
    given = threshold_input(options, config, now)
    answer = ThresholdAnswer(given.site, given.capacity, options.step, search(given))
    if options.as_json:
        return json.dumps(capacity_document(answer), ensure_ascii=False, indent=2)
    return "\n".join(capacity_text(answer))

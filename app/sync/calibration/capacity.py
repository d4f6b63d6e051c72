"""The capacity-aware threshold's shell: backtest the thresholds the search asks for over the ledger's contacts
(docs/calibration.md, Capacity-aware threshold).

Each probe of the search is one `run_backtest` of two models — the current one or one with a threshold as
`current`, another as `candidate` — so that no replay is spent twice; the contacts are read again page by page for
each (memory stays that of one backtest).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from app.rules.calibration.backtest import BacktestReport, BacktestWindow
from app.rules.calibration.outcomes import Horizon
from app.rules.calibration.sweep import Scale, Sweep, lowest_fitting
from app.rules.calibration.threshold import ThresholdSite, with_threshold
from app.rules.scoring.model import ScoringModel
from app.sync.calibration.backtest import BacktestContext, run_backtest


def search_threshold(
    ctx: BacktestContext,
    site: ThresholdSite,
    grid: Sequence[float],
    capacity: int,
    window: BacktestWindow,
    scale: Scale,
    horizon: Horizon,
    workers: int = 1,
) -> Sweep:
    """Find the lowest threshold of `grid` whose weekly MQLs fit `capacity`, backtesting the ones it tries (each
    backtest with `workers` processes, as run_backtest)."""

    def model(threshold: float | None) -> ScoringModel:
        return ctx.model if threshold is None else with_threshold(ctx.model, site, threshold)

    def backtest(first: float | None, second: float | None) -> BacktestReport:
        return run_backtest(replace(ctx, model=model(first)), model(second), window, horizon, workers=workers)

    return lowest_fitting(grid, capacity, scale, backtest)

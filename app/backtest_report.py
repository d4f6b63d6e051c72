"""What `leadflow backtest` prints: the current model and a candidate replayed over the ledger's contacts
(docs/calibration.md, Backtest), as text or JSON.

The candidate is validated first, by the one config loader: an invalid file ends the command with the loader's
line (file, rule, problem) and exit status 2, before the ledger or HubSpot is asked anything; so does a window that
is not ISO 8601 or is empty.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from app.cli_errors import UserInputError, option_instant
from app.rules import ConfigError, ScoringModel, load_scoring_model
from app.rules.calibration.backtest import BacktestReport, BacktestWindow
from app.rules.calibration.backtest_document import backtest_document, backtest_text
from app.rules.calibration.outcomes import DEFAULT_MATURE_DAYS, Horizon
from app.rules.kpis import format_instant


class BacktestInputError(UserInputError):
    """Input of `leadflow backtest` the user can fix: one line, exit status 2."""


@dataclass(frozen=True)
class BacktestOptions:
    """The options of `leadflow backtest` as given (times as typed, None when left out)."""

    model: Path
    window_from: str | None = None
    window_to: str | None = None
    mature_days: int = DEFAULT_MATURE_DAYS
    as_json: bool = False


@dataclass(frozen=True)
class BacktestInput:
    """The validated candidate, the window and the outcomes' horizon."""

    candidate: ScoringModel
    window: BacktestWindow
    horizon: Horizon


def backtest_input(options: BacktestOptions, now: datetime) -> BacktestInput:
    """Validate the candidate model and the window (`--to` defaults to `now`, outcomes are read as of `now`)."""
    try:
        candidate = load_scoring_model(options.model)
    except ConfigError as error:
        raise BacktestInputError(str(error)) from None
    start = option_instant(options.window_from, "--from")
    end = option_instant(options.window_to, "--to") or now
    if start is not None and start >= end:
        raise BacktestInputError(
            f"--from {format_instant(start)} is not before --to {format_instant(end)}: the window is empty"
        )
    return BacktestInput(candidate, BacktestWindow(start, end), Horizon(now, options.mature_days))


def backtest_output(options: BacktestOptions, report: BacktestReport) -> str:
    """The report as the command prints it."""
    if options.as_json:
        return json.dumps(backtest_document(report), ensure_ascii=False, indent=2)
    return "\n".join(backtest_text(report))


def run_command(options: BacktestOptions, now: datetime, replay: Callable[[BacktestInput], BacktestReport]) -> str:
    """Validate, replay (`replay` reads the ledger and HubSpot), and return what to print."""
    given = backtest_input(options, now)
    return backtest_output(options, replay(given))

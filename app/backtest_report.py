"""What `leadflow backtest` prints: the current model and a candidate replayed over the ledger's contacts
(docs/calibration.md, Backtest), as text or JSON.

The candidate is validated first, by the one config loader: an invalid file ends the command with the loader's
line (file, rule, problem) and exit status 2, before the ledger or HubSpot is asked anything; so does a window that
is not ISO 8601 or is empty. Every run that completes is recorded in the ledger (unless `--no-record`) with the
candidate file's path and content hash: the dashboard's "Last backtest" panel shows the newest. Both print the
verdict of app/rules/calibration/backtest_verdict.py.
"""

from __future__ import annotations

import getpass
import json
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from app.cli_errors import UserInputError, option_instant
from app.rules import ConfigError, ScoringModel
from app.rules.calibration.backtest import BacktestReport, BacktestWindow
from app.rules.calibration.backtest_document import backtest_document, backtest_text
from app.rules.calibration.backtest_runs import BacktestRun, CandidateFile, backtest_run
from app.rules.calibration.backtest_verdict import report_verdict
from app.rules.calibration.outcomes import DEFAULT_MATURE_DAYS, Horizon
from app.rules.config import read_config_text
from app.rules.kpis import format_instant
from app.rules.scoring.config import parse_scoring_model
from app.rules.scoring.versions import content_hash


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
    record: bool = True  # False: `--no-record`


@dataclass(frozen=True)
class BacktestInput:
    """The validated candidate (and where it was read from), the window and the outcomes' horizon."""

    candidate: ScoringModel
    window: BacktestWindow
    horizon: Horizon
    candidate_file: CandidateFile


def backtest_input(options: BacktestOptions, now: datetime) -> BacktestInput:
    """Validate the candidate model and the window (`--to` defaults to `now`, outcomes are read as of `now`)."""
    try:
        text = read_config_text(options.model)
        candidate = parse_scoring_model(text, str(options.model))
    except ConfigError as error:
        raise BacktestInputError(str(error)) from None
    start = option_instant(options.window_from, "--from")
    end = option_instant(options.window_to, "--to") or now
    if start is not None and start >= end:
        raise BacktestInputError(
            f"--from {format_instant(start)} is not before --to {format_instant(end)}: the window is empty"
        )
    source = CandidateFile(str(options.model.resolve()), content_hash(text, str(options.model)))
    return BacktestInput(candidate, BacktestWindow(start, end), Horizon(now, options.mature_days), source)


def backtest_json(report: BacktestReport) -> dict[str, Any]:
    """The report's JSON object, with its verdict (`{"judgement", "outcomes"}`)."""
    return {**backtest_document(report), "verdict": report_verdict(report).document()}


def backtest_output(options: BacktestOptions, report: BacktestReport) -> str:
    """The report as the command prints it."""
    if options.as_json:
        return json.dumps(backtest_json(report), ensure_ascii=False, indent=2)
    return "\n".join([*backtest_text(report), "", *report_verdict(report).lines()])


def run_command(
    options: BacktestOptions,
    now: datetime,
    replay: Callable[[BacktestInput], BacktestReport],
    record: Callable[[BacktestRun], object] | None = None,
) -> str:
    """Validate, replay (`replay` reads the ledger and HubSpot), record the run with `record` (unless the options
    say not to; a replay that fails records nothing) and return what to print."""
    given = backtest_input(options, now)
    report = replay(given)
    if options.record and record is not None:
        run = backtest_run(report, backtest_json(report), given.horizon.mature_days, given.candidate_file, now,
                           running_user())  # fmt: skip
        record(run)
    return backtest_output(options, report)


def running_user() -> str | None:
    """Return `user@host` of the process, or None when the system cannot say."""
    try:
        return f"{getpass.getuser()}@{socket.gethostname()}"
    except (OSError, KeyError):  # no login name in the environment nor in the password database
        return None

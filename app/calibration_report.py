"""What `leadflow calibrate` prints: the calibration report of docs/calibration.md from the ledger's lead-cycle
facts (or a file of them, `--facts`), as text or JSON.

The window is open unless `--from` or `--to` bound it; `--as-of` defaults to now. Input the user can fix (a time
that is not ISO 8601, an empty window, an unreadable file, a bad facts line) ends the command with one line and
exit status 2, like click's own usage errors.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from app.cli_errors import UserInputError, option_instant
from app.kpis_report import read_facts
from app.rules.calibration import DEFAULT_MATURE_DAYS, CalibrationSettings, Horizon, Window, calibrate
from app.rules.calibration.bands import DEFAULT_WIDTH
from app.rules.calibration.document import calibration_document
from app.rules.calibration.table import calibration_table
from app.rules.kpis import LeadCycle, format_instant


class CalibrateInputError(UserInputError):
    """Input of `leadflow calibrate` the user can fix: one line, exit status 2."""


@dataclass(frozen=True)
class CalibrateOptions:
    """The options of `leadflow calibrate` as given (times as typed, None when left out)."""

    facts: Path | None = None  # None: the ledger's facts
    window_from: str | None = None
    window_to: str | None = None
    as_of: str | None = None
    mature_days: int = DEFAULT_MATURE_DAYS
    band_width: int | None = None  # None: DEFAULT_WIDTH
    quantiles: int | None = None
    compare_from: str | None = None
    compare_to: str | None = None
    as_json: bool = False
    model: str | None = None  # --model-version


def calibrate_output(options: CalibrateOptions, now: datetime, ledger_facts: Callable[[], Sequence[LeadCycle]]) -> str:
    """Return what `leadflow calibrate` prints, `now` being the default `--as-of`; the facts come from `--facts`,
    else from `ledger_facts`."""
    settings = calibration_settings(options, now)
    facts = read_facts(options.facts) if options.facts is not None else ledger_facts()
    report = calibrate(facts, settings)
    if options.as_json:
        return json.dumps(calibration_document(report), ensure_ascii=False, indent=2)
    return calibration_table(report)


def calibration_settings(options: CalibrateOptions, now: datetime) -> CalibrationSettings:
    """Return the report's settings; refuse an empty window or compared period, or half a compared period."""
    as_of = option_instant(options.as_of, "--as-of") or now
    window = _window(options.window_from, options.window_to, "--from", "--to")
    compare = _window(options.compare_from, options.compare_to, "--compare-from", "--compare-to")
    if (options.compare_from is None) != (options.compare_to is None):
        raise CalibrateInputError("--compare-from and --compare-to go together: name the compared period's both ends")
    if options.band_width is not None and options.quantiles is not None:
        raise CalibrateInputError(
            "--band-width and --quantiles exclude each other: bands have a width or are cut at quantiles"
        )
    return CalibrationSettings(
        window=window,
        horizon=Horizon(as_of, options.mature_days),
        band_width=options.band_width or DEFAULT_WIDTH,
        quantiles=options.quantiles,
        compare=compare if options.compare_from is not None else None,
        model=options.model,
    )


def _window(start_text: str | None, end_text: str | None, start_option: str, end_option: str) -> Window:
    start, end = option_instant(start_text, start_option), option_instant(end_text, end_option)
    if start is not None and end is not None and start >= end:
        raise CalibrateInputError(
            f"{start_option} {format_instant(start)} is not before {end_option} {format_instant(end)}: "
            "the period is empty"
        )
    return Window(start, end)

"""What `leadflow calibrate --suggest` prints: per-rule lifts and, when the outcomes suffice, suggested points as a
diff of scoring.yaml with their backtest (docs/calibration.md, Suggestions), as text or JSON. It never changes the
running model: `--write PATH` writes the suggested file for a person to review and publish, and refuses the
configuration's own scoring.yaml.

Input the user can fix — a time that is not ISO 8601, an empty window, `--write` naming the running scoring.yaml or
a file that cannot be written, scikit-learn missing — ends the command with one line and exit status 2.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from app.calibration_report import CalibrateOptions, calibration_settings
from app.cli_errors import UserInputError
from app.rules.calibration.advice import Advice, Proposal
from app.rules.calibration.advice_document import advice_document, advice_text
from app.rules.calibration.outcomes import DEFAULT_MATURE_DAYS, Outcome
from app.sync.calibration.regression import CalibrateExtraMissing, logistic_fitter
from app.sync.calibration.suggest import (
    SuggestContext,
    SuggestRequest,
    expected_effect,
    propose,
    run_suggestions,
)

REPORT_ONLY = {
    "--facts": "facts",
    "--band-width": "band_width",
    "--quantiles": "quantiles",
    "--compare-from": "compare_from",
    "--compare-to": "compare_to",
}


class SuggestInputError(UserInputError):
    """Input of `leadflow calibrate --suggest` the user can fix: one line, exit status 2."""


@dataclass(frozen=True)
class SuggestOptions:
    """The options of `leadflow calibrate --suggest` as given (times as typed, None when left out)."""

    window_from: str | None = None
    window_to: str | None = None
    as_of: str | None = None
    mature_days: int = DEFAULT_MATURE_DAYS
    outcome: Outcome = "won"
    write: Path | None = None
    as_json: bool = False


def suggest_options(
    report: CalibrateOptions, suggest: bool, outcome: Outcome | None, write: Path | None
) -> SuggestOptions:
    """The suggestions' options from `calibrate`'s; refuse `--outcome` or `--write` without `--suggest`, and the
    report's own options with it (`--suggest` reads the ledger and HubSpot, and draws no bands)."""
    if not suggest:
        given = "--outcome" if outcome is not None else "--write"
        raise SuggestInputError(f"{given} goes with --suggest: it says what to suggest for, or where to write it")
    mixed = [name for name, value in REPORT_ONLY.items() if getattr(report, value) is not None]
    if mixed:
        raise SuggestInputError(f"{', '.join(mixed)}: an option of the calibration report, not of --suggest")
    return SuggestOptions(report.window_from, report.window_to, report.as_of, report.mature_days, outcome or "won",
                          write, report.as_json)  # fmt: skip


def suggest_output(options: SuggestOptions, now: datetime, context: Callable[[], SuggestContext]) -> str:
    """Validate, read the cohort (`context` opens the ledger and HubSpot), suggest, write, backtest, and return what
    to print."""
    request = suggest_request(options, now)
    ctx = context()
    if options.write is not None:
        refuse_running_model(options.write, Path(ctx.scoring_file))
    advice = run_suggestions(ctx, request)
    proposal = propose(ctx, advice, request.horizon.as_of)
    if proposal is not None:
        if options.write is not None:
            proposal = replace(proposal, written=write_model(options.write, proposal.text))
        proposal = expected_effect(ctx, proposal, request.window, request.horizon)
    return render(options, advice, proposal)


def suggest_request(options: SuggestOptions, now: datetime) -> SuggestRequest:
    """The window and horizon as `calibrate` reads them, the outcome, and the fitter (scikit-learn's)."""
    settings = calibration_settings(
        CalibrateOptions(None, options.window_from, options.window_to, options.as_of, options.mature_days), now
    )
    try:
        fitter = logistic_fitter()
    except CalibrateExtraMissing as missing:
        raise SuggestInputError(f"calibrate --suggest {missing}") from None
    return SuggestRequest(settings.window, settings.horizon, options.outcome, fitter)


def refuse_running_model(target: Path, running: Path) -> None:
    """Refuse to write over the running configuration's scoring.yaml: suggestions are never silent changes."""
    if target.resolve() == running.resolve():
        raise SuggestInputError(
            f"--write {target}: that is the running model's file; write the suggestion elsewhere, review it, then "
            "publish it yourself"
        )


def write_model(target: Path, text: str) -> str:
    """Write the suggested model's text; a file that cannot be written is the user's to fix."""
    try:
        target.write_text(text, encoding="utf-8")
    except OSError as error:
        raise SuggestInputError(f"--write {target}: cannot write the file: {error.strerror or error}") from None
    return str(target)


def render(options: SuggestOptions, advice: Advice, proposal: Proposal | None) -> str:
    """The suggestions as the command prints them."""
    if options.as_json:
        return json.dumps(advice_document(advice, proposal), ensure_ascii=False, indent=2)
    lines = advice_text(advice, proposal)
    if options.write is not None and proposal is None:
        lines.append(f"nothing written to {options.write}: there is no suggestion")
    return "\n".join(lines)

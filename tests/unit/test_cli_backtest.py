"""`leadflow backtest`: the candidate and the window are validated before anything is read — one line, status 2."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from app.backtest_report import BacktestInput, BacktestOptions, run_command
from app.cli import main
from app.rules.calibration.backtest import BacktestReport, ModelFigures
from app.rules.calibration.backtest_runs import BacktestRun
from app.sync.hubspot.errors import TransientHubSpotError

SCORING = Path(__file__).resolve().parents[2] / "config" / "scoring.yaml"
NOW = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)


def backtest(*arguments: str) -> Result:
    return CliRunner().invoke(main, ["backtest", *arguments])


def test_an_invalid_candidate_is_the_config_loaders_line_naming_file_rule_and_problem(tmp_path: Path) -> None:
    broken = tmp_path / "candidate.yaml"
    broken.write_text(SCORING.read_text().replace("points: 25", "points: lots", 1))
    result = backtest("--model", str(broken))
    assert result.exit_code == 2
    (line,) = result.output.splitlines()
    assert line.startswith(f"Error: {broken}: rule 'target-industry': "), line


def test_a_missing_candidate_file_is_one_line(tmp_path: Path) -> None:
    result = backtest("--model", str(tmp_path / "nowhere.yaml"))
    assert result.exit_code == 2
    assert len(result.output.splitlines()) == 1 and "nowhere.yaml" in result.output


def test_an_empty_or_unreadable_window_is_refused_before_the_ledger_is_opened() -> None:
    result = backtest("--model", str(SCORING), "--from", "2026-12-01", "--to", "2026-11-01")
    assert (result.exit_code, result.output.strip()) == (
        2, "Error: --from 2026-12-01T00:00:00Z is not before --to 2026-11-01T00:00:00Z: the window is empty"
    )  # fmt: skip
    result = backtest("--model", str(SCORING), "--from", "soon")
    assert result.exit_code == 2 and "--from: 'soon' is not an ISO 8601 date or time" in result.output


def test_a_replay_that_fails_records_nothing_and_no_record_records_nothing() -> None:
    recorded: list[BacktestRun] = []
    options = BacktestOptions(SCORING)

    def failing(_given: BacktestInput) -> BacktestReport:
        raise TransientHubSpotError("HubSpot answered 503 three times")

    with pytest.raises(TransientHubSpotError):
        run_command(options, NOW, failing, recorded.append)
    assert recorded == []

    def empty(given: BacktestInput) -> BacktestReport:
        model = given.candidate.model
        return BacktestReport(given.window, NOW, ModelFigures(model), ModelFigures(model))

    run_command(BacktestOptions(SCORING, record=False), NOW, empty, recorded.append)
    assert recorded == []
    run_command(options, NOW, empty, recorded.append)
    (run,) = recorded
    assert (run.ran_at, run.candidate.path, run.verdict) == (NOW, str(SCORING), "can't tell")

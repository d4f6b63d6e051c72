"""`leadflow calibrate --suggest`: its options are checked, and scikit-learn's absence is one line with status 2,
before the ledger or HubSpot is asked anything."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from app.cli import main
from app.suggestion_report import SuggestInputError, refuse_running_model, write_model

SCORING = Path(__file__).resolve().parents[2] / "config" / "scoring.yaml"


def calibrate(*arguments: str) -> Result:
    return CliRunner().invoke(main, ["calibrate", *arguments])


def test_without_scikit_learn_the_command_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [m for m in sys.modules if m == "sklearn" or m.startswith("sklearn.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "sklearn", None)  # as if the calibrate extra were not installed
    result = calibrate("--suggest")
    assert (result.exit_code, result.output) == (
        2, "Error: calibrate --suggest needs scikit-learn: pip install 'leadflow[calibrate]'\n"
    )  # fmt: skip


def test_the_suggestions_options_go_with_suggest_and_the_reports_own_do_not() -> None:
    result = calibrate("--outcome", "accepted")
    assert (result.exit_code, result.output.strip()) == (
        2, "Error: --outcome goes with --suggest: it says what to suggest for, or where to write it"
    )  # fmt: skip
    result = calibrate("--write", "x.yaml")
    assert result.exit_code == 2 and result.output.startswith("Error: --write goes with --suggest")
    result = calibrate("--suggest", "--facts", "facts.jsonl", "--quantiles", "4")
    assert (result.exit_code, result.output.strip()) == (
        2, "Error: --facts, --quantiles: an option of the calibration report, not of --suggest"
    )  # fmt: skip
    result = calibrate("--suggest", "--outcome", "sold")
    assert result.exit_code == 2 and "'sold' is not one of 'accepted', 'deal', 'won'" in result.output


def test_a_bad_window_is_refused_before_the_ledger_is_opened() -> None:
    result = calibrate("--suggest", "--from", "2026-12-01", "--to", "2026-11-01")
    assert (result.exit_code, result.output.strip()) == (
        2, "Error: --from 2026-12-01T00:00:00Z is not before --to 2026-11-01T00:00:00Z: the period is empty"
    )  # fmt: skip


def test_the_running_models_file_is_never_the_target(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(SCORING.parent)
    with pytest.raises(SuggestInputError, match=r"^--write scoring.yaml: that is the running model's file"):
        refuse_running_model(Path("scoring.yaml"), SCORING)
    refuse_running_model(tmp_path / "scoring.yaml", SCORING)  # another file of the same name is fine


def test_a_file_that_cannot_be_written_is_one_line_naming_the_option(tmp_path: Path) -> None:
    target = tmp_path / "missing" / "suggested.yaml"
    with pytest.raises(SuggestInputError) as refused:
        write_model(target, "model: m\n")
    assert str(refused.value.message) == f"--write {target}: cannot write the file: No such file or directory"
    assert write_model(tmp_path / "suggested.yaml", "model: m\n") == str(tmp_path / "suggested.yaml")
    assert (tmp_path / "suggested.yaml").read_text() == "model: m\n"

"""`leadflow threshold`: the threshold, the capacity and the window are validated before the ledger or HubSpot is
asked anything — one line naming the file or option, exit status 2."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from app.cli import main

CONFIG = Path(__file__).resolve().parents[2] / "config"


def threshold(*arguments: str, config: Path = CONFIG) -> Result:
    return CliRunner().invoke(main, ["threshold", *arguments], env={"LEADFLOW_CONFIG": str(config)})


@pytest.fixture
def config_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "config"
    shutil.copytree(CONFIG, copy)
    return copy


def test_a_score_the_mql_stage_does_not_bound_is_refused_naming_the_stage() -> None:
    result = threshold("--vary", "score")
    assert result.exit_code == 2
    assert result.output.strip() == (
        "Error: --vary score: scoring.yaml: stage 'mql': its 'when' (fit >= 40 and engagement >= 15) has no "
        "comparison 'score >= NUMBER' joined by 'and'/'or' (not under 'not'); the MQL threshold must be exactly one"
    )


def test_an_unknown_capacity_names_the_owners_and_asks_for_a_weekly_capacity(config_copy: Path) -> None:
    routing = config_copy / "routing.yaml"
    routing.write_text(routing.read_text().replace("    weekly_capacity: 8\n", ""))
    result = threshold(config=config_copy)
    assert result.exit_code == 2
    (line,) = result.output.splitlines()
    assert line.startswith("Error: capacity: unknown; ")
    assert "sam.taylor@example.com (pool international-team): unknown — no cap and no weekly_capacity" in line
    assert line.endswith("give a 'weekly_capacity' in routing.yaml")


def test_a_window_shorter_than_a_week_and_bad_options_are_refused() -> None:
    result = threshold("--from", "2026-11-03", "--to", "2026-11-08")
    assert (result.exit_code, result.output.strip()) == (
        2, "Error: the window from 2026-11-03T00:00:00Z to 2026-11-08T00:00:00Z is shorter than a week: widen "
           "--from/--to"
    )  # fmt: skip
    assert threshold("--to", "later").exit_code == 2
    assert "--to: 'later' is not an ISO 8601 date or time" in threshold("--to", "later").output
    assert threshold("--vary", "grade").exit_code == 2
    assert threshold("--step", "0").exit_code == 2
    assert threshold("--percentile", "101").exit_code == 2
    wide = threshold("--step", "500", "--from", "2026-10-05", "--to", "2026-11-02")
    assert (wide.exit_code, wide.output.strip()) == (
        2, "Error: --step 500 is wider than the range of engagement (0 to 100)"
    )  # fmt: skip


def test_an_invalid_weekly_capacity_is_the_loaders_line(config_copy: Path) -> None:
    routing = config_copy / "routing.yaml"
    routing.write_text(routing.read_text().replace("weekly_capacity: 8", "weekly_capacity: 0"))
    result = threshold(config=config_copy)
    assert result.exit_code == 1  # a configuration problem, as every command reports it
    assert result.output.strip() == (
        f"Error: {routing}: pool 'international-team': 'weekly_capacity' should be greater than or equal to 1, got 0"
    )

"""`leadflow threshold` on a ledger the real drain filled (the backtest's three leads: a buyer sales accepted, a
lead sales rejected, a free-mail tire-kicker), the twin over HTTP with the official SDK, on SQLite and PostgreSQL.

Both qualified leads reached engagement 15 (a whitepaper and a demo request) and fit at least 40, so under the
shipped `mql` stage (`fit >= 40 and engagement >= 15`) the week holds 2 MQLs at every engagement threshold up to 15,
and none from 20 on: with a capacity of one lead a week the lowest fitting threshold is 20.
"""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

from app.rules.calibration.backtest import BacktestWindow
from app.rules.calibration.outcomes import Horizon
from app.rules.calibration.sweep import Scale, span_weeks, threshold_grid, window_weeks
from app.rules.calibration.threshold import find_threshold
from app.sync.calibration.capacity import search_threshold
from tests.conftest import REDIS_URL
from tests.e2e.test_backtest import LEADFLOW, ROOT, Filled, filled  # noqa: F401  (the fixture)
from tests.support.app import command_env
from tests.support.processes import describe, run_command


def this_week() -> tuple[datetime, datetime]:
    """The ISO week holding now: Monday 00:00 UTC to the next."""
    now = datetime.now(UTC)
    monday = (now - timedelta(days=now.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)
    return monday, monday + timedelta(days=7)


def test_the_lowest_threshold_whose_week_fits_one_lead_is_found_by_backtests(filled: Filled) -> None:  # noqa: F811
    portal = filled.portal
    model = portal.container.model
    site = find_threshold(model, "engagement")
    start, end = this_week()
    now = datetime.now(UTC) + timedelta(seconds=1)
    grid = threshold_grid(0, model.engagement_limit, 5)
    scale = Scale(window_weeks(start, end), span_weeks(start, end), 100)
    sweep = search_threshold(portal.context(), site, grid, 1, BacktestWindow(start, end), scale, Horizon(now))
    assert sweep.chosen is not None and (sweep.chosen.threshold, sweep.outcome) == (20, "fits")
    assert [t.threshold for t in sweep.tried] == [5, 15, 20, 25, 30, 65, 100]  # two a backtest after current, 100
    assert sweep.chosen.figures.model == f"{model.model}+engagement>=20"
    assert (sweep.chosen.volume.at_percentile, sweep.current.volume.at_percentile) == (0, 2)
    below = next(t for t in sweep.tried if t.threshold == 15)  # the one below was tried, and is over
    assert below.volume.at_percentile == 2
    current = sweep.current.figures
    assert (current.qualified, current.with_outcome) == (2, 2)
    accepted = current.outcomes["accepted"]
    assert (accepted.positives, accepted.negatives) == (1, 1)
    assert sweep.chosen.figures.qualified == 0 and not sweep.not_monotone
    assert sweep.report.contacts == 3


def test_the_command_prints_the_answer_as_json_and_text(filled: Filled, ledger_url: str, tmp_path: Path) -> None:  # noqa: F811
    config = tmp_path / "config"
    shutil.copytree(ROOT / "config", config)
    routing = config / "routing.yaml"
    routing.write_text(routing.read_text() + "\nweekly_capacity: 1\n")
    start, end = this_week()
    env = command_env(tmp_path, ledger_url, filled.server_url, REDIS_URL, "leadflow-threshold-cli")
    env["LEADFLOW_CONFIG"] = str(config)  # with a weekly capacity of one lead
    window = ["--from", f"{start:%Y-%m-%d}", "--to", f"{end:%Y-%m-%d}", "--percentile", "100"]
    result = run_command([LEADFLOW, "threshold", *window, "--json"], env, tmp_path)
    assert result.returncode == 0, describe(result)
    document = json.loads(result.stdout)
    assert (document["outcome"], document["chosen"]["threshold"], document["current_threshold"]) == ("fits", 20, 15)
    assert document["capacity"]["weekly"] == 1 and document["capacity"]["upper_bound"] is False
    assert document["current"]["conversion"]["accepted"]["rate"] == 0.5
    assert document["chosen"]["conversion"]["qualified"] == 0
    assert next(t["threshold"] for t in document["tried"] if t["fits"]) == 20
    text = run_command([LEADFLOW, "threshold", *window], env, tmp_path)
    assert text.returncode == 0, describe(text)
    assert "chosen threshold: engagement >= 20" in text.stdout
    assert "capacity: 1 lead(s) a week" in text.stdout and "    accepted: 50.0 % (n=2)" in text.stdout
